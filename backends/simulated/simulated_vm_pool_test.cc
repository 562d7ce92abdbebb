#include "backends/simulated/simulated_vm_pool.h"

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backends/simulated/event_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

absl::Time At(double seconds) { return kT0 + absl::Seconds(seconds); }

std::string Describe(const Event& event) { return DescribeEvent(event, kT0); }
std::vector<std::string> Describe(const std::vector<Event>& events) {
  return DescribeEvents(events, kT0);
}

std::vector<SimulatedNode> TwoNodes() {
  return {SimulatedNode{"node-b", Resources{2000, 4096}, {{"zone", "1"}}},
          SimulatedNode{"node-a", Resources{4000, 8192}, {}}};
}

StartVmTask Start(const std::string& job_id, int attempt, const std::string& node_id,
                  std::map<std::string, std::string> labels = {}, int64_t cpu_millis = 500,
                  int64_t memory_mib = 512) {
  StartVmTask start;
  start.job_id = job_id;
  start.attempt = attempt;
  start.node_id = node_id;
  start.spec.set_name(job_id);
  start.spec.set_cpu_millis(cpu_millis);
  start.spec.set_memory_mib(memory_mib);
  for (const auto& [k, v] : labels) (*start.spec.mutable_labels())[k] = v;
  return start;
}

StopVmTask Stop(const std::string& job_id, int attempt, const std::string& node_id,
                const std::string& reason) {
  return StopVmTask{job_id, attempt, node_id, reason};
}

// A pool whose NodeUp reports were already polled at kT0.
class SimulatedVmPoolTest : public ::testing::Test {
 protected:
  SimulatedVmPoolTest() : pool_(TwoNodes()) { pool_.Poll(kT0); }

  SimulatedVmPool pool_;
};

TEST(SimulatedVmPoolStartupTest, FirstPollReportsEveryNodeInDeclarationOrder) {
  SimulatedVmPool pool(TwoNodes());
  EXPECT_EQ(pool.NextEventTime(), absl::InfinitePast());
  EXPECT_THAT(Describe(pool.Poll(At(5))), ElementsAre("+5s NodeUp node-b 2000m 4096Mi {zone=1}",
                                                      "+5s NodeUp node-a 4000m 8192Mi {}"));
  EXPECT_EQ(pool.NextEventTime(), absl::InfiniteFuture());
  EXPECT_THAT(pool.Poll(At(6)), IsEmpty());
}

TEST(SimulatedVmPoolStartupTest, DuplicateNodeIdsKeepTheFirst) {
  SimulatedVmPool pool({SimulatedNode{"n", Resources{1000, 1024}, {}},
                        SimulatedNode{"n", Resources{9000, 9024}, {}}});
  EXPECT_THAT(Describe(pool.Poll(kT0)), ElementsAre("+0s NodeUp n 1000m 1024Mi {}"));
}

TEST_F(SimulatedVmPoolTest, HandlesOnlyVmActions) {
  EXPECT_TRUE(pool_.Handles(Action(StartVmTask{})));
  EXPECT_TRUE(pool_.Handles(Action(StopVmTask{})));
  EXPECT_FALSE(pool_.Handles(Action(CreateAciGroup{})));
  EXPECT_FALSE(pool_.Handles(Action(DeleteAciGroup{})));
}

TEST_F(SimulatedVmPoolTest, StartRunsThenExitsWithDefaultTimes) {
  pool_.Execute(Start("job-a", 1, "node-a"), At(10));
  EXPECT_EQ(pool_.NextEventTime(), At(10));
  EXPECT_EQ(pool_.RunningTasks(), 1);
  EXPECT_THAT(pool_.TasksOn("node-a"), ElementsAre("job-a"));

  EXPECT_THAT(Describe(pool_.Poll(At(10))), ElementsAre("+10s TaskStarting job-a#1"));
  EXPECT_EQ(pool_.NextEventTime(), At(11));
  EXPECT_THAT(pool_.Poll(At(10.999)), IsEmpty());
  EXPECT_THAT(Describe(pool_.Poll(At(11))), ElementsAre("+11s TaskRunning job-a#1"));
  EXPECT_EQ(pool_.NextEventTime(), At(41));
  EXPECT_THAT(pool_.Poll(At(40)), IsEmpty());
  EXPECT_THAT(Describe(pool_.Poll(At(41))),
              ElementsAre("+41s TaskExited job-a#1 0 exited with code 0"));
  EXPECT_EQ(pool_.NextEventTime(), absl::InfiniteFuture());
  EXPECT_EQ(pool_.RunningTasks(), 0);
  EXPECT_THAT(pool_.TasksOn("node-a"), IsEmpty());
}

