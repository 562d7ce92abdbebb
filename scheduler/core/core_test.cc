#include "scheduler/core/core.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/core/core_test_harness.h"

namespace spillway {
namespace {

using spillway::v1::JobState;
using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST(CoreTest, PlacesOnVmAndFollowsLifecycleToSuccess) {
  CoreHarness h;
  h.AddNode("vm-1", 2000, 4096);
  const std::string id = h.Submit(MakeSpec("a", 500, 512));
  auto starts = h.Take<StartVmTask>();
  ASSERT_THAT(starts, SizeIs(1));
  EXPECT_EQ(starts[0].job_id, id);
  EXPECT_EQ(starts[0].node_id, "vm-1");
  EXPECT_EQ(starts[0].attempt, 1);
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PLACED);
  EXPECT_EQ(h.core().pool().Find("vm-1")->allocated, (Resources{500, 512}));

  h.Run(id, 1);
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_RUNNING);
  h.Do(TaskExited{id, 1, 0, ""});
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(h.core().pool().Find("vm-1")->allocated, (Resources{0, 0}));
  EXPECT_EQ(h.JobOf(id).reason(), "exited with code 0");
  // Defaults are stored explicitly.
  EXPECT_EQ(h.JobOf(id).spec().burst_mode(), spillway::v1::BURST_MODE_ALLOWED);
  EXPECT_EQ(h.JobOf(id).spec().restart_policy(), spillway::v1::RESTART_POLICY_NEVER);

  std::vector<JobState> states;
  for (const auto& t : h.JobOf(id).history()) states.push_back(t.state());
  EXPECT_EQ(states, (std::vector<JobState>{
                        spillway::v1::JOB_STATE_PENDING, spillway::v1::JOB_STATE_PLACED,
                        spillway::v1::JOB_STATE_STARTING, spillway::v1::JOB_STATE_RUNNING,
                        spillway::v1::JOB_STATE_SUCCEEDED}));
  // Revisions strictly increase along the history.
  for (int i = 1; i < h.JobOf(id).history_size(); ++i) {
    EXPECT_LT(h.JobOf(id).history(i - 1).revision(), h.JobOf(id).history(i).revision());
  }
}

TEST(CoreTest, IdempotencyKeyReturnsSameJobAndRejectsDifferentSpec) {
  CoreHarness h;
  h.AddNode("vm-1", 2000, 4096);
  ApplyResult first = h.Do(JobSubmitted{MakeSpec("a", 500, 512), "key-1"});
  ApplyResult again = h.Do(JobSubmitted{MakeSpec("a", 500, 512), "key-1"});
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(first.job_id, again.job_id);
  EXPECT_THAT(h.Take<StartVmTask>(), SizeIs(1));  // Placed once.
  ApplyResult other = h.Do(JobSubmitted{MakeSpec("b", 500, 512), "key-1"});
  EXPECT_EQ(other.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(other.status.message()), HasSubstr("idempotency_key"));
}

TEST(CoreTest, QueueRunsHigherPriorityFirstThenArrival) {
  CoreHarness h;
  h.AddNode("vm-1", 1000, 4096);
  auto blocker = MakeSpec("blocker", 1000, 512);
  blocker.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  const std::string b = h.Submit(blocker);
  auto low = MakeSpec("low", 1000, 512);
  low.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  auto high = low;
  high.set_name("high");
  high.set_priority(100);
  const std::string l1 = h.Submit(low);
  const std::string l2 = h.Submit(low);
  const std::string hi = h.Submit(high);
  h.Take();
  h.Run(b, 1);
  h.Do(TaskExited{b, 1, 0, ""});
  auto starts = h.Take<StartVmTask>();
  ASSERT_THAT(starts, SizeIs(1));
  EXPECT_EQ(starts[0].job_id, hi);
  h.Run(hi, 1);
  h.Do(TaskExited{hi, 1, 0, ""});
  starts = h.Take<StartVmTask>();
  ASSERT_THAT(starts, SizeIs(1));
  EXPECT_EQ(starts[0].job_id, l1);
  EXPECT_EQ(h.StateOf(l2), spillway::v1::JOB_STATE_PENDING);
}

