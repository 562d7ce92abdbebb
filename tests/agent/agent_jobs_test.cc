// Real spillway-agent processes against an in-process spillwayd: jobs run as processes, exit
// codes propagate, output lands in the task's logs, cancel kills the whole process tree, and a
// job over its memory limit is killed and reported where cgroup v2 allows.
#include "agent/cgroup_v2.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/agent_cluster.h"

namespace spillway {
namespace {

using spillway::v1::Job;
using ::testing::HasSubstr;

TEST(AgentJobsTest, JobsRunAndExitCodesPropagate) {
  AgentCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
  cluster.StartAgent("vm-1");
  ASSERT_TRUE(cluster.WaitForReadyNodes(1));
  const auto nodes = cluster.Cluster().nodes();
  ASSERT_EQ(nodes.size(), 1);
  EXPECT_EQ(nodes[0].capacity().cpu_millis(), 2000);
  EXPECT_EQ(nodes[0].labels().at("spillway.test"), "agent");

  auto ok_spec = ShellJob("ok", "echo hello-from-$SPILLWAY_JOB_ID; exit 0");
  auto* env = ok_spec.add_env();
  env->set_name("COLOUR");
  env->set_value("blue");
  ok_spec.set_args(0, "echo hello-from-$SPILLWAY_JOB_ID $COLOUR; exit 0");
  const std::string ok = cluster.Submit(ok_spec);
  const std::string bad = cluster.Submit(ShellJob("bad", "echo nope >&2; exit 3"));

  const Job ok_job = cluster.WaitForState(ok, spillway::v1::JOB_STATE_SUCCEEDED);
  ASSERT_EQ(ok_job.state(), spillway::v1::JOB_STATE_SUCCEEDED) << ok_job.reason();
  EXPECT_EQ(ok_job.node_id(), "vm-1");
  const Job bad_job = cluster.WaitForState(bad, spillway::v1::JOB_STATE_FAILED);
  ASSERT_EQ(bad_job.state(), spillway::v1::JOB_STATE_FAILED) << bad_job.reason();
  ASSERT_EQ(bad_job.attempts_size(), 1);
  EXPECT_EQ(bad_job.attempts(0).exit_code(), 3);
  EXPECT_THAT(bad_job.reason(), HasSubstr("exited with code 3"));

  const std::string ok_dir = TaskDir(cluster.WorkDir("vm-1"), {ok, 1});
  EXPECT_THAT(*ReadSmallFile(ok_dir + "/logs/stdout"),
              HasSubstr("hello-from-" + ok + " blue"));
  EXPECT_THAT(*ReadSmallFile(TaskDir(cluster.WorkDir("vm-1"), {bad, 1}) + "/logs/stderr"),
              HasSubstr("nope"));
  // What `spillctl logs` shows, fetched over the agent's stream.
  absl::StatusOr<std::string> logs = cluster.pool().FetchLogs("vm-1", bad, 1);
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_EQ(*logs, "[stderr]\nnope\n");
  EXPECT_EQ(cluster.pool().FetchLogs("vm-1", "job-404", 1).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(AgentJobsTest, CancelKillsTheWholeProcessTree) {
  AgentCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
  cluster.StartAgent("vm-1");
  ASSERT_TRUE(cluster.WaitForReadyNodes(1));
  // The shell and its children ignore SIGTERM: the agent's SIGKILL after the grace ends them.
  const std::string id =
      cluster.Submit(ShellJob("tree", "trap '' TERM; sleep 300 & sleep 300 & wait"));
  ASSERT_EQ(cluster.WaitForState(id, spillway::v1::JOB_STATE_RUNNING).state(),
            spillway::v1::JOB_STATE_RUNNING);
  int pgid = 0;
  ASSERT_TRUE(AgentCluster::WaitUntil([&] {
    pgid = cluster.JobPid("vm-1", id, 1);
    return pgid > 0 && LiveProcessesInGroup(pgid).size() >= 3;
  }));
  ASSERT_TRUE(cluster.Cancel(id).ok());
  EXPECT_EQ(cluster.WaitForState(id, spillway::v1::JOB_STATE_CANCELLED).state(),
            spillway::v1::JOB_STATE_CANCELLED);
  EXPECT_TRUE(AgentCluster::WaitUntil([&] { return LiveProcessesInGroup(pgid).empty(); }))
      << LiveProcessesInGroup(pgid).size() << " processes left in group " << pgid;
  // The agent reported the end (the stop's exit) and forgot the task.
  EXPECT_TRUE(AgentCluster::WaitUntil([&] {
    return FileExists(TaskDir(cluster.WorkDir("vm-1"), {id, 1}) + "/reported");
  }));
}

TEST(AgentJobsTest, CordonReachesTheAgentAlsoAfterItReconnects) {
  AgentCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
  cluster.StartAgent("vm-1");
  ASSERT_TRUE(cluster.WaitForReadyNodes(1));
  ASSERT_TRUE(cluster.Cordon("vm-1").ok());
  EXPECT_TRUE(AgentCluster::WaitUntil([&] {
    return cluster.AgentLog("vm-1").find("node state: NODE_STATE_CORDONED") != std::string::npos;
  })) << cluster.AgentLog("vm-1");
  // A restarted agent learns its state again when it registers.
  cluster.KillAgent("vm-1");
  const size_t before = cluster.AgentLog("vm-1").size();
  cluster.StartAgent("vm-1");
  EXPECT_TRUE(AgentCluster::WaitUntil([&] {
    return cluster.AgentLog("vm-1").find("node state: NODE_STATE_CORDONED", before) !=
           std::string::npos;
  })) << cluster.AgentLog("vm-1");
}

TEST(AgentJobsTest, DockerRuntimeDrivesTheCli) {
  // No Docker engine here: the agent drives a stand-in CLI that records its arguments.
  const std::string fake_dir = FreshTestDir("fake-docker");
  setenv("FAKE_DOCKER_DIR", fake_dir.c_str(), 1);  // Inherited by the agent.
  AgentCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
  cluster.StartAgent("vm-1", 2000,
                     {"--runtime=docker",
                      std::string("--docker_binary=") + std::getenv("TEST_SRCDIR") +
                          "/spillway/agent/testdata/fake_docker.sh"});
  ASSERT_TRUE(cluster.WaitForReadyNodes(1));
  auto spec = ShellJob("boxed", "exit 0", 1500, 512);
  spec.set_image("busybox:1.36");
  const std::string id = cluster.Submit(spec);
  ASSERT_EQ(cluster.WaitForState(id, spillway::v1::JOB_STATE_RUNNING).state(),
            spillway::v1::JOB_STATE_RUNNING);
  const std::string calls_file = fake_dir + "/calls";
  EXPECT_THAT(*ReadSmallFile(calls_file, 1 << 20),
              HasSubstr("run\n-d\n--name\nspillway-" + id + ".1\n--cpus\n1.500\n--memory\n512m"));
  ASSERT_TRUE(cluster.Cancel(id).ok());
  EXPECT_EQ(cluster.WaitForState(id, spillway::v1::JOB_STATE_CANCELLED).state(),
            spillway::v1::JOB_STATE_CANCELLED);
  EXPECT_TRUE(AgentCluster::WaitUntil([&] {
    const auto calls = ReadSmallFile(calls_file, 1 << 20);
    return calls.ok() && calls->find("stop\n--time\n1\nspillway-" + id + ".1") !=
                             std::string::npos &&
           calls->find("rm\nspillway-" + id + ".1") != std::string::npos;
  })) << *ReadSmallFile(calls_file, 1 << 20);
}

TEST(AgentJobsTest, JobOverItsMemoryLimitIsKilledAndReported) {
  absl::StatusOr<CgroupV2> cgroup = CgroupV2::Detect();
  if (!cgroup.ok()) {
    GTEST_SKIP() << "memory limits are not enforceable here: " << cgroup.status().message();
  }
  AgentCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
  cluster.StartAgent("vm-1");
  ASSERT_TRUE(cluster.WaitForReadyNodes(1));
  // Holds ~200 MiB in a shell variable; the limit is 64 MiB.
  const std::string id = cluster.Submit(ShellJob(
      "hog", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); sleep 1", 500, 64));
  const Job job = cluster.WaitForState(id, spillway::v1::JOB_STATE_FAILED);
  ASSERT_EQ(job.state(), spillway::v1::JOB_STATE_FAILED) << job.reason();
  EXPECT_THAT(job.reason(), HasSubstr("OOM"));
}

}  // namespace
}  // namespace spillway
