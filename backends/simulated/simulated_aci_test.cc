#include "backends/simulated/simulated_aci.h"

#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/simulated/event_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/model/money.h"

namespace spillway {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

absl::Time At(double seconds) { return kT0 + absl::Seconds(seconds); }

std::vector<std::string> Describe(const std::vector<Event>& events) {
  return DescribeEvents(events, kT0);
}

CreateAciGroup Create(const std::string& job_id, int attempt,
                      std::map<std::string, std::string> labels = {},
                      Resources resources = Resources{1000, 1024}) {
  CreateAciGroup create;
  create.job_id = job_id;
  create.attempt = attempt;
  create.group_name = absl::StrCat("sw-", job_id, "-", attempt);
  create.spec.set_name(job_id);
  create.spec.set_cpu_millis(resources.cpu_millis);
  create.spec.set_memory_mib(resources.memory_mib);
  for (const auto& [k, v] : labels) (*create.spec.mutable_labels())[k] = v;
  create.resources = resources;
  return create;
}

DeleteAciGroup Delete(const std::string& job_id, int attempt, const std::string& reason = "done") {
  return DeleteAciGroup{job_id, attempt, absl::StrCat("sw-", job_id, "-", attempt), reason};
}

TEST(SimulatedAciTest, HandlesOnlyAciActions) {
  SimulatedAci aci;
  EXPECT_TRUE(aci.Handles(Action(CreateAciGroup{})));
  EXPECT_TRUE(aci.Handles(Action(DeleteAciGroup{})));
  EXPECT_FALSE(aci.Handles(Action(StartVmTask{})));
  EXPECT_FALSE(aci.Handles(Action(StopVmTask{})));
}

TEST(SimulatedAciTest, CreateStartsRunsAndExitsButTheGroupLivesUntilDeleted) {
  SimulatedAci aci;
  EXPECT_EQ(aci.NextEventTime(), absl::InfiniteFuture());
  aci.Execute(Create("job-a", 1), At(10));
  EXPECT_EQ(aci.NextEventTime(), At(10));
  EXPECT_THAT(Describe(aci.Poll(At(10))), ElementsAre("+10s TaskStarting job-a#1"));
  EXPECT_EQ(aci.NextEventTime(), At(30));
  EXPECT_THAT(aci.Poll(At(29.999)), IsEmpty());
  EXPECT_THAT(Describe(aci.Poll(At(30))), ElementsAre("+30s TaskRunning job-a#1"));
  EXPECT_EQ(aci.NextEventTime(), At(60));
  EXPECT_THAT(Describe(aci.Poll(At(60))),
              ElementsAre("+1m TaskExited job-a#1 0 exited with code 0"));
  EXPECT_EQ(aci.NextEventTime(), absl::InfiniteFuture());
  EXPECT_EQ(aci.LiveGroups(), 1);
  EXPECT_THAT(aci.LiveGroupNames(), ElementsAre("sw-job-a-1"));

  aci.Execute(Delete("job-a", 1), At(70));
  EXPECT_EQ(aci.LiveGroups(), 0);
  EXPECT_THAT(Describe(aci.Poll(At(70))), ElementsAre("+1m10s AciGroupDeleted sw-job-a-1"));
  EXPECT_EQ(aci.CreatesSeen(), 1);
  EXPECT_EQ(aci.DeletesSeen(), 1);
}

TEST(SimulatedAciTest, LabelsScriptRunTimeExitCodeAndFailures) {
  SimulatedAci aci;
  CreateAciGroup hinted = Create("hinted", 1);
  hinted.spec.mutable_expected_duration()->set_seconds(5);
  aci.Execute(Create("coded", 1, {{"spillway.sim/duration", "2m"}, {"spillway.sim/exit-code", "1"}}),
              At(0));
  aci.Execute(Create("no-start", 1, {{"spillway.sim/fail", "start"}}), At(0));
  aci.Execute(hinted, At(0));
  aci.Execute(Create("oom", 1, {{"spillway.sim/fail", "run"}, {"spillway.sim/duration", "1s"}}),
              At(0));
  EXPECT_THAT(Describe(aci.Poll(At(1000))),
              ElementsAre("+0s TaskStarting coded#1", "+0s TaskStarting no-start#1",
                          "+0s TaskStarting hinted#1", "+0s TaskStarting oom#1",
                          "+20s TaskRunning coded#1",
                          "+20s TaskFailed no-start#1 simulated start failure",
                          "+20s TaskRunning hinted#1", "+20s TaskRunning oom#1",
                          "+21s TaskFailed oom#1 simulated failure while running",
                          "+25s TaskExited hinted#1 0 exited with code 0",
                          "+2m20s TaskExited coded#1 1 exited with code 1"));
  EXPECT_EQ(aci.LiveGroups(), 4);  // Nothing was deleted.
}

TEST(SimulatedAciTest, RepeatedCreateIsAnIdempotentPut) {
  SimulatedAci aci;
  aci.Execute(Create("job-a", 1), At(0));
  aci.Execute(Create("job-a", 1), At(1));
  aci.Execute(Create("job-a", 1), At(40));  // Even after it ran.
  EXPECT_EQ(aci.CreatesSeen(), 3);
  EXPECT_EQ(aci.LiveGroups(), 1);
  EXPECT_THAT(Describe(aci.Poll(At(1000))),
              ElementsAre("+0s TaskStarting job-a#1", "+20s TaskRunning job-a#1",
                          "+50s TaskExited job-a#1 0 exited with code 0"));
  // Billing counts from the first create.
  EXPECT_EQ(aci.SpendMicroUsd(At(3600)), 44950);
}

TEST(SimulatedAciTest, DeleteWhileStartingOrRunningSilencesTheTask) {
  SimulatedAci aci;
  aci.Execute(Create("starting", 1), At(0));
  aci.Execute(Create("running", 1), At(0));
  EXPECT_EQ(aci.Poll(At(25)).size(), 4u);
  aci.Execute(Delete("starting", 1), At(5));  // Taken as +25s: time never goes backwards.
  aci.Execute(Delete("running", 1, "preempted"), At(30));
  EXPECT_THAT(Describe(aci.Poll(At(1000))),
              ElementsAre("+25s AciGroupDeleted sw-starting-1", "+30s AciGroupDeleted sw-running-1"));
  EXPECT_EQ(aci.LiveGroups(), 0);
  EXPECT_EQ(aci.NextEventTime(), absl::InfiniteFuture());
}

TEST(SimulatedAciTest, DeleteBeforeRunningCancelsRunning) {
  SimulatedAci aci;
  aci.Execute(Create("job-a", 1), At(0));
  aci.Execute(Delete("job-a", 1), At(3));
  EXPECT_THAT(Describe(aci.Poll(At(1000))),
              ElementsAre("+0s TaskStarting job-a#1", "+3s AciGroupDeleted sw-job-a-1"));
}

TEST(SimulatedAciTest, DeleteOfAnUnknownGroupStillReportsDeleted) {
  SimulatedAci aci;
  aci.Execute(Delete("ghost", 7), At(1));
  EXPECT_EQ(aci.DeletesSeen(), 1);
  EXPECT_THAT(Describe(aci.Poll(At(1))), ElementsAre("+1s AciGroupDeleted sw-ghost-7"));
}

TEST(SimulatedAciTest, DeleteLatencyKeepsTheGroupBillingUntilItIsGone) {
  SimulatedAciOptions options;
  options.delete_latency = absl::Seconds(10);
  SimulatedAci aci(options);
  aci.Execute(Create("job-a", 1), At(0));
  aci.Execute(Delete("job-a", 1), At(3590));
  EXPECT_EQ(aci.LiveGroups(), 1);
  EXPECT_EQ(aci.NextEventTime(), At(0));  // TaskStarting not yet polled.
  aci.Poll(At(3590));
  EXPECT_EQ(aci.NextEventTime(), At(3600));
  EXPECT_EQ(aci.SpendMicroUsd(At(5000)), 44950);  // Stops at +3600s even if asked later.

  // A second delete while the first is in flight reports again and changes nothing.
  aci.Execute(Delete("job-a", 1), At(3595));
  // A create for a group being deleted conflicts.
  aci.Execute(Create("job-a", 1), At(3596));
  EXPECT_THAT(Describe(aci.Poll(At(3600))),
              ElementsAre("+59m56s TaskFailed job-a#1 Conflict: container group sw-job-a-1 is "
                          "being deleted",
                          "+1h AciGroupDeleted sw-job-a-1"));
  EXPECT_EQ(aci.LiveGroups(), 0);
  EXPECT_THAT(Describe(aci.Poll(At(4000))), ElementsAre("+1h5s AciGroupDeleted sw-job-a-1"));
  EXPECT_EQ(aci.SpendMicroUsd(At(5000)), 44950);
}

TEST(SimulatedAciTest, ReCreateAfterDeleteIsANewGroup) {
  SimulatedAci aci;
  aci.Execute(Create("job-a", 1), At(0));
  aci.Execute(Delete("job-a", 1), At(5));
  aci.Execute(Create("job-a", 1), At(6));
  EXPECT_THAT(Describe(aci.Poll(At(1000))),
              ElementsAre("+0s TaskStarting job-a#1", "+5s AciGroupDeleted sw-job-a-1",
                          "+6s TaskStarting job-a#1", "+26s TaskRunning job-a#1",
                          "+56s TaskExited job-a#1 0 exited with code 0"));
}

TEST(SimulatedAciTest, BillsPerSecondOnTheRequestedSize) {
  SimulatedAci aci;  // $0.0405/vCPU-h, $0.00445/GB-h.
  aci.Execute(Create("job-a", 1, {}, Resources{1000, 1024}), At(0));
  EXPECT_EQ(aci.SpendMicroUsd(At(0)), 0);
  EXPECT_EQ(aci.SpendMicroUsd(At(1)), 13);       // 12.486... rounded up.
  EXPECT_EQ(aci.SpendMicroUsd(At(1800)), 22475);
  EXPECT_EQ(aci.SpendMicroUsd(At(3600)), 44950);
  aci.Execute(Delete("job-a", 1), At(3600));
  EXPECT_EQ(aci.SpendMicroUsd(At(7200)), 44950);  // Billing stopped.

  aci.Execute(Create("job-b", 1, {}, Resources{2000, 4096}), At(7200));
  // 2 vCPU + 4 GB for one hour: 81000 + 17800.
  EXPECT_EQ(aci.SpendMicroUsd(At(10800)), 44950 + 98800);
  EXPECT_EQ(AciCostMicroUsd(Resources{2000, 4096}, absl::Hours(1), AciPrices{40500, 4450}),
            98800);
}

TEST(SimulatedAciTest, PricesAreConfigurable) {
  SimulatedAciOptions options;
  options.prices = AciPrices{100000, 0};  // $0.10 per vCPU-hour, memory free.
  SimulatedAci aci(options);
  aci.Execute(Create("job-a", 1, {}, Resources{500, 1024}), At(0));
  EXPECT_EQ(aci.SpendMicroUsd(At(7200)), 100000);
}

TEST(SimulatedAciTest, CreateFailureStillBillsUntilDeleted) {
  SimulatedAciOptions options;
  options.create_failure_rate = 1.0;
  SimulatedAci aci(options);
  aci.Execute(Create("job-a", 1), At(0));
  EXPECT_THAT(Describe(aci.Poll(At(1000))),
              ElementsAre("+0s TaskStarting job-a#1",
                          "+2s TaskFailed job-a#1 InsufficientCapacity: simulated: the requested "
                          "resource is not available in the location at this moment"));
  EXPECT_EQ(aci.LiveGroups(), 1);
  EXPECT_EQ(aci.SpendMicroUsd(At(3600)), 44950);
  aci.Execute(Delete("job-a", 1), At(3600));
  EXPECT_EQ(aci.LiveGroups(), 0);
  EXPECT_EQ(aci.SpendMicroUsd(At(99999)), 44950);
}

TEST(SimulatedAciTest, QuotaOnGroups) {
  SimulatedAciOptions options;
  options.max_groups = 2;
  SimulatedAci aci(options);
  aci.Execute(Create("a", 1), At(0));
  aci.Execute(Create("b", 1), At(0));
  aci.Execute(Create("c", 1), At(0));
  EXPECT_EQ(aci.LiveGroups(), 2);
  EXPECT_THAT(Describe(aci.Poll(At(0))),
              ElementsAre("+0s TaskStarting a#1", "+0s TaskStarting b#1",
                          "+0s TaskFailed c#1 ContainerGroupQuotaReached: simulated quota of 2 "
                          "container groups reached"));
  aci.Execute(Delete("a", 1), At(1));
  aci.Execute(Create("c", 1), At(1));
  EXPECT_THAT(aci.LiveGroupNames(), ElementsAre("sw-b-1", "sw-c-1"));
  // a and b billed one second each (13 rounded up); c only from its second create.
  EXPECT_EQ(aci.SpendMicroUsd(At(1)), 26);
  EXPECT_EQ(aci.SpendMicroUsd(At(2)), 13 + 25 + 13);  // a 1s, b 2s, c 1s; rounded per group.
}

TEST(SimulatedAciTest, QuotaOnCores) {
  SimulatedAciOptions options;
  options.max_cpu_millis = 4000;
  SimulatedAci aci(options);
  aci.Execute(Create("a", 1, {}, Resources{3000, 1024}), At(0));
  aci.Execute(Create("b", 1, {}, Resources{1500, 1024}), At(0));
  aci.Execute(Create("c", 1, {}, Resources{1000, 1024}), At(0));
  EXPECT_THAT(Describe(aci.Poll(At(0))),
              ElementsAre("+0s TaskStarting a#1",
                          "+0s TaskFailed b#1 ContainerGroupQuotaReached: simulated quota of "
                          "4000m cpu would be exceeded (3000m in use, 1500m requested)",
                          "+0s TaskStarting c#1"));
}

// Creates `n` groups one second apart and returns every event (jitter and failures on).
std::vector<std::string> RunJittery(SimulatedAci& aci, int n) {
  for (int i = 0; i < n; ++i) aci.Execute(Create(absl::StrCat("j", i), 1), At(i));
  return Describe(aci.Poll(At(100000)));
}

SimulatedAciOptions JitteryOptions(uint64_t seed) {
  SimulatedAciOptions options;
  options.start_latency_jitter = absl::Seconds(10);
  options.create_failure_rate = 0.3;
  options.seed = seed;
  return options;
}

TEST(SimulatedAciTest, SameSeedSameEvents) {
  SimulatedAci first(JitteryOptions(7));
  SimulatedAci second(JitteryOptions(7));
  SimulatedAci other(JitteryOptions(8));
  const std::vector<std::string> events = RunJittery(first, 200);
  EXPECT_EQ(events, RunJittery(second, 200));
  EXPECT_NE(events, RunJittery(other, 200));
}

TEST(SimulatedAciTest, InjectedGeneratorMatchesTheSameSeed) {
  std::mt19937_64 bitgen(7);
  SimulatedAci injected(JitteryOptions(12345), bitgen);  // options.seed is ignored.
  SimulatedAci seeded(JitteryOptions(7));
  EXPECT_EQ(RunJittery(injected, 100), RunJittery(seeded, 100));
}

TEST(SimulatedAciTest, JitterAndFailureRateStayInRange) {
  SimulatedAci aci(JitteryOptions(42));
  constexpr int kCreates = 1000;
  for (int i = 0; i < kCreates; ++i) aci.Execute(Create(absl::StrCat("j", i), 1), At(0));
  int failures = 0;
  int running = 0;
  absl::Time earliest = absl::InfiniteFuture();
  absl::Time latest = absl::InfinitePast();
  for (const Event& e : aci.Poll(At(100000))) {
    if (const auto* failed = std::get_if<TaskFailed>(&e.body)) {
      EXPECT_TRUE(absl::StartsWith(failed->reason, "InsufficientCapacity: "));
      EXPECT_EQ(e.time, At(2));
      ++failures;
    }
    if (std::holds_alternative<TaskRunning>(e.body)) {
      ++running;
      earliest = std::min(earliest, e.time);
      latest = std::max(latest, e.time);
    }
  }
  EXPECT_EQ(failures + running, kCreates);
  EXPECT_GT(failures, 220);  // ~300 expected.
  EXPECT_LT(failures, 380);
  EXPECT_GE(earliest, At(20));
  EXPECT_LE(latest, At(30));
  EXPECT_LT(earliest, At(21));  // The spread is actually used.
  EXPECT_GT(latest, At(29));
}

TEST(SimulatedAciTest, EventTimesNeverDecrease) {
  SimulatedAci aci(JitteryOptions(3));
  for (int i = 0; i < 500; ++i) {
    aci.Execute(Create(absl::StrCat("j", i), 1,
                       {{"spillway.sim/duration", absl::StrCat((i * 13) % 60, "s")}}),
                At(i % 40));
    if (i % 7 == 0) aci.Execute(Delete(absl::StrCat("j", i / 2), 1), At(i % 40));
  }
  const std::vector<Event> events = aci.Poll(At(100000));
  for (size_t i = 1; i < events.size(); ++i) {
    ASSERT_LE(events[i - 1].time, events[i].time) << i;
  }
}

}  // namespace
}  // namespace spillway