TEST(CoreTest, BurstsOnlyWhenPredictedWaitBreaksTheBudget) {
  CoreHarness h;
  h.AddNode("vm-1", 1000, 2048);
  auto long_job = MakeSpec("long", 1000, 1024);
  SetDurations(long_job, absl::Minutes(10), absl::Minutes(1));
  const std::string running = h.Submit(long_job);
  h.Run(running, 1);
  h.Take();

  auto patient = MakeSpec("patient", 1000, 1024);
  SetDurations(patient, absl::Minutes(5), absl::Hours(1));  // Budget 1h > wait ~10m.
  const std::string p = h.Submit(patient);
  auto urgent = MakeSpec("urgent", 1000, 1024);
  SetDurations(urgent, absl::Minutes(5), absl::Seconds(60));  // Budget 60s < wait.
  const std::string u = h.Submit(urgent);

  EXPECT_EQ(h.StateOf(p), spillway::v1::JOB_STATE_PENDING);
  EXPECT_THAT(h.JobOf(p).last_decision().message(), HasSubstr("within budget"));
  EXPECT_EQ(h.StateOf(u), spillway::v1::JOB_STATE_PLACED);
  EXPECT_EQ(h.JobOf(u).backend(), spillway::v1::BACKEND_ACI);
  auto creates = h.Take<CreateAciGroup>();
  ASSERT_THAT(creates, SizeIs(1));
  EXPECT_EQ(creates[0].job_id, u);
  EXPECT_EQ(creates[0].group_name, "sw-test-job-00000003-a1");
  const auto& decision = h.JobOf(u).last_decision();
  EXPECT_EQ(decision.outcome(), "burst");
  EXPECT_THAT(decision.message(), HasSubstr("> budget 60s"));
  EXPECT_THAT(decision.message(), HasSubstr("est. cost $"));
  // Its deadline is earlier, so it queues ahead of `patient`: still 10 min for the running job.
  EXPECT_EQ(decision.predicted_vm_wait().seconds(), 10 * 60);
  EXPECT_EQ(decision.rejections().at("insufficient cpu"), 1);
}

TEST(CoreTest, DoesNotBurstWhenVmFreesSoonerThanAciStarts) {
  CoreHarness h;  // ACI start latency 25s by default.
  h.AddNode("vm-1", 1000, 2048);
  auto short_job = MakeSpec("short", 1000, 1024);
  SetDurations(short_job, absl::Seconds(10), absl::Seconds(60));
  const std::string s = h.Submit(short_job);
  h.Run(s, 1);
  auto next = MakeSpec("next", 1000, 1024);
  SetDurations(next, absl::Minutes(1), absl::Seconds(5));  // Budget 5s, wait 10s.
  const std::string n = h.Submit(next);
  EXPECT_EQ(h.StateOf(n), spillway::v1::JOB_STATE_PENDING);
  EXPECT_THAT(h.JobOf(n).reason(), HasSubstr("not longer than ACI start"));
  EXPECT_THAT(h.Take<CreateAciGroup>(), SizeIs(0));
}

TEST(CoreTest, VmOnlyJobsNeverBurstAndAciOnlyAlwaysDo) {
  CoreHarness h;
  h.AddNode("vm-1", 1000, 2048);
  auto vm_only = MakeSpec("vm", 4000, 1024);  // Bigger than any node: infeasible, VM only.
  vm_only.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  const std::string v = h.Submit(vm_only);
  auto aci_only = MakeSpec("aci", 100, 128);
  aci_only.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  const std::string a = h.Submit(aci_only);
  EXPECT_EQ(h.StateOf(v), spillway::v1::JOB_STATE_PENDING);
  EXPECT_EQ(h.JobOf(v).last_decision().outcome(), "infeasible");
  EXPECT_EQ(h.JobOf(a).backend(), spillway::v1::BACKEND_ACI);
  auto cluster = h.core().Cluster(h.now());
  EXPECT_EQ(cluster.queue_by_reason().at("infeasible"), 1);
}

TEST(CoreTest, AciLimitsKeepJobsQueuedWithTheReason) {
  spillway::v1::Policy policy = DefaultPolicy();
  policy.set_aci_max_groups(1);
  CoreHarness h(policy);
  auto aci_only = MakeSpec("aci", 1000, 1024);
  aci_only.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  const std::string first = h.Submit(aci_only);
  const std::string second = h.Submit(aci_only);
  EXPECT_EQ(h.StateOf(first), spillway::v1::JOB_STATE_PLACED);
  EXPECT_EQ(h.StateOf(second), spillway::v1::JOB_STATE_PENDING);
  EXPECT_THAT(h.JobOf(second).reason(), HasSubstr("limit of 1 groups"));
  auto cluster = h.core().Cluster(h.now());
  EXPECT_EQ(cluster.queue_by_reason().at("aci-max-groups"), 1);
  EXPECT_THAT(cluster.burst_status(), HasSubstr("blocked"));
  // When the first group is gone the second may burst.
  h.Run(first, 1);
  h.Do(TaskExited{first, 1, 0, ""});
  auto deletes = h.Take<DeleteAciGroup>();
  ASSERT_THAT(deletes, SizeIs(1));
  h.Do(AciGroupDeleted{deletes[0].group_name});
  EXPECT_EQ(h.StateOf(second), spillway::v1::JOB_STATE_PLACED);
}

TEST(CoreTest, SpendBudgetCapsTheSpendRate) {
  spillway::v1::Policy policy = DefaultPolicy();
  // One 1 vCPU / 1 GiB group costs 44950 micro-USD per hour; allow one, not two.
  policy.set_spend_budget_micro_usd_per_hour(60000);
  CoreHarness h(policy);
  auto aci_only = MakeSpec("aci", 1000, 1024);
  aci_only.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  h.Submit(aci_only);
  const std::string second = h.Submit(aci_only);
  EXPECT_EQ(h.StateOf(second), spillway::v1::JOB_STATE_PENDING);
  EXPECT_THAT(h.JobOf(second).reason(), HasSubstr("spend rate would be $0.0899/h"));
}