TEST_F(SimulatedVmPoolTest, LatePollReturnsEveryEventWithItsOwnTimeOldestFirst) {
  pool_.Execute(Start("job-a", 1, "node-a", {{"spillway.sim/duration", "10s"}}), At(0));
  pool_.Execute(Start("job-b", 1, "node-b", {{"spillway.sim/duration", "2s"}}), At(3));
  EXPECT_THAT(
      Describe(pool_.Poll(At(100))),
      ElementsAre("+0s TaskStarting job-a#1", "+1s TaskRunning job-a#1", "+3s TaskStarting job-b#1",
                  "+4s TaskRunning job-b#1", "+6s TaskExited job-b#1 0 exited with code 0",
                  "+11s TaskExited job-a#1 0 exited with code 0"));
}

TEST_F(SimulatedVmPoolTest, ReportsDueWhileOthersArePendingKeepTheirOwnTaskAndText) {
  // Each start delivers what fell due before it, so later reports take the places of earlier
  // ones among those still pending; each must still come with its own task, time and reason.
  pool_.Execute(Start("job-a", 1, "node-a", {{"spillway.sim/duration", "10s"}}), At(0));
  pool_.Execute(
      Start("job-b", 1, "node-b", {{"spillway.sim/fail", "run"}, {"spillway.sim/duration", "1s"}}),
      At(2));
  pool_.Execute(Start("job-c", 1, "node-a",
                      {{"spillway.sim/exit-code", "3"}, {"spillway.sim/duration", "2s"}}),
                At(5));
  EXPECT_EQ(pool_.NextEventTime(), At(0));  // The undelivered outbox.
  EXPECT_THAT(Describe(pool_.Poll(At(100))),
              ElementsAre("+0s TaskStarting job-a#1", "+1s TaskRunning job-a#1",
                          "+2s TaskStarting job-b#1", "+3s TaskRunning job-b#1",
                          "+4s TaskFailed job-b#1 simulated failure while running",
                          "+5s TaskStarting job-c#1", "+6s TaskRunning job-c#1",
                          "+8s TaskExited job-c#1 3 exited with code 3",
                          "+11s TaskExited job-a#1 0 exited with code 0"));
  EXPECT_EQ(pool_.NextEventTime(), absl::InfiniteFuture());
}

TEST_F(SimulatedVmPoolTest, RunTimeComesFromLabelThenExpectedDurationThenDefault) {
  StartVmTask labelled = Start("labelled", 1, "node-a", {{"spillway.sim/duration", "1m30s"}});
  labelled.spec.mutable_expected_duration()->set_seconds(999);
  StartVmTask hinted = Start("hinted", 1, "node-a");
  hinted.spec.mutable_expected_duration()->set_seconds(5);
  StartVmTask garbled = Start("garbled", 1, "node-a", {{"spillway.sim/duration", "soon"}});
  pool_.Execute(labelled, At(0));
  pool_.Execute(hinted, At(0));
  pool_.Execute(garbled, At(0));
  std::vector<std::string> exits;
  for (const Event& e : pool_.Poll(At(1000))) {
    if (std::holds_alternative<TaskExited>(e.body)) exits.push_back(Describe(e));
  }
  EXPECT_THAT(exits, ElementsAre("+6s TaskExited hinted#1 0 exited with code 0",
                                 "+31s TaskExited garbled#1 0 exited with code 0",
                                 "+1m31s TaskExited labelled#1 0 exited with code 0"));
}

TEST_F(SimulatedVmPoolTest, ExitCodeLabel) {
  pool_.Execute(Start("job-a", 1, "node-a", {{"spillway.sim/exit-code", "3"}}), At(0));
  EXPECT_THAT(Describe(pool_.Poll(At(100))),
              ElementsAre("+0s TaskStarting job-a#1", "+1s TaskRunning job-a#1",
                          "+31s TaskExited job-a#1 3 exited with code 3"));
}

TEST_F(SimulatedVmPoolTest, FailStartLabelFailsInsteadOfRunning) {
  pool_.Execute(Start("job-a", 2, "node-a", {{"spillway.sim/fail", "start"}}), At(0));
  EXPECT_THAT(
      Describe(pool_.Poll(At(100))),
      ElementsAre("+0s TaskStarting job-a#2", "+1s TaskFailed job-a#2 simulated start failure"));
  EXPECT_EQ(pool_.RunningTasks(), 0);
  EXPECT_EQ(pool_.NextEventTime(), absl::InfiniteFuture());
}

