// Health monitoring and failover with real agents: a SIGKILLed agent's jobs are rescheduled within
// the heartbeat timeout and the node, when it comes back, does not run them twice; an agent that
// restarts in time keeps its tasks (adopted, not duplicated).
#include "common/clock.h"
#include "common/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/agent_cluster.h"

namespace spillway {
namespace {

using spillway::v1::Job;
using ::testing::HasSubstr;

TEST(AgentFailoverTest, KilledAgentsJobsAreRescheduledAndNotRunTwice) {
  AgentCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
  cluster.StartAgent("vm-1");
  cluster.StartAgent("vm-2");
  ASSERT_TRUE(cluster.WaitForReadyNodes(2));
  // 1.5 vCPU: one such job per 2 vCPU node.
  const std::string id = cluster.Submit(ShellJob("survivor", "sleep 300", 1500, 256));
  Job job = cluster.WaitForState(id, spillway::v1::JOB_STATE_RUNNING);
  ASSERT_EQ(job.state(), spillway::v1::JOB_STATE_RUNNING) << job.reason();
  const std::string first = job.node_id();
  const std::string second = first == "vm-1" ? "vm-2" : "vm-1";
  int first_pgid = 0;
  ASSERT_TRUE(AgentCluster::WaitUntil([&] {
    first_pgid = cluster.JobPid(first, id, 1);
    return first_pgid > 0;
  }));

  const absl::Time killed = RealClock::Get()->Now();
  cluster.KillAgent(first);
  job = cluster.WaitForJob(id, [&](const Job& j) {
    return j.state() == spillway::v1::JOB_STATE_RUNNING && j.attempts_size() == 2;
  });
  ASSERT_EQ(job.attempts_size(), 2) << job.reason();
  const absl::Duration failover = RealClock::Get()->Now() - killed;
  EXPECT_EQ(job.node_id(), second);
  EXPECT_THAT(job.attempts(0).reason(), HasSubstr("node " + first + " down"));
  // Detected after the heartbeat timeout, rescheduled promptly after it.
  EXPECT_GE(failover, kHeartbeatTimeout - absl::Milliseconds(100));
  EXPECT_LT(failover, kHeartbeatTimeout + absl::Seconds(3));

  // The orphaned first attempt kept running without its agent; when the node comes back, its
  // re-reported task is stale and gets stopped: the job never runs twice.
  EXPECT_FALSE(LiveProcessesInGroup(first_pgid).empty());
  cluster.StartAgent(first);
  ASSERT_TRUE(cluster.WaitForReadyNodes(2));
  EXPECT_TRUE(AgentCluster::WaitUntil([&] { return LiveProcessesInGroup(first_pgid).empty(); }))
      << "attempt 1 still runs on " << first;
  job = cluster.Get(id);
  EXPECT_EQ(job.state(), spillway::v1::JOB_STATE_RUNNING);
  EXPECT_EQ(job.attempts_size(), 2);
  EXPECT_EQ(job.node_id(), second);
}

TEST(AgentFailoverTest, RestartedAgentsTasksAreAdoptedNotDuplicated) {
  AgentCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
  cluster.StartAgent("vm-1");
  ASSERT_TRUE(cluster.WaitForReadyNodes(1));
  const std::string id = cluster.Submit(ShellJob("steady", "sleep 300"));
  ASSERT_EQ(cluster.WaitForState(id, spillway::v1::JOB_STATE_RUNNING).state(),
            spillway::v1::JOB_STATE_RUNNING);
  int pgid = 0;
  ASSERT_TRUE(AgentCluster::WaitUntil([&] {
    pgid = cluster.JobPid("vm-1", id, 1);
    return pgid > 0;
  }));

  std::vector<int> processes;
  ASSERT_TRUE(AgentCluster::WaitUntil([&] {
    processes = LiveProcessesInGroup(pgid);
    return !processes.empty();
  }));

  cluster.KillAgent("vm-1");
  cluster.StartAgent("vm-1");  // Back well within the heartbeat timeout.
  // Wait for the new agent's registration (its stream is the connected one again)...
  ASSERT_TRUE(AgentCluster::WaitUntil([&] {
    auto nodes = cluster.pool().Nodes();
    return nodes.size() == 1 && nodes[0].connected && nodes[0].tasks == 1;
  }));
  // ...then across more than a heartbeat timeout nothing changes: same attempt, same process.
  Job seen;
  const bool changed = PollUntil(
      [&] {
        seen = cluster.Get(id);
        return seen.state() != spillway::v1::JOB_STATE_RUNNING || seen.attempts_size() != 1;
      },
      kHeartbeatTimeout + absl::Milliseconds(500), absl::Milliseconds(100));
  ASSERT_FALSE(changed) << seen.DebugString();
  EXPECT_EQ(cluster.JobPid("vm-1", id, 1), pgid);
  EXPECT_EQ(LiveProcessesInGroup(pgid), processes);  // The very same processes, no second copy.
  EXPECT_EQ(ListDirs(TasksRoot(cluster.WorkDir("vm-1"))).size(), 1u);

  // The adopted task is still under control: cancel stops it.
  ASSERT_TRUE(cluster.Cancel(id).ok());
  EXPECT_EQ(cluster.WaitForState(id, spillway::v1::JOB_STATE_CANCELLED).state(),
            spillway::v1::JOB_STATE_CANCELLED);
  EXPECT_TRUE(AgentCluster::WaitUntil([&] { return LiveProcessesInGroup(pgid).empty(); }));
}

TEST(AgentFailoverTest, RestartedSpillwaydKeepsRunningTasksAndLearnsExitsItMissed) {
  AgentCluster cluster(FreshTestDir("spillwayd-store"));
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
  cluster.StartAgent("vm-1");
  ASSERT_TRUE(cluster.WaitForReadyNodes(1));
  const std::string trigger = FreshTestDir("trigger") + "/go";
  const std::string steady = cluster.Submit(ShellJob("steady", "sleep 300"));
  const std::string finisher = cluster.Submit(ShellJob(
      "finisher", "while [ ! -e " + trigger + " ]; do sleep 0.05; done; exit 5"));
  for (const std::string& id : {steady, finisher}) {
    ASSERT_EQ(cluster.WaitForState(id, spillway::v1::JOB_STATE_RUNNING).state(),
              spillway::v1::JOB_STATE_RUNNING);
  }
  int pgid = 0;
  ASSERT_TRUE(AgentCluster::WaitUntil([&] {
    pgid = cluster.JobPid("vm-1", steady, 1);
    return pgid > 0;
  }));

  // spillwayd goes away; meanwhile one job ends (its monitor records the exit code).
  const std::string exit_file = TaskDir(cluster.WorkDir("vm-1"), {finisher, 1}) + "/exit";
  ASSERT_TRUE(cluster
                  .RestartDaemon([&] {
                    ASSERT_TRUE(WriteFileAtomic(trigger, "").ok());
                    ASSERT_TRUE(AgentCluster::WaitUntil([&] { return FileExists(exit_file); }));
                  })
                  .ok())
      << cluster.start_status();

  // The agent reconnects: the exit it reached meanwhile propagates...
  const Job finished = cluster.WaitForState(finisher, spillway::v1::JOB_STATE_FAILED);
  ASSERT_EQ(finished.state(), spillway::v1::JOB_STATE_FAILED) << finished.reason();
  EXPECT_EQ(finished.attempts(0).exit_code(), 5);
  // ...and the running job is kept (the startup inventory lists it), not restarted or stopped.
  ASSERT_TRUE(AgentCluster::WaitUntil([&] { return cluster.pool().inventory_sent(); }));
  Job kept;
  const bool restarted = PollUntil(
      [&] {
        kept = cluster.Get(steady);
        return kept.state() != spillway::v1::JOB_STATE_RUNNING || kept.attempts_size() != 1;
      },
      absl::Milliseconds(500), absl::Milliseconds(100));
  ASSERT_FALSE(restarted) << kept.DebugString();
  EXPECT_FALSE(LiveProcessesInGroup(pgid).empty());
  ASSERT_TRUE(cluster.Cancel(steady).ok());
  EXPECT_TRUE(AgentCluster::WaitUntil([&] { return LiveProcessesInGroup(pgid).empty(); }));
}

}  // namespace
}  // namespace spillway