TEST(CoreTest, CreateRateBudgetIsASlidingWindow) {
  spillway::v1::Policy policy = DefaultPolicy();
  policy.set_aci_creates_per_5min(2);
  CoreHarness h(policy);
  auto aci_only = MakeSpec("aci", 100, 128);
  aci_only.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  for (int i = 0; i < 3; ++i) h.Submit(aci_only);
  EXPECT_THAT(h.Take<CreateAciGroup>(), SizeIs(2));
  h.Advance(absl::Minutes(4));
  EXPECT_THAT(h.Take<CreateAciGroup>(), SizeIs(0));
  h.Advance(absl::Minutes(1) + absl::Seconds(1));
  EXPECT_THAT(h.Take<CreateAciGroup>(), SizeIs(1));
}

TEST(CoreTest, BackfillNeverDelaysTheReservedJob) {
  CoreHarness h;
  h.AddNode("vm-1", 2000, 4096);
  auto half = MakeSpec("half", 1000, 1024);
  SetDurations(half, absl::Minutes(10), absl::Hours(1));
  const std::string running = h.Submit(half);
  h.Run(running, 1);
  // A big VM-only job needs the whole node: it reserves vm-1 from t+10m.
  auto big = MakeSpec("big", 2000, 2048);
  big.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  SetDurations(big, absl::Minutes(10), absl::Hours(1));
  const std::string b = h.Submit(big);
  EXPECT_EQ(h.JobOf(b).last_decision().predicted_vm_wait().seconds(), 600);
  h.Take();
  // A small long job would still be running at t+10m: it must wait.
  auto small_long = MakeSpec("small-long", 500, 512);
  small_long.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  SetDurations(small_long, absl::Minutes(30), absl::Hours(1));
  const std::string sl = h.Submit(small_long);
  EXPECT_EQ(h.StateOf(sl), spillway::v1::JOB_STATE_PENDING);
  EXPECT_EQ(h.JobOf(sl).last_decision().rejections().at("reserved for a queued job"), 1);
  // A small short job ends before the reservation: it backfills.
  auto small_short = MakeSpec("small-short", 500, 512);
  small_short.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  SetDurations(small_short, absl::Minutes(5), absl::Hours(1));
  const std::string ss = h.Submit(small_short);
  EXPECT_EQ(h.StateOf(ss), spillway::v1::JOB_STATE_PLACED);
  EXPECT_EQ(h.JobOf(ss).node_id(), "vm-1");
}

// Two 8-vCPU nodes with 2 and 3 vCPU free; a 4-vCPU job with `budget` waits for vm-1 (reserved
// from t+10s), vm-2 could take it from t+20s. Then a patient 3-vCPU job arrives; returns it.
std::string KeptNodeScenario(CoreHarness& h, absl::Duration budget,
                             spillway::v1::BurstMode mode = spillway::v1::BURST_MODE_ALLOWED) {
  h.AddNode("vm-1", 8000, 32768);
  h.AddNode("vm-2", 8000, 32768);
  auto six = MakeSpec("six", 6000, 1024);
  SetDurations(six, absl::Seconds(10), absl::Hours(1));
  auto five = MakeSpec("five", 5000, 1024);
  SetDurations(five, absl::Seconds(20), absl::Hours(1));
  const std::string on_vm1 = h.Submit(six);
  const std::string on_vm2 = h.Submit(five);
  h.Run(on_vm1, 1);
  h.Run(on_vm2, 1);
  EXPECT_EQ(h.JobOf(on_vm1).node_id(), "vm-1");
  EXPECT_EQ(h.JobOf(on_vm2).node_id(), "vm-2");
  auto big = MakeSpec("big", 4000, 1024);
  SetDurations(big, absl::Seconds(30), budget);
  big.set_burst_mode(mode);
  const std::string b = h.Submit(big);
  EXPECT_EQ(h.StateOf(b), spillway::v1::JOB_STATE_PENDING);
  EXPECT_EQ(h.JobOf(b).last_decision().predicted_vm_wait().seconds(), 10);
  auto patient = MakeSpec("patient", 3000, 1024);
  SetDurations(patient, absl::Seconds(100), absl::Minutes(30));
  return h.Submit(patient);
}

TEST(CoreTest, NodesThatCouldStartAnUrgentJobAreKeptForIt) {
  // With a minute of budget the big job may soon have to burst: vm-2's room is kept for it.
  CoreHarness urgent;
  const std::string waits = KeptNodeScenario(urgent, absl::Seconds(60));
  EXPECT_EQ(urgent.StateOf(waits), spillway::v1::JOB_STATE_PENDING);
  EXPECT_EQ(urgent.JobOf(waits).last_decision().rejections().at("reserved for a queued job"), 1);
  // With half an hour it keeps only its reservation: the patient job takes vm-2 at once.
  CoreHarness patient;
  const std::string runs = KeptNodeScenario(patient, absl::Minutes(30));
  EXPECT_EQ(patient.StateOf(runs), spillway::v1::JOB_STATE_PLACED);
  EXPECT_EQ(patient.JobOf(runs).node_id(), "vm-2");
  // A VM-only job never has to burst: it keeps only its reservation too.
  CoreHarness vm_only;
  const std::string also_runs =
      KeptNodeScenario(vm_only, absl::Seconds(60), spillway::v1::BURST_MODE_VM_ONLY);
  EXPECT_EQ(vm_only.StateOf(also_runs), spillway::v1::JOB_STATE_PLACED);
}