TEST_F(SimulatedVmPoolTest, FailRunLabelFailsAfterTheRunTime) {
  pool_.Execute(
      Start("job-a", 1, "node-a", {{"spillway.sim/fail", "run"}, {"spillway.sim/duration", "4s"}}),
      At(0));
  EXPECT_THAT(Describe(pool_.Poll(At(100))),
              ElementsAre("+0s TaskStarting job-a#1", "+1s TaskRunning job-a#1",
                          "+5s TaskFailed job-a#1 simulated failure while running"));
}

TEST_F(SimulatedVmPoolTest, OptionsSetStartDelayAndDefaultRunTime) {
  SimulatedVmPoolOptions options;
  options.start_delay = absl::Seconds(7);
  options.default_run_time = absl::Minutes(2);
  SimulatedVmPool pool(TwoNodes(), options);
  pool.Poll(kT0);
  pool.Execute(Start("job-a", 1, "node-a"), At(0));
  EXPECT_THAT(Describe(pool.Poll(At(1000))),
              ElementsAre("+0s TaskStarting job-a#1", "+7s TaskRunning job-a#1",
                          "+2m7s TaskExited job-a#1 0 exited with code 0"));
}

TEST_F(SimulatedVmPoolTest, ZeroDelaysStillReportInOrder) {
  SimulatedVmPoolOptions options;
  options.start_delay = absl::ZeroDuration();
  SimulatedVmPool pool(TwoNodes(), options);
  pool.Poll(kT0);
  pool.Execute(Start("job-a", 1, "node-a", {{"spillway.sim/duration", "0s"}}), At(0));
  EXPECT_THAT(Describe(pool.Poll(At(0))),
              ElementsAre("+0s TaskStarting job-a#1", "+0s TaskRunning job-a#1",
                          "+0s TaskExited job-a#1 0 exited with code 0"));
}

TEST_F(SimulatedVmPoolTest, RepeatedStartOfALiveAttemptIsIgnored) {
  pool_.Execute(Start("job-a", 1, "node-a"), At(0));
  pool_.Execute(Start("job-a", 1, "node-a"), At(0.5));
  pool_.Execute(Start("job-a", 1, "node-a"), At(5));
  EXPECT_EQ(pool_.RunningTasks(), 1);
  EXPECT_THAT(Describe(pool_.Poll(At(100))),
              ElementsAre("+0s TaskStarting job-a#1", "+1s TaskRunning job-a#1",
                          "+31s TaskExited job-a#1 0 exited with code 0"));
}

TEST_F(SimulatedVmPoolTest, ANewAttemptIsANewTask) {
  pool_.Execute(Start("job-a", 1, "node-a"), At(0));
  pool_.Execute(Start("job-a", 2, "node-b"), At(0));
  EXPECT_EQ(pool_.RunningTasks(), 2);
  EXPECT_THAT(pool_.TasksOn("node-b"), ElementsAre("job-a"));
}

TEST_F(SimulatedVmPoolTest, StopWhileRunningExitsWith143AndNothingLater) {
  pool_.Execute(Start("job-a", 1, "node-a"), At(0));
  EXPECT_EQ(pool_.Poll(At(5)).size(), 2u);
  pool_.Execute(Stop("job-a", 1, "node-a", "drained"), At(8));
  EXPECT_EQ(pool_.RunningTasks(), 0);
  EXPECT_THAT(pool_.TasksOn("node-a"), IsEmpty());
  EXPECT_EQ(pool_.NextEventTime(), At(8));
  EXPECT_THAT(Describe(pool_.Poll(At(8))),
              ElementsAre("+8s TaskExited job-a#1 143 stopped: drained"));
  // The stale exit at +31s is dropped.
  EXPECT_THAT(pool_.Poll(At(1000)), IsEmpty());
}

TEST_F(SimulatedVmPoolTest, StopWhileStartingCancelsTheStart) {
  pool_.Execute(Start("job-a", 1, "node-a"), At(0));
  pool_.Execute(Stop("job-a", 1, "node-a", "cancelled"), At(0.5));
  EXPECT_THAT(
      Describe(pool_.Poll(At(1000))),
      ElementsAre("+0s TaskStarting job-a#1", "+500ms TaskExited job-a#1 143 stopped: cancelled"));
}

