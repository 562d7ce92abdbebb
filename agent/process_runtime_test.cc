// The process runtime with real child processes: exit codes, environment, working directory,
// logs and their cap, process-group stops with SIGKILL escalation, adoption by a new runtime.
#include "agent/process_runtime.h"

#include <signal.h>

#include <cerrno>
#include <functional>
#include <optional>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "agent/task_files.h"
#include "agent/testing/task_reaper.h"
#include "common/clock.h"
#include "common/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

using spillway::v1::TaskReport;
using ::testing::HasSubstr;

spillway::v1::StartTask Task(const std::string& job, std::vector<std::string> command) {
  spillway::v1::StartTask start;
  start.set_job_id(job);
  start.set_attempt(1);
  for (auto& c : command) start.mutable_spec()->add_command(c);
  start.mutable_spec()->set_cpu_millis(500);
  start.mutable_spec()->set_memory_mib(256);
  return start;
}

class ProcessRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_dir_ = FreshTestDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    reaper_.Watch(work_dir_);
    runtime_ = MakeRuntime();
  }

  std::unique_ptr<ProcessRuntime> MakeRuntime(int64_t log_cap_bytes = 1 << 20) {
    ProcessRuntimeOptions options;
    options.work_dir = work_dir_;
    options.monitor_command = {AgentBinaryPath(), "__monitor__"};
    options.log_cap_bytes = log_cap_bytes;
    auto runtime = ProcessRuntime::Create(options);
    EXPECT_TRUE(runtime.ok()) << runtime.status();
    return std::move(*runtime);
  }

  // Polls Check() until `key` reaches a state satisfying `pred`, for at most 10 s.
  std::optional<TaskReport> WaitFor(ProcessRuntime& runtime, const TaskKey& key,
                                    const std::function<bool(const TaskReport&)>& pred) {
    std::optional<TaskReport> found;
    PollUntil(
        [&] {
          for (const TaskReport& r : runtime.Check()) {
            if (r.job_id() == key.first && r.attempt() == key.second && pred(r)) found = r;
          }
          return found.has_value();
        },
        absl::Seconds(10));
    return found;
  }
  static bool Final(const TaskReport& r) {
    return r.state() == TaskReport::STATE_EXITED || r.state() == TaskReport::STATE_FAILED;
  }

  TaskReaper reaper_;  // First: outlives everything below.
  std::string work_dir_;
  std::unique_ptr<ProcessRuntime> runtime_;
};

TEST_F(ProcessRuntimeTest, ExitCodeEnvironmentWorkingDirectoryAndLogs) {
  auto start = Task("job-1", {"/bin/sh", "-c", "echo \"$GREETING\"; pwd; echo oops >&2; exit 3"});
  auto* env = start.mutable_spec()->add_env();
  env->set_name("GREETING");
  env->set_value("hello from env");
  ASSERT_TRUE(runtime_->Start(start).ok());
  auto report = WaitFor(*runtime_, {"job-1", 1}, Final);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->state(), TaskReport::STATE_EXITED);
  EXPECT_EQ(report->exit_code(), 3);
  const std::string dir = TaskDir(work_dir_, {"job-1", 1});
  auto out = ReadSmallFile(dir + "/logs/stdout");
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(*out, HasSubstr("hello from env"));
  EXPECT_THAT(*out, HasSubstr(dir + "/work"));
  EXPECT_THAT(*ReadSmallFile(dir + "/logs/stderr"), HasSubstr("oops"));
  EXPECT_FALSE(FileExists(dir + "/spec.pb"));  // Secrets do not stay on disk.
  auto logs = runtime_->Logs({"job-1", 1}, 1 << 20);
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(*logs, "hello from env\n" + dir + "/work\n[stderr]\noops\n");
  EXPECT_EQ(*runtime_->Logs({"job-1", 1}, 8), "ork\n[stderr]\nops\n");  // Tails, 4 B each.
  runtime_->Forget({"job-1", 1});
  EXPECT_TRUE(runtime_->Check().empty());
  // A repeated start of a finished attempt does not run it again.
  EXPECT_FALSE(runtime_->Start(start).ok());
  auto again = runtime_->Check();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].state(), TaskReport::STATE_FAILED);
}

TEST_F(ProcessRuntimeTest, MissingCommandFails) {
  ASSERT_TRUE(runtime_->Start(Task("job-2", {"/nonexistent/binary"})).ok());
  auto report = WaitFor(*runtime_, {"job-2", 1}, Final);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->state(), TaskReport::STATE_FAILED);
  EXPECT_THAT(report->reason(), HasSubstr("exec /nonexistent/binary"));
}