TEST(CoreTest, CancelStopsTheJobWhereverItRuns) {
  CoreHarness h;
  h.AddNode("vm-1", 1000, 2048);
  const std::string vm = h.Submit(MakeSpec("vm", 1000, 1024));
  auto aci_only = MakeSpec("aci", 1000, 1024);
  aci_only.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  const std::string aci = h.Submit(aci_only);
  auto vm_only = MakeSpec("queued", 1000, 1024);
  vm_only.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  const std::string queued = h.Submit(vm_only);
  h.Take();

  ASSERT_TRUE(h.Do(JobCancelled{queued, "no longer needed"}).status.ok());
  EXPECT_EQ(h.StateOf(queued), spillway::v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(h.core().queue_depth(), 0);

  ASSERT_TRUE(h.Do(JobCancelled{vm, ""}).status.ok());
  auto stops = h.Take<StopVmTask>();
  ASSERT_THAT(stops, SizeIs(1));
  EXPECT_EQ(stops[0].node_id, "vm-1");
  EXPECT_EQ(h.core().pool().Find("vm-1")->allocated, (Resources{0, 0}));

  ASSERT_TRUE(h.Do(JobCancelled{aci, ""}).status.ok());
  auto deletes = h.Take<DeleteAciGroup>();
  ASSERT_THAT(deletes, SizeIs(1));
  EXPECT_EQ(h.StateOf(aci), spillway::v1::JOB_STATE_CANCELLED);

  EXPECT_EQ(h.Do(JobCancelled{aci, ""}).status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.Do(JobCancelled{"job-99999999", ""}).status.code(), absl::StatusCode::kNotFound);
}

TEST(CoreTest, FinishedAciGroupsAreDeletedAtOnceAndBilled) {
  CoreHarness h;
  auto aci_only = MakeSpec("aci", 1000, 1024);
  aci_only.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  const std::string id = h.Submit(aci_only);
  h.Take();
  h.Run(id, 1);
  h.now();
  h.Advance(absl::Hours(1));
  h.Do(TaskExited{id, 1, 0, ""});
  auto deletes = h.Take<DeleteAciGroup>();
  ASSERT_THAT(deletes, SizeIs(1));
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_SUCCEEDED);
  h.Do(AciGroupDeleted{deletes[0].group_name});
  EXPECT_EQ(h.core().AciSpendMicroUsd(h.now()), 44950);
  EXPECT_EQ(h.JobOf(id).attempts(0).cost_micro_usd(), 44950);
  EXPECT_EQ(h.core().Cluster(h.now()).aci_instances_size(), 0);
}

TEST(CoreTest, OnFailureRestartsWithBackoffPossiblyElsewhere) {
  CoreHarness h;  // Back-off 10s doubling.
  h.AddNode("vm-1", 1000, 2048);
  auto spec = MakeSpec("flaky", 500, 512);
  spec.set_restart_policy(spillway::v1::RESTART_POLICY_ON_FAILURE);
  spec.set_max_restarts(2);
  const std::string id = h.Submit(spec);
  h.Run(id, 1);
  h.Take();
  h.Do(TaskExited{id, 1, 3, ""});
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PENDING);
  EXPECT_THAT(h.JobOf(id).reason(), HasSubstr("retrying in 10s"));
  h.Advance(absl::Seconds(9));
  EXPECT_THAT(h.Take<StartVmTask>(), SizeIs(0));
  h.Advance(absl::Seconds(1));
  auto starts = h.Take<StartVmTask>();
  ASSERT_THAT(starts, SizeIs(1));
  EXPECT_EQ(starts[0].attempt, 2);
  h.Run(id, 2);
  h.Do(TaskExited{id, 2, 3, ""});
  EXPECT_THAT(h.JobOf(id).reason(), HasSubstr("retrying in 20s"));
  h.Advance(absl::Seconds(20));
  h.Run(id, 3);
  h.Do(TaskExited{id, 3, 3, ""});
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_FAILED);
  EXPECT_EQ(h.JobOf(id).attempts_size(), 3);
  EXPECT_EQ(h.JobOf(id).attempts(2).exit_code(), 3);
}

TEST(CoreTest, FailedAciCreateDeletesTheGroupAndRetries) {
  CoreHarness h;
  auto aci_only = MakeSpec("aci", 1000, 1024);
  aci_only.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  const std::string id = h.Submit(aci_only);
  h.Take();
  h.Do(TaskFailed{id, 1, "InsufficientCapacity: no capacity in region"});
  auto deletes = h.Take<DeleteAciGroup>();
  ASSERT_THAT(deletes, SizeIs(1));  // A failed group keeps billing until deleted.
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PENDING);
  h.Advance(absl::Seconds(10));
  auto creates = h.Take<CreateAciGroup>();
  ASSERT_THAT(creates, SizeIs(1));
  EXPECT_EQ(creates[0].attempt, 2);
  EXPECT_NE(creates[0].group_name, deletes[0].group_name);
}