TEST_F(SimulatedVmPoolTest, StopOfAnUnknownOrFinishedTaskReportsNothing) {
  pool_.Execute(Stop("ghost", 1, "node-a", "x"), At(0));
  pool_.Execute(Start("job-a", 1, "node-a", {{"spillway.sim/duration", "1s"}}), At(0));
  pool_.Execute(Stop("job-a", 1, "node-a", "too late"), At(2));  // It exited at +2s.
  EXPECT_THAT(Describe(pool_.Poll(At(100))),
              ElementsAre("+0s TaskStarting job-a#1", "+1s TaskRunning job-a#1",
                          "+2s TaskExited job-a#1 0 exited with code 0"));
}

TEST_F(SimulatedVmPoolTest, StartOnUnknownNodeFails) {
  pool_.Execute(Start("job-a", 1, "node-z"), At(1));
  EXPECT_THAT(Describe(pool_.Poll(At(1))),
              ElementsAre("+1s TaskFailed job-a#1 simulated: unknown node node-z"));
  EXPECT_EQ(pool_.RunningTasks(), 0);
}

TEST_F(SimulatedVmPoolTest, StartBeyondFreeCapacityFails) {
  // node-b: 2000m / 4096Mi.
  pool_.Execute(Start("big", 1, "node-b", {{"spillway.sim/duration", "10s"}}, 1500, 1024), At(0));
  pool_.Execute(Start("too-big", 1, "node-b", {}, 1000, 1024), At(1));
  EXPECT_THAT(Describe(pool_.Poll(At(1))),
              ElementsAre("+0s TaskStarting big#1", "+1s TaskRunning big#1",
                          "+1s TaskFailed too-big#1 simulated: node node-b lacks capacity for "
                          "1000m cpu, 1024Mi memory (free 500m cpu, 3072Mi memory)"));
  // big exits at +11s; a start at that very time sees the freed capacity.
  pool_.Execute(Start("fits", 1, "node-b", {}, 2000, 4096), At(11));
  EXPECT_THAT(
      Describe(pool_.Poll(At(11))),
      ElementsAre("+11s TaskExited big#1 0 exited with code 0", "+11s TaskStarting fits#1"));
}

TEST_F(SimulatedVmPoolTest, CapacityIsNotEnforcedWhenDisabled) {
  SimulatedVmPoolOptions options;
  options.enforce_capacity = false;
  SimulatedVmPool pool(TwoNodes(), options);
  pool.Poll(kT0);
  pool.Execute(Start("huge", 1, "node-b", {}, 64000, 1 << 20), At(0));
  EXPECT_THAT(Describe(pool.Poll(At(0))), ElementsAre("+0s TaskStarting huge#1"));
}

TEST_F(SimulatedVmPoolTest, KillNodeDropsItsTasksSilentlyAndReviveBringsItBackEmpty) {
  pool_.Execute(Start("on-a", 1, "node-a"), At(0));
  pool_.Execute(Start("on-b", 1, "node-b"), At(0));
  EXPECT_EQ(pool_.Poll(At(2)).size(), 4u);

  EXPECT_TRUE(pool_.KillNode("node-a", At(5)));
  EXPECT_FALSE(pool_.KillNode("node-a", At(5)));  // Already down.
  EXPECT_FALSE(pool_.KillNode("node-z", At(5)));  // Unknown.
  EXPECT_EQ(pool_.RunningTasks(), 1);
  EXPECT_THAT(pool_.TasksOn("node-a"), IsEmpty());
  EXPECT_THAT(Describe(pool_.Poll(At(5))),
              ElementsAre("+5s NodeDown node-a simulated node failure"));

  pool_.Execute(Start("late", 1, "node-a"), At(6));
  EXPECT_THAT(Describe(pool_.Poll(At(6))),
              ElementsAre("+6s TaskFailed late#1 simulated: node node-a is down"));

  EXPECT_TRUE(pool_.ReviveNode("node-a", At(20)));
  EXPECT_FALSE(pool_.ReviveNode("node-a", At(20)));  // Already up.
  EXPECT_THAT(Describe(pool_.Poll(At(20))), ElementsAre("+20s NodeUp node-a 4000m 8192Mi {}"));
  // on-a's exit at +31s never comes; on-b's does.
  EXPECT_THAT(Describe(pool_.Poll(At(100))),
              ElementsAre("+31s TaskExited on-b#1 0 exited with code 0"));

  // The revived node has its full capacity again.
  pool_.Execute(Start("full", 1, "node-a", {}, 4000, 8192), At(101));
  EXPECT_THAT(Describe(pool_.Poll(At(101))), ElementsAre("+1m41s TaskStarting full#1"));
}

