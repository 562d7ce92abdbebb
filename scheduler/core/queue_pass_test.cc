// How often the full queue pass runs (core_schedule.cc): on every change while the queue is
// short; with a long queue at most once per full_pass_interval, the head of the queue still
// starting at once in between.
#include "gtest/gtest.h"
#include "scheduler/core/core_test_harness.h"

namespace spillway {
namespace {

using spillway::v1::JobState;

constexpr int kHorizon = 2;  // max_reservations: more than 2 queued = a long queue.

CoreConfig LongQueueConfig(spillway::v1::Policy policy) {
  CoreConfig config = CoreHarness::MakeConfig(std::move(policy));
  config.max_reservations = kHorizon;
  config.full_pass_interval = absl::Seconds(1);
  return config;
}

spillway::v1::JobSpec Job(const std::string& name, int64_t cpu_millis, absl::Duration expected,
                          absl::Duration max_wait) {
  spillway::v1::JobSpec spec = MakeSpec(name, cpu_millis, 512);
  SetDurations(spec, expected, max_wait);
  return spec;
}

// A 1-vCPU node, kept busy by a running 1-vCPU job expected to run `expected`; returns its id.
std::string BusyNode(CoreHarness& h, absl::Duration expected) {
  h.AddNode("vm-1", 1000, 4096);
  const std::string runner = h.Submit(Job("runner", 1000, expected, absl::Hours(2)));
  h.Run(runner, 1);
  return runner;
}

// The id of the one job started since the last Take (a failure, and "", unless exactly one).
std::string OnlyStarted(CoreHarness& h) {
  const std::vector<StartVmTask> started = h.Take<StartVmTask>();
  EXPECT_EQ(started.size(), 1u);
  return started.size() == 1 ? started[0].job_id : "";
}

int64_t DecisionSeconds(const spillway::v1::Job& job) {
  return job.has_last_decision() ? job.last_decision().time().seconds() : -1;
}

TEST(QueuePassTest, ALongQueueIsDecidedAtMostOncePerInterval) {
  spillway::v1::Policy policy = DefaultPolicy();
  policy.set_burst_strategy(spillway::v1::BURST_STRATEGY_AFTER_MAX_WAIT);
  CoreHarness h(LongQueueConfig(policy));
  BusyNode(h, absl::Hours(1));
  const int64_t t0 = absl::ToUnixSeconds(h.now());
  std::vector<std::string> queued;
  for (int i = 0; i < 4; ++i) {
    queued.push_back(h.Submit(Job("q", 1000, absl::Minutes(5), absl::Seconds(60))));
  }
  // The first submits (short queue) were decided at once; the third made the queue long, and a
  // full pass had already run at this instant.
  EXPECT_EQ(DecisionSeconds(h.JobOf(queued[0])), t0);
  EXPECT_EQ(DecisionSeconds(h.JobOf(queued[1])), t0);
  EXPECT_EQ(DecisionSeconds(h.JobOf(queued[3])), -1);
  h.Advance(absl::Milliseconds(500));
  EXPECT_EQ(DecisionSeconds(h.JobOf(queued[3])), -1) << "a full pass within the interval";
  h.Advance(absl::Milliseconds(600));
  EXPECT_EQ(DecisionSeconds(h.JobOf(queued[3])), t0 + 1) << "no full pass after the interval";

  // The fixed-wait strategy bursts at 60 s waited; the pass at 59.5 s keeps everyone queued.
  h.Advance(absl::Milliseconds(58400));  // t0 + 59.5 s
  h.Take();
  Core restored(LongQueueConfig(policy));
  ASSERT_TRUE(restored.Restore(h.core().Snapshot()).ok());
  h.Advance(absl::Milliseconds(700));  // t0 + 60.2 s: budget spent, but within the interval.
  EXPECT_TRUE(h.Take<CreateAciGroup>().empty());
  // A restored core remembers when its last full pass ran.
  EXPECT_TRUE(restored.Apply(Event{h.now(), Tick{}}).actions.empty());
  h.Advance(absl::Milliseconds(300));  // t0 + 60.5 s: a second after the last pass.
  EXPECT_EQ(h.Take<CreateAciGroup>().size(), queued.size());
  for (const std::string& id : queued) EXPECT_EQ(h.JobOf(id).backend(), spillway::v1::BACKEND_ACI);
}

TEST(QueuePassTest, HeadStartsAtOnceAndBackfillWaitsForTheNextPass) {
  spillway::v1::Policy policy = DefaultPolicy();
  policy.set_burst_enabled(false);
  CoreHarness h(LongQueueConfig(policy));
  h.AddNode("vm-1", 2000, 4096);
  const std::string long_runner = h.Submit(Job("long", 1000, absl::Minutes(30), absl::Hours(2)));
  const std::string short_runner = h.Submit(Job("short", 1000, absl::Minutes(1), absl::Hours(2)));
  h.Run(long_runner, 1);
  h.Run(short_runner, 1);
  // Queue: a job needing the whole node (reserves it from the long runner's end), then two small
  // short jobs that fit beside that reservation, then one more whole-node job.
  const std::string big = h.Submit(Job("big", 2000, absl::Minutes(10), absl::Hours(2)));
  const std::string small1 = h.Submit(Job("small", 500, absl::Minutes(2), absl::Hours(2)));
  const std::string small2 = h.Submit(Job("small", 500, absl::Minutes(2), absl::Hours(2)));
  const std::string big2 = h.Submit(Job("big2", 2000, absl::Minutes(10), absl::Hours(2)));
  h.Advance(absl::Seconds(61));
  h.Take();
  // The short runner ends: 1000m free. The head (big) does not fit, so nothing starts at the
  // exit itself: backfilling the small jobs is the full pass's work.
  h.Do(TaskExited{short_runner, 1, 0, ""});
  EXPECT_TRUE(h.Take<StartVmTask>().empty());
  EXPECT_EQ(h.StateOf(small1), JobState::JOB_STATE_PENDING);
  h.Advance(absl::Seconds(1));
  std::vector<StartVmTask> started = h.Take<StartVmTask>();
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].job_id, small1);
  EXPECT_EQ(started[1].job_id, small2);
  EXPECT_EQ(h.StateOf(big), JobState::JOB_STATE_PENDING);