TEST(CoreTest, NodeDownReschedulesItsJobsAndStopsStaleReports) {
  CoreHarness h;
  h.AddNode("vm-1", 1000, 2048);
  h.AddNode("vm-2", 1000, 2048);
  const std::string id = h.Submit(MakeSpec("a", 1000, 1024));
  const std::string first_node = h.JobOf(id).node_id();
  h.Run(id, 1);
  h.Take();
  h.Do(NodeDown{first_node, "heartbeat missed"});
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PENDING);
  EXPECT_THAT(h.Take<StopVmTask>(), SizeIs(1));  // In case the node only lost its network.
  h.Advance(absl::Seconds(10));
  auto starts = h.Take<StartVmTask>();
  ASSERT_THAT(starts, SizeIs(1));
  EXPECT_NE(starts[0].node_id, first_node);
  // The old node comes back and reports the old attempt: it is stopped, not run twice.
  h.AddNode(first_node, 1000, 2048);
  h.Do(TaskRunning{id, 1});
  auto stops = h.Take<StopVmTask>();
  ASSERT_THAT(stops, SizeIs(1));
  EXPECT_EQ(stops[0].attempt, 1);
  EXPECT_EQ(h.JobOf(id).attempts_size(), 2);
}

TEST(CoreTest, MigratableAciWorkMovesBackAfterTheStableWindow) {
  spillway::v1::Policy policy = DefaultPolicy();
  *policy.mutable_drain_stable_window() = ToProtoDuration(absl::Minutes(2));
  *policy.mutable_burst_cooldown() = ToProtoDuration(absl::Minutes(1));
  CoreHarness h(policy);
  h.AddNode("vm-1", 1000, 2048);
  auto filler = MakeSpec("filler", 1000, 1024);
  SetDurations(filler, absl::Minutes(30), absl::Minutes(1));
  const std::string f = h.Submit(filler);
  h.Run(f, 1);
  auto worker = MakeSpec("worker", 1000, 1024);
  worker.set_migratable(true);
  SetDurations(worker, absl::Hours(2), absl::Seconds(30));
  const std::string w = h.Submit(worker);
  ASSERT_EQ(h.JobOf(w).backend(), spillway::v1::BACKEND_ACI);
  h.Run(w, 1);
  h.Take();

  h.Do(TaskExited{f, 1, 0, ""});  // Room appears.
  // Drain-back looks at most once per full_pass_interval (1 s): the next tick sees the room.
  h.Advance(absl::Seconds(1));
  h.Advance(absl::Minutes(1));
  EXPECT_THAT(h.Take<StartVmTask>(), SizeIs(0));  // Not stable long enough yet.
  h.Advance(absl::Minutes(1) - absl::Seconds(1));
  EXPECT_THAT(h.Take<StartVmTask>(), SizeIs(0));  // 1 s short of the window.
  h.Advance(absl::Seconds(1));
  auto starts = h.Take<StartVmTask>();
  ASSERT_THAT(starts, SizeIs(1));
  EXPECT_EQ(starts[0].job_id, w);
  EXPECT_EQ(starts[0].attempt, 2);
  EXPECT_THAT(h.Take<DeleteAciGroup>(), SizeIs(0));  // The VM copy must run first.
  EXPECT_EQ(h.StateOf(w), spillway::v1::JOB_STATE_RUNNING);

  h.Run(w, 2);
  auto deletes = h.Take<DeleteAciGroup>();
  ASSERT_THAT(deletes, SizeIs(1));
  EXPECT_EQ(deletes[0].attempt, 1);
  EXPECT_EQ(h.JobOf(w).backend(), spillway::v1::BACKEND_VM);
  EXPECT_EQ(h.JobOf(w).node_id(), "vm-1");
  EXPECT_THAT(h.JobOf(w).reason(), HasSubstr("migrated to vm node vm-1"));
}

TEST(CoreTest, NonMigratableAciWorkFinishesWhereItIs) {
  CoreHarness h;
  h.AddNode("vm-1", 1000, 2048);
  auto filler = MakeSpec("filler", 1000, 1024);
  SetDurations(filler, absl::Minutes(30), absl::Minutes(1));
  const std::string f = h.Submit(filler);
  h.Run(f, 1);
  auto worker = MakeSpec("worker", 1000, 1024);
  SetDurations(worker, absl::Hours(2), absl::Seconds(30));
  const std::string w = h.Submit(worker);
  h.Run(w, 1);
  h.Do(TaskExited{f, 1, 0, ""});
  h.Take();
  h.Advance(absl::Minutes(10));
  EXPECT_THAT(h.Take<StartVmTask>(), SizeIs(0));
  EXPECT_EQ(h.JobOf(w).backend(), spillway::v1::BACKEND_ACI);
}