TEST_F(SimulatedVmPoolTest, KillNodeTakesACustomReason) {
  pool_.KillNode("node-b", At(1), "spot eviction");
  EXPECT_THAT(Describe(pool_.Poll(At(1))), ElementsAre("+1s NodeDown node-b spot eviction"));
}

TEST_F(SimulatedVmPoolTest, TimeNeverGoesBackwards) {
  pool_.Poll(At(50));
  pool_.Execute(Start("job-a", 1, "node-a"), At(10));  // Taken as +50s.
  EXPECT_THAT(Describe(pool_.Poll(At(60))),
              ElementsAre("+50s TaskStarting job-a#1", "+51s TaskRunning job-a#1"));
}

TEST_F(SimulatedVmPoolTest, TasksOnIsSortedAndUnknownNodesAreEmpty) {
  pool_.Execute(Start("zeta", 1, "node-a"), At(0));
  pool_.Execute(Start("alpha", 1, "node-a"), At(0));
  pool_.Execute(Start("mid", 1, "node-a"), At(0));
  EXPECT_THAT(pool_.TasksOn("node-a"), ElementsAre("alpha", "mid", "zeta"));
  EXPECT_THAT(pool_.TasksOn("nope"), IsEmpty());
}

// Drives a pool through a fixed script with many tasks and returns every event it reported.
std::vector<std::string> RunScript() {
  std::vector<SimulatedNode> nodes;
  for (int i = 0; i < 10; ++i) {
    nodes.push_back(SimulatedNode{absl::StrCat("n", i), Resources{8000, 32768}, {}});
  }
  SimulatedVmPool pool(nodes);
  std::vector<std::string> log = Describe(pool.Poll(kT0));
  for (int i = 0; i < 500; ++i) {
    const std::string job = absl::StrCat("j", i);
    pool.Execute(Start(job, 1, absl::StrCat("n", i % 10),
                       {{"spillway.sim/duration", absl::StrCat((i * 7919) % 120, "s")}}, 100, 64),
                 At(i / 10));
    if (i % 17 == 0) pool.Execute(Stop(absl::StrCat("j", i / 2), 1, "", "test"), At(i / 10));
    if (i == 250) pool.KillNode("n3", At(i / 10));
    if (i % 5 == 0) {
      for (const std::string& line : Describe(pool.Poll(At(i / 10)))) log.push_back(line);
    }
  }
  for (const std::string& line : Describe(pool.Poll(At(10000)))) log.push_back(line);
  return log;
}

TEST(SimulatedVmPoolDeterminismTest, SameCallsSameEventsInTimeOrder) {
  const std::vector<std::string> first = RunScript();
  EXPECT_EQ(first, RunScript());
  EXPECT_GT(first.size(), 1000u);
}

TEST(SimulatedVmPoolDeterminismTest, EventTimesNeverDecrease) {
  SimulatedVmPool pool({SimulatedNode{"n", Resources{1000000, 1000000}, {}}});
  for (int i = 0; i < 1000; ++i) {
    pool.Execute(Start(absl::StrCat("j", i), 1, "n",
                       {{"spillway.sim/duration", absl::StrCat((i * 31) % 97, "s")}}),
                 At(i % 50));
  }
  const std::vector<Event> events = pool.Poll(At(100000));
  ASSERT_EQ(events.size(), 1u + 3 * 1000);
  for (size_t i = 1; i < events.size(); ++i) {
    ASSERT_LE(events[i - 1].time, events[i].time) << i;
  }
  EXPECT_EQ(pool.RunningTasks(), 0);
}

TEST(SimulatedBehaviourTest, ParsesLabels) {
  spillway::v1::JobSpec spec;
  (*spec.mutable_labels())["spillway.sim/duration"] = "-5s";
  (*spec.mutable_labels())["spillway.sim/exit-code"] = "not a number";
  (*spec.mutable_labels())["spillway.sim/fail"] = "sometimes";
  SimulatedBehaviour b = SimulatedBehaviourOf(spec, absl::Seconds(30));
  EXPECT_EQ(b.run_time, absl::ZeroDuration());
  EXPECT_EQ(b.exit_code, 0);
  EXPECT_EQ(b.failure, SimulatedBehaviour::Failure::kNone);

  (*spec.mutable_labels())["spillway.sim/exit-code"] = "-9";
  (*spec.mutable_labels())["spillway.sim/duration"] = "250ms";
  b = SimulatedBehaviourOf(spec, absl::Seconds(30));
  EXPECT_EQ(b.run_time, absl::Milliseconds(250));
  EXPECT_EQ(b.exit_code, -9);
}

}  // namespace
}  // namespace spillway
