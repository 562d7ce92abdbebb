// The docker runtime against a stand-in docker CLI (testdata/fake_docker.sh) that records its
// arguments: no Docker engine runs on this machine.
#include "agent/docker_runtime.h"

#include <cstdlib>

#include "absl/strings/str_split.h"
#include "agent/task_files.h"
#include "agent/testing/task_reaper.h"
#include "common/clock.h"
#include "common/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

using spillway::v1::TaskReport;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class DockerRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fake_dir_ = FreshTestDir(name + "-docker");
    work_dir_ = FreshTestDir(name + "-work");
    setenv("FAKE_DOCKER_DIR", fake_dir_.c_str(), 1);
    DockerRuntimeOptions options;
    options.work_dir = work_dir_;
    options.docker_binary =
        std::string(std::getenv("TEST_SRCDIR")) + "/spillway/agent/testdata/fake_docker.sh";
    auto runtime = DockerRuntime::Create(options);
    ASSERT_TRUE(runtime.ok()) << runtime.status();
    runtime_ = std::move(*runtime);
  }

  // Each recorded invocation as its argument list (without the binary).
  std::vector<std::vector<std::string>> Calls() {
    std::vector<std::vector<std::string>> calls;
    auto text = ReadSmallFile(fake_dir_ + "/calls", 1 << 20);
    if (!text.ok()) return calls;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      if (line == "--") {
        calls.emplace_back();
      } else if (!calls.empty() && !line.empty()) {
        calls.back().emplace_back(line);
      }
    }
    return calls;
  }

  void SetState(const std::string& container, const std::string& state) {
    ASSERT_TRUE(WriteFileAtomic(fake_dir_ + "/" + container + ".state", state + "\n").ok());
  }

  TaskReport Only() {
    auto reports = runtime_->Check();
    EXPECT_EQ(reports.size(), 1u);
    return reports.empty() ? TaskReport() : reports[0];
  }

  std::string fake_dir_, work_dir_;
  std::unique_ptr<DockerRuntime> runtime_;
};

spillway::v1::StartTask ImageTask() {
  spillway::v1::StartTask start;
  start.set_job_id("job-1");
  start.set_attempt(2);
  auto* spec = start.mutable_spec();
  spec->set_image("busybox:1.36");
  spec->add_command("sh");
  spec->add_command("-c");
  spec->add_args("exit 3");
  spec->set_cpu_millis(1500);
  spec->set_memory_mib(512);
  auto* env = spec->add_env();
  env->set_name("TOKEN");
  env->set_value("hunter2");
  env->set_secret(true);
  return start;
}

TEST_F(DockerRuntimeTest, RunPassesLimitsEntrypointAndEnvFile) {
  ASSERT_TRUE(runtime_->Start(ImageTask()).ok());
  const std::string name = DockerRuntime::ContainerName({"job-1", 2});
  const std::string env_file = TaskDir(work_dir_, {"job-1", 2}) + "/env";
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_THAT(calls[0],
              ElementsAre("run", "-d", "--name", name, "--cpus", "1.500", "--memory", "512m",
                          "--env-file", env_file, "--label", "spillway.job=job-1", "--label",
                          "spillway.attempt=2", "--entrypoint", "sh", "busybox:1.36", "-c",
                          "exit 3"));
  // The secret is in the 0600 env file, not on the command line.
  for (const auto& arg : calls[0]) EXPECT_THAT(arg, Not(HasSubstr("hunter2")));
  EXPECT_THAT(*ReadSmallFile(env_file), HasSubstr("TOKEN=hunter2"));
  EXPECT_EQ(Only().state(), TaskReport::STATE_RUNNING);
}

TEST_F(DockerRuntimeTest, ExitCodeFromInspectThenRemoved) {
  ASSERT_TRUE(runtime_->Start(ImageTask()).ok());
  const std::string name = DockerRuntime::ContainerName({"job-1", 2});
  SetState(name, "exited 3 false");
  const TaskReport report = Only();
  EXPECT_EQ(report.state(), TaskReport::STATE_EXITED);
  EXPECT_EQ(report.exit_code(), 3);
  runtime_.reset();  // Waits for the spawned `docker rm`.
  auto calls = Calls();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_EQ(calls[1][0], "inspect");
  EXPECT_THAT(calls.back(), ElementsAre("rm", name));
}

TEST_F(DockerRuntimeTest, OomKillIsAFailure) {
  ASSERT_TRUE(runtime_->Start(ImageTask()).ok());
  SetState(DockerRuntime::ContainerName({"job-1", 2}), "exited 137 true");
  const TaskReport report = Only();
  EXPECT_EQ(report.state(), TaskReport::STATE_FAILED);
  EXPECT_THAT(report.reason(), HasSubstr("OOM"));
}

TEST_F(DockerRuntimeTest, StopUsesTheGracePeriod) {
  ASSERT_TRUE(runtime_->Start(ImageTask()).ok());
  const std::string name = DockerRuntime::ContainerName({"job-1", 2});
  runtime_->Stop({"job-1", 2}, absl::Seconds(7), "cancelled");
  // Wait for the spawned `docker stop` (polling with a deadline).
  TaskReport report;
  PollUntil(
      [&] {
        report = Only();
        return report.state() == TaskReport::STATE_EXITED;
      },
      absl::Seconds(5));
  EXPECT_EQ(report.state(), TaskReport::STATE_EXITED);
  EXPECT_EQ(report.exit_code(), 143);
  EXPECT_EQ(report.reason(), "stopped: cancelled");
  bool saw_stop = false;
  for (const auto& call : Calls()) {
    if (call[0] == "stop") {
      EXPECT_THAT(call, ElementsAre("stop", "--time", "7", name));
      saw_stop = true;
    }
  }
  EXPECT_TRUE(saw_stop);
}

TEST_F(DockerRuntimeTest, NoImageFailsAndVanishedContainerFails) {
  auto start = ImageTask();
  start.mutable_spec()->clear_image();
  EXPECT_FALSE(runtime_->Start(start).ok());
  EXPECT_EQ(Only().state(), TaskReport::STATE_FAILED);
  runtime_->Forget({"job-1", 2});

  start = ImageTask();
  start.set_attempt(3);
  ASSERT_TRUE(runtime_->Start(start).ok());
  ASSERT_EQ(unlink((fake_dir_ + "/" + DockerRuntime::ContainerName({"job-1", 3}) + ".state").c_str()),
            0);
  const TaskReport report = Only();
  EXPECT_EQ(report.state(), TaskReport::STATE_FAILED);
  EXPECT_THAT(report.reason(), HasSubstr("vanished"));
}

TEST_F(DockerRuntimeTest, RestartedAgentFindsItsContainers) {
  ASSERT_TRUE(runtime_->Start(ImageTask()).ok());
  runtime_.reset();
  DockerRuntimeOptions options;
  options.work_dir = work_dir_;
  options.docker_binary =
      std::string(std::getenv("TEST_SRCDIR")) + "/spillway/agent/testdata/fake_docker.sh";
  runtime_ = std::move(*DockerRuntime::Create(options));
  const TaskReport report = Only();
  EXPECT_EQ(report.job_id(), "job-1");
  EXPECT_EQ(report.attempt(), 2);
  EXPECT_EQ(report.state(), TaskReport::STATE_RUNNING);
}

}  // namespace
}  // namespace spillway