TEST(CoreTest, DrainingNodeMovesMigratableWorkWithinTheBudget) {
  spillway::v1::Policy policy = DefaultPolicy();
  policy.set_drain_moves_per_minute(1);
  CoreHarness h(policy);
  h.AddNode("vm-1", 2000, 4096);
  auto spec = MakeSpec("m", 1000, 1024);
  spec.set_migratable(true);
  spec.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  const std::string a = h.Submit(spec);
  const std::string b = h.Submit(spec);
  auto pinned_spec = MakeSpec("pinned", 100, 128);
  pinned_spec.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  h.Run(a, 1);
  h.Run(b, 1);
  h.AddNode("vm-2", 2000, 4096);
  h.Take();
  ASSERT_TRUE(h.Do(NodeDrainRequested{"vm-1"}).status.ok());
  auto starts = h.Take<StartVmTask>();
  ASSERT_THAT(starts, SizeIs(1));  // One move per minute.
  EXPECT_EQ(starts[0].node_id, "vm-2");
  h.Advance(absl::Minutes(1));
  EXPECT_THAT(h.Take<StartVmTask>(), SizeIs(1));
  EXPECT_EQ(h.Do(NodeDrainRequested{"vm-9"}).status.code(), absl::StatusCode::kNotFound);
}

TEST(CoreTest, CordonedNodesTakeNoNewWork) {
  CoreHarness h;
  h.AddNode("vm-1", 2000, 4096);
  ASSERT_TRUE(h.Do(NodeCordoned{"vm-1", true}).status.ok());
  auto told = h.Take<SetNodeState>();  // The node's agent hears of it.
  ASSERT_THAT(told, SizeIs(1));
  EXPECT_EQ(told[0].state, spillway::v1::NODE_STATE_CORDONED);
  auto spec = MakeSpec("a", 500, 512);
  spec.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  const std::string id = h.Submit(spec);
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PENDING);
  EXPECT_EQ(h.JobOf(id).last_decision().rejections().at("cordoned"), 1);
  ASSERT_TRUE(h.Do(NodeCordoned{"vm-1", false}).status.ok());
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PLACED);
}