  // Everything else ends within the same second: the head starts at the exit, not a pass later.
  h.Run(small1, 1);
  h.Run(small2, 1);
  h.Do(TaskExited{small1, 1, 0, ""});
  h.Do(TaskExited{small2, 1, 0, ""});
  h.Do(TaskExited{long_runner, 1, 0, ""});
  EXPECT_EQ(OnlyStarted(h), big);
  EXPECT_EQ(h.StateOf(big2), JobState::JOB_STATE_PENDING);
}

// Within a priority the queue runs earliest deadline first, budgets counted up to
// deadline_order_window (150 s): a short-budget job overtakes a patient one that arrived less
// than 150 s minus its budget before it, not one that has waited longer.
TEST(QueuePassTest, EarliestDeadlineFirstWithinTheWindow) {
  spillway::v1::Policy policy = DefaultPolicy();
  policy.set_burst_enabled(false);
  *policy.mutable_deadline_order_window() = ToProtoDuration(absl::Seconds(150));
  CoreHarness h(policy);
  const std::string runner = BusyNode(h, absl::Minutes(10));
  const std::string patient = h.Submit(Job("patient", 1000, absl::Minutes(1), absl::Hours(1)));
  const std::string urgent = h.Submit(Job("urgent", 1000, absl::Minutes(1), absl::Seconds(60)));
  h.Advance(absl::Seconds(100));
  // Deadline t+100s+60s is after patient's t+150s: it queues behind patient.
  const std::string late = h.Submit(Job("late", 1000, absl::Minutes(1), absl::Seconds(60)));
  h.Take();
  h.Do(TaskExited{runner, 1, 0, ""});
  EXPECT_EQ(OnlyStarted(h), urgent);
  h.Run(urgent, 1);
  h.Do(TaskExited{urgent, 1, 0, ""});
  EXPECT_EQ(OnlyStarted(h), patient);
  EXPECT_EQ(h.StateOf(late), JobState::JOB_STATE_PENDING);
}

// Past the reservation horizon a job's predicted wait is only a lower bound (the last reserved
// job's): once ACI would need the rest of its budget to start it, it bursts rather than trust it.
TEST(QueuePassTest, DeepJobsBurstAtTheirLastMoment) {
  CoreConfig config = LongQueueConfig(DefaultPolicy());  // ACI start 25 s: lead 31.25 s.
  config.max_reservations = 1;
  // A ahead of B: both budgets counted as 150 s, so arrival order.
  *config.policy.mutable_deadline_order_window() = ToProtoDuration(absl::Seconds(150));
  CoreHarness h(config);
  BusyNode(h, absl::Minutes(10));
  // A reserves the node from the runner's end (+10 m). B, behind it, really waits until A ends
  // (+20 m) but only sees A's 10 m: within its 10m20s budget, until its last moment (~9m49s).
  const std::string a = h.Submit(Job("a", 1000, absl::Minutes(10), absl::Hours(1)));
  const std::string b = h.Submit(Job("b", 1000, absl::Minutes(10), absl::Seconds(620)));
  h.Take();
  h.Advance(absl::Seconds(580));
  EXPECT_TRUE(h.Take<CreateAciGroup>().empty());
  h.Advance(absl::Seconds(10));  // 9m50s: 30 s of budget left.
  std::vector<CreateAciGroup> created = h.Take<CreateAciGroup>();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].job_id, b);
  EXPECT_NE(h.JobOf(b).last_decision().message().find("last moment"), std::string::npos)
      << h.JobOf(b).last_decision().message();
  EXPECT_EQ(h.StateOf(a), JobState::JOB_STATE_PENDING);
}

}  // namespace
}  // namespace spillway