TEST_F(ProcessRuntimeTest, StopKillsTheWholeTreeAfterTheGracePeriod) {
  // The shell and its children ignore SIGTERM: only the SIGKILL after the grace period ends them.
  ASSERT_TRUE(runtime_->Start(Task("job-3", {"/bin/sh", "-c",
                                             "trap '' TERM; sleep 300 & sleep 300 & wait"}))
                  .ok());
  ASSERT_TRUE(WaitFor(*runtime_, {"job-3", 1}, [](const TaskReport& r) {
                return r.state() == TaskReport::STATE_RUNNING;
              }).has_value());
  const int pgid = runtime_->JobPid({"job-3", 1});
  ASSERT_GT(pgid, 0);
  // The shell and both sleeps are in the group before the stop.
  PollUntil([&] { return LiveProcessesInGroup(pgid).size() >= 3; }, absl::Seconds(5));
  ASSERT_EQ(LiveProcessesInGroup(pgid).size(), 3u);
  const absl::Time t0 = RealClock::Get()->Now();
  runtime_->Stop({"job-3", 1}, absl::Milliseconds(300), "cancelled");
  auto report = WaitFor(*runtime_, {"job-3", 1}, Final);
  ASSERT_TRUE(report.has_value());
  EXPECT_GE(RealClock::Get()->Now() - t0, absl::Milliseconds(300));
  EXPECT_EQ(report->state(), TaskReport::STATE_EXITED);
  EXPECT_EQ(report->exit_code(), 128 + SIGKILL);
  EXPECT_EQ(report->reason(), "stopped: cancelled");
  // Nothing of the group is left.
  PollUntil([&] { return LiveProcessesInGroup(pgid).empty(); }, absl::Seconds(5));
  EXPECT_TRUE(LiveProcessesInGroup(pgid).empty());
}

TEST_F(ProcessRuntimeTest, TermIsEnoughForWellBehavedJobs) {
  ASSERT_TRUE(runtime_->Start(Task("job-4", {"sleep", "300"})).ok());
  ASSERT_TRUE(WaitFor(*runtime_, {"job-4", 1}, [](const TaskReport& r) {
                return r.state() == TaskReport::STATE_RUNNING;
              }).has_value());
  runtime_->Stop({"job-4", 1}, absl::Seconds(30), "drain");
  auto report = WaitFor(*runtime_, {"job-4", 1}, Final);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->exit_code(), 128 + SIGTERM);
}

TEST_F(ProcessRuntimeTest, LogsAreCapped) {
  runtime_ = MakeRuntime(/*log_cap_bytes=*/1000);
  ASSERT_TRUE(runtime_->Start(Task("job-5", {"/bin/sh", "-c", "head -c 200000 /dev/zero"})).ok());
  ASSERT_TRUE(WaitFor(*runtime_, {"job-5", 1}, Final).has_value());
  auto out = ReadSmallFile(TaskDir(work_dir_, {"job-5", 1}) + "/logs/stdout", 1 << 20);
  ASSERT_TRUE(out.ok());
  EXPECT_LE(out->size(), 1100u);
  EXPECT_GE(out->size(), 1000u);
  EXPECT_THAT(*out, HasSubstr("[log truncated"));
}

TEST_F(ProcessRuntimeTest, ANewRuntimeAdoptsRunningTasksAndLearnsTheirExit) {
  ASSERT_TRUE(runtime_->Start(Task("job-6", {"sleep", "300"})).ok());
  ASSERT_TRUE(runtime_->Start(Task("job-7", {"/bin/sh", "-c", "sleep 0.3; exit 7"})).ok());
  ASSERT_TRUE(WaitFor(*runtime_, {"job-6", 1}, [](const TaskReport& r) {
                return r.state() == TaskReport::STATE_RUNNING;
              }).has_value());
  runtime_.reset();  // The agent goes away; its tasks do not.
  auto again = MakeRuntime();
  auto running = WaitFor(*again, {"job-6", 1}, [](const TaskReport& r) {
    return r.state() == TaskReport::STATE_RUNNING;
  });
  ASSERT_TRUE(running.has_value());
  auto exited = WaitFor(*again, {"job-7", 1}, Final);
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(exited->exit_code(), 7);
  again->Stop({"job-6", 1}, absl::Seconds(5), "test over");
  auto stopped = WaitFor(*again, {"job-6", 1}, Final);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(stopped->exit_code(), 128 + SIGTERM);
  // Reported tasks are not adopted again.
  again->Forget({"job-6", 1});
  again->Forget({"job-7", 1});
  EXPECT_TRUE(MakeRuntime()->Check().empty());
}

TEST_F(ProcessRuntimeTest, MemoryLimitIsEnforcedWhereCgroupsAllow) {
  if (!runtime_->limits_enforced()) {
    GTEST_SKIP() << "cgroup v2 limits unavailable here (" << runtime_->limits_note() << ")";
  }
  auto start = Task("job-8", {"/bin/sh", "-c", "head -c 400000000 /dev/zero | tail > /dev/null"});
  start.mutable_spec()->set_memory_mib(32);
  ASSERT_TRUE(runtime_->Start(start).ok());
  auto report = WaitFor(*runtime_, {"job-8", 1}, Final);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->state(), TaskReport::STATE_FAILED);
  EXPECT_THAT(report->reason(), HasSubstr("OOM"));
}

}  // namespace
}  // namespace spillway