TEST(CoreTest, PolicyUpdatesAreVersionedAndAudited) {
  CoreHarness h;
  spillway::v1::Policy next = h.core().policy();
  *next.mutable_default_max_wait() = ToProtoDuration(absl::Minutes(2));
  EXPECT_EQ(h.Do(PolicyChanged{next, 7, "alice"}).status.code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(h.Do(PolicyChanged{next, 1, "alice"}).status.ok());
  EXPECT_EQ(h.core().policy().version(), 2);
  ASSERT_THAT(h.core().policy_history(), SizeIs(2));
  const auto& change = h.core().policy_history().back();
  EXPECT_EQ(change.caller(), "alice");
  EXPECT_EQ(change.version(), 2);
  ASSERT_EQ(change.diff_size(), 1);
  EXPECT_EQ(change.diff(0), "default_max_wait: 1m -> 2m");
  // A second writer who read version 1 is refused.
  EXPECT_EQ(h.Do(PolicyChanged{next, 1, "bob"}).status.code(), absl::StatusCode::kAborted);
}

TEST(CoreTest, EventLogIsConsecutiveAndForgetsBeyondCapacity) {
  CoreConfig config = CoreHarness::MakeConfig({});
  config.event_log_capacity = 4;
  Core core(config);
  const absl::Time t = absl::FromUnixSeconds(1767225600);
  core.Apply({t, NodeUp{"vm-1", {1000, 1024}, {}}});
  core.Apply({t, JobSubmitted{MakeSpec("a", 100, 100), ""}});  // PENDING, PLACED
  core.Apply({t, JobSubmitted{MakeSpec("b", 100, 100), ""}});  // PENDING, PLACED
  core.Apply({t, JobSubmitted{MakeSpec("c", 100, 100), ""}});  // PENDING, PLACED
  EXPECT_EQ(core.revision(), 6);
  std::vector<spillway::v1::JobEvent> events;
  ASSERT_TRUE(core.EventsSince(2, 100, &events).ok());
  ASSERT_THAT(events, SizeIs(4));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(events[i].revision(), 3 + i);
  events.clear();
  EXPECT_EQ(core.EventsSince(1, 100, &events).code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(core.EventsSince(6, 100, &events).ok());
  EXPECT_THAT(events, SizeIs(0));
}

TEST(CoreFeedbackTest, MeasuredAciStartLatencyChangesTheBurstDecision) {
  CoreHarness h;  // Policy ACI latency 25 s; measured values count after 5 samples.
  auto aci_only = MakeSpec("probe", 100, 128);
  aci_only.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  for (int i = 0; i < 5; ++i) {
    const std::string id = h.Submit(aci_only);
    h.Advance(absl::Seconds(90));  // ACI really takes 90 s to start.
    h.Do(TaskRunning{id, 1});
    h.Do(TaskExited{id, 1, 0, ""});
  }
  EXPECT_EQ(h.core().Cluster(h.now()).beliefs().aci_start_latency_used().seconds(), 90);
  h.AddNode("vm-1", 1000, 2048);
  auto filler = MakeSpec("filler", 1000, 1024);
  SetDurations(filler, absl::Seconds(60), absl::Hours(1));
  h.Run(h.Submit(filler), 1);
  auto next = MakeSpec("next", 1000, 1024);
  SetDurations(next, absl::Minutes(1), absl::Seconds(10));  // Budget 10 s, VM wait 60 s.
  const std::string n = h.Submit(next);
  // With the policy's 25 s it would burst; ACI's measured 90 s start is slower than the pool.
  EXPECT_EQ(h.StateOf(n), spillway::v1::JOB_STATE_PENDING);
  EXPECT_THAT(h.JobOf(n).reason(), HasSubstr("not longer than ACI start 90s"));
}

TEST(CoreFeedbackTest, CircuitBreakerStopsBurstingAndSaysWhy) {
  CoreHarness h;
  auto aci_only = MakeSpec("aci", 100, 128);
  aci_only.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  aci_only.set_max_restarts(1);
  for (int i = 0; i < 5; ++i) {
    const std::string id = h.Submit(aci_only);
    h.Do(TaskFailed{id, 1, "InsufficientCapacity: no capacity in region"});
  }
  h.Take();
  const std::string blocked = h.Submit(aci_only);
  EXPECT_EQ(h.StateOf(blocked), spillway::v1::JOB_STATE_PENDING);
  EXPECT_THAT(h.JobOf(blocked).reason(), HasSubstr("ACI circuit open"));
  auto cluster = h.core().Cluster(h.now());
  EXPECT_EQ(cluster.queue_by_reason().at("aci-circuit-open"), 1);
  EXPECT_EQ(cluster.queue_by_reason().at("retry-backoff"), 5);  // The failed ones, retrying.
  EXPECT_THAT(cluster.burst_status(), HasSubstr("100% of the last 5 ACI creates failed"));
  EXPECT_TRUE(cluster.beliefs().aci_circuit_open());
  EXPECT_THAT(h.Take<CreateAciGroup>(), SizeIs(0));
  h.Advance(absl::Minutes(5));  // Cool-down over: bursting resumes.
  EXPECT_THAT(h.Take<CreateAciGroup>(), SizeIs(6));
}

TEST(CoreFeedbackTest, ObservedRunTimeFeedsWaitPredictions) {
  CoreHarness h;
  h.AddNode("vm-1", 1000, 2048);
  auto spec = MakeSpec("render", 1000, 1024);  // No duration hint: class = image "busybox".
  spec.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  for (int i = 0; i < 5; ++i) {
    const std::string id = h.Submit(spec);
    h.Run(id, 1);
    h.Advance(absl::Minutes(2));
    h.Do(TaskExited{id, 1, 0, ""});
  }
  h.Run(h.Submit(spec), 1);
  const std::string queued = h.Submit(spec);
  EXPECT_EQ(h.JobOf(queued).last_decision().predicted_vm_wait().seconds(), 120);  // Not 10 min.
}

// Each class of jobs without a hint expects its own measured run time.
TEST(CoreFeedbackTest, EachClassExpectsItsOwnRunTime) {
  CoreHarness h;
  h.AddNode("vm-1", 1000, 2048);
  auto of_class = [](const std::string& image) {
    auto spec = MakeSpec(image, 1000, 1024);
    spec.set_image(image);  // No duration hint: class = image.
    spec.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
    return spec;
  };
  for (const auto& [image, minutes] : {std::pair<std::string, int>{"short", 2}, {"long", 7}}) {
    for (int i = 0; i < 5; ++i) {
      const std::string id = h.Submit(of_class(image));
      h.Run(id, 1);
      h.Advance(absl::Minutes(minutes));
      h.Do(TaskExited{id, 1, 0, ""});
    }
  }
  h.Run(h.Submit(of_class("long")), 1);  // Runs for 7 min from now.
  const std::string after_long = h.Submit(of_class("short"));
  const std::string after_short = h.Submit(of_class("long"));
  EXPECT_EQ(h.JobOf(after_long).last_decision().predicted_vm_wait().seconds(), 7 * 60);
  EXPECT_EQ(h.JobOf(after_short).last_decision().predicted_vm_wait().seconds(), 9 * 60);
}

TEST(CoreTest, AnOverrunningJobIsExpectedToRunAQuarterAsLongAgainAsItHasRun) {
  CoreHarness h;
  h.AddNode("vm-1", 1000, 2048);
  auto hint_one_minute = MakeSpec("long-tail", 1000, 1024);
  SetDurations(hint_one_minute, absl::Minutes(1), absl::Hours(1));
  const std::string running = h.Submit(hint_one_minute);
  h.Run(running, 1);
  h.Advance(absl::Minutes(10));  // Ran ten times its estimate: heavy tail.
  auto next = MakeSpec("next", 1000, 1024);
  next.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  const std::string waiting = h.Submit(next);
  // Not "a quarter of the estimate" (15 s): a quarter of its age, 150 s.
  EXPECT_EQ(h.JobOf(waiting).last_decision().predicted_vm_wait().seconds(), 150);
}

// A task's expected end counts from when it started running, not from when it was placed — also
// when a prediction was made while it was still starting.
TEST(CoreTest, ExpectedEndCountsFromTheStartOnceRunning) {
  CoreHarness h;
  h.AddNode("vm-1", 1000, 2048);
  auto first = MakeSpec("first", 1000, 1024);
  SetDurations(first, absl::Minutes(10), absl::Hours(1));
  const std::string running = h.Submit(first);  // Placed now; starts a minute later.
  auto vm_only = [](const std::string& name) {
    auto spec = MakeSpec(name, 1000, 1024);
    SetDurations(spec, absl::Minutes(1), absl::Hours(1));
    spec.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
    return spec;
  };
  h.Advance(absl::Seconds(30));
  const std::string before = h.Submit(vm_only("before"));  // Predicted while still starting.
  EXPECT_EQ(h.JobOf(before).last_decision().predicted_vm_wait().seconds(), 570);
  h.Advance(absl::Seconds(30));
  h.Do(TaskRunning{running, 1});
  const std::string after = h.Submit(vm_only("after"));
  // Ten minutes from the start (now): the first waiting job's minute, then 600 s.
  EXPECT_EQ(h.JobOf(before).last_decision().predicted_vm_wait().seconds(), 600);
  EXPECT_EQ(h.JobOf(after).last_decision().predicted_vm_wait().seconds(), 660);
}

TEST(CoreRecoveryTest, NothingNewIsPlacedUntilTheBackendsReported) {
  CoreHarness h;
  h.AddNode("vm-1", 2000, 4096);
  h.Do(RecoveryStarted{{spillway::v1::BACKEND_VM, spillway::v1::BACKEND_ACI},
                       h.now() + absl::Seconds(30)});
  const std::string id = h.Submit(MakeSpec("a", 500, 512));
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PENDING);
  h.Do(BackendInventory{spillway::v1::BACKEND_VM, {}, {}});
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PENDING);  // ACI has not reported yet.
  h.Do(BackendInventory{spillway::v1::BACKEND_ACI, {}, {}});
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PLACED);
}

TEST(CoreRecoveryTest, DeadlinePassesWithoutInventories) {
  CoreHarness h;
  h.AddNode("vm-1", 2000, 4096);
  h.Do(RecoveryStarted{{spillway::v1::BACKEND_VM}, h.now() + absl::Seconds(30)});
  const std::string id = h.Submit(MakeSpec("a", 500, 512));
  h.Advance(absl::Seconds(29));
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PENDING);
  h.Advance(absl::Seconds(1));
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PLACED);
}

TEST(CoreRecoveryTest, InventoriesFailLostAttemptsAndRemoveWhatIsNotLive) {
  CoreHarness h;
  h.AddNode("vm-1", 2000, 4096);
  const std::string kept = h.Submit(MakeSpec("kept", 500, 512));
  const std::string lost = h.Submit(MakeSpec("lost", 500, 512));
  auto aci = MakeSpec("aci", 500, 512);
  aci.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  const std::string on_aci = h.Submit(aci);
  const std::string group = h.JobOf(on_aci).aci_group();
  h.Run(kept, 1);
  h.Run(lost, 1);
  h.Run(on_aci, 1);
  h.Take();
  h.Do(RecoveryStarted{{spillway::v1::BACKEND_VM, spillway::v1::BACKEND_ACI},
                       h.now() + absl::Seconds(30)});
  // The pool still runs `kept`, and a task the core never heard of.
  h.Do(BackendInventory{
      spillway::v1::BACKEND_VM, {{kept, 1, "vm-1"}, {"job-00000099", 1, "vm-1"}}, {}});
  EXPECT_EQ(h.StateOf(kept), spillway::v1::JOB_STATE_RUNNING);
  EXPECT_EQ(h.StateOf(lost), spillway::v1::JOB_STATE_PENDING);
  EXPECT_THAT(h.JobOf(lost).reason(), HasSubstr("lost while spillwayd was down"));
  std::set<std::string> stopped;
  for (const auto& stop : h.Take<StopVmTask>()) stopped.insert(stop.job_id);
  // The unknown task, and (in case it still runs somewhere) the lost attempt.
  EXPECT_EQ(stopped, (std::set<std::string>{"job-00000099", lost}));
  // ACI runs the job's group and an orphan of this cluster.
  h.Do(BackendInventory{spillway::v1::BACKEND_ACI, {}, {group, "sw-test-job-00000077-a1"}});
  EXPECT_EQ(h.StateOf(on_aci), spillway::v1::JOB_STATE_RUNNING);
  auto deletes = h.Take<DeleteAciGroup>();
  ASSERT_THAT(deletes, SizeIs(1));
  EXPECT_EQ(deletes[0].group_name, "sw-test-job-00000077-a1");
}

TEST(CoreRecoveryTest, AnAciGroupThatNeverAppearedIsRetriedAndDeletedJustInCase) {
  CoreHarness h;
  auto aci = MakeSpec("aci", 500, 512);
  aci.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  const std::string id = h.Submit(aci);
  const std::string group = h.JobOf(id).aci_group();
  h.Take();
  h.Do(RecoveryStarted{{spillway::v1::BACKEND_ACI}, h.now() + absl::Seconds(30)});
  h.Do(BackendInventory{spillway::v1::BACKEND_ACI, {}, {}});  // The PUT never landed.
  EXPECT_EQ(h.StateOf(id), spillway::v1::JOB_STATE_PENDING);
  auto deletes = h.Take<DeleteAciGroup>();  // A create that timed out may still appear.
  ASSERT_THAT(deletes, SizeIs(1));
  EXPECT_EQ(deletes[0].group_name, group);
}

}  // namespace
}  // namespace spillway
