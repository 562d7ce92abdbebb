// Same events in the same order -> the same actions and the same job states: the core is a pure
// function of its event log. A seeded random workload (submits, cancels, node churn, task reports
// answering the core's own actions, ticks) is generated once and replayed into a second core.
#include <random>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "scheduler/core/core_test_harness.h"

namespace spillway {
namespace {

// A short reservation horizon: the queue is "long" (throttled full passes, deep-queue indexes)
// most of the time.
CoreConfig ShortHorizon(bool index_deep_queue = true) {
  CoreConfig config = CoreHarness::MakeConfig(DefaultPolicy());
  config.max_reservations = 3;
  config.index_deep_queue = index_deep_queue;
  config.policy.set_aci_max_groups(4);  // Bursts get blocked: jobs queue up.
  config.policy.set_aci_creates_per_5min(6);
  return config;
}

// Budgets are drawn from [0, max_wait_s) seconds.
std::vector<Event> RandomWorkload(uint64_t seed, int steps,
                                  CoreConfig config = CoreHarness::MakeConfig(DefaultPolicy()),
                                  int max_wait_s = 120) {
  std::mt19937_64 rng(seed);
  Core driver(std::move(config));
  std::vector<Event> events;
  absl::Time now = absl::FromUnixSeconds(1767225600);
  std::vector<Action> outstanding;
  auto apply = [&](EventBody body) {
    Event e{now, std::move(body)};
    ApplyResult r = driver.Apply(e);
    events.push_back(std::move(e));
    for (auto& a : r.actions) outstanding.push_back(std::move(a));
  };
  for (int i = 0; i < 4; ++i) {
    apply(NodeUp{"vm-" + std::to_string(i), Resources{2000, 4096}, {{"zone", i % 2 ? "a" : "b"}}});
  }
  for (int step = 0; step < steps; ++step) {
    const int roll = static_cast<int>(rng() % 100);
    if (roll < 35) {
      auto spec = MakeSpec("job", 250 * (1 + rng() % 8), 256 * (1 + rng() % 8));
      const int run_s = static_cast<int>(30 + rng() % 600);
      SetDurations(spec, absl::Seconds(run_s), absl::Seconds(rng() % max_wait_s));
      // A quarter of the jobs give no hint: they expect their class's run time (two classes).
      if (run_s % 4 == 0) spec.clear_expected_duration();
      (*spec.mutable_labels())["spillway.io/class"] = run_s % 3 == 0 ? "batch" : "etl";
      spec.set_migratable(rng() % 2 == 0);
      spec.set_priority(static_cast<int>(rng() % 3) * 100);
      if (rng() % 5 == 0) spec.set_restart_policy(spillway::v1::RESTART_POLICY_ON_FAILURE);
      apply(JobSubmitted{spec, ""});
    } else if (roll < 75 && !outstanding.empty()) {
      // Answer one of the core's actions as a backend would.
      const size_t k = rng() % outstanding.size();
      Action a = outstanding[k];
      outstanding.erase(outstanding.begin() + static_cast<long>(k));
      if (auto* s = std::get_if<StartVmTask>(&a)) {
        apply(TaskRunning{s->job_id, s->attempt});
        if (rng() % 2) apply(TaskExited{s->job_id, s->attempt, static_cast<int>(rng() % 2), ""});
      } else if (auto* c = std::get_if<CreateAciGroup>(&a)) {
        if (rng() % 4 == 0) {
          apply(TaskFailed{c->job_id, c->attempt, "InsufficientCapacity"});
        } else {
          apply(TaskRunning{c->job_id, c->attempt});
        }
      } else if (auto* d = std::get_if<DeleteAciGroup>(&a)) {
        apply(AciGroupDeleted{d->group_name});
      }
    } else if (roll < 80) {
      apply(JobCancelled{absl::StrFormat("job-%08d", 1 + rng() % (step + 1)), "test"});
    } else if (roll < 83) {
      const std::string node = "vm-" + std::to_string(rng() % 4);
      if (rng() % 2) {
        apply(NodeDown{node, "test"});
      } else {
        apply(NodeUp{node, Resources{2000, 4096}, {}});
      }
    } else if (roll < 85) {
      apply(NodeDrainRequested{"vm-" + std::to_string(rng() % 4)});
    } else {
      now += absl::Seconds(1 + rng() % 60);
      apply(Tick{});
    }
  }
  return events;
}

struct Replay {
  std::vector<std::string> actions;
  std::vector<std::string> jobs;
};

Replay ReplayInto(const std::vector<Event>& events,
                  CoreConfig config = CoreHarness::MakeConfig(DefaultPolicy())) {
  Core core(std::move(config));
  Replay out;
  for (const Event& e : events) {
    ApplyResult r = core.Apply(e);
    for (const auto& a : r.actions) out.actions.push_back(DescribeAction(a));
  }
  std::string next;
  for (const auto* job : core.ListJobs({}, "", 100000, &next)) {
    // Deterministic serialization: proto maps have no fixed order otherwise.
    std::string bytes;
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    job->SerializeToCodedStream(&coded);
    coded.Trim();
    out.jobs.push_back(bytes);
  }
  return out;
}

TEST(DeterminismTest, SameEventsGiveSameActionsAndStates) {
  const std::vector<Event> events = RandomWorkload(42, 1500);
  const Replay first = ReplayInto(events);
  const Replay second = ReplayInto(events);
  ASSERT_GT(first.actions.size(), 100u);  // The workload really exercised the core.
  EXPECT_EQ(first.actions, second.actions);
  EXPECT_EQ(first.jobs, second.jobs);
}

TEST(DeterminismTest, TheWorkloadBurstsAndPlaces) {
  const Replay r = ReplayInto(RandomWorkload(7, 1500));
  int vm = 0, aci = 0;
  for (const auto& a : r.actions) {
    vm += a.rfind("StartVmTask", 0) == 0;
    aci += a.rfind("CreateAciGroup", 0) == 0;
  }
  EXPECT_GT(vm, 0);
  EXPECT_GT(aci, 0);
}

// Visiting only the deep-queue jobs whose decision can change gives exactly what visiting every
// job gives: the same actions and the same job records (decisions and reasons included).
// Both with explanations of blocked jobs refreshed on every pass (the workload's ticks are
// seconds apart) and with the ACI-limit gate holding them for an hour.
TEST(DeterminismTest, DeepQueueIndexesChangeNothing) {
  // The default deadline-order window, and one longer than every budget (pure deadline order).
  for (const absl::Duration window : {absl::ZeroDuration(), absl::Hours(24)}) {
    for (uint64_t seed : {3, 11, 12345}) {
      const absl::Duration refresh = seed == 11 ? absl::Hours(1) : absl::Seconds(10);
      auto config = [&](bool indexed) {
        CoreConfig c = ShortHorizon(indexed);
        c.blocked_refresh_interval = refresh;
        if (window > absl::ZeroDuration()) {
          *c.policy.mutable_deadline_order_window() = ToProtoDuration(window);
        }
        return c;
      };
      const std::vector<Event> events = RandomWorkload(seed, 3000, config(true), 1800);
      const Replay indexed = ReplayInto(events, config(/*indexed=*/true));
      const Replay visit_all = ReplayInto(events, config(/*indexed=*/false));
      ASSERT_GT(indexed.actions.size(), 100u);
      EXPECT_EQ(indexed.actions, visit_all.actions) << "seed " << seed;
      EXPECT_EQ(indexed.jobs, visit_all.jobs) << "seed " << seed;
    }
  }
}

// Holding blocked jobs while ACI's limits keep them from starting changes no action, only how
// fresh their explanations are.
TEST(DeterminismTest, HoldingBlockedJobsChangesNoAction) {
  int stale = 0;
  for (uint64_t seed : {5, 17, 2024}) {
    auto config = [&](absl::Duration refresh) {
      CoreConfig c = ShortHorizon(/*indexed=*/true);
      c.blocked_refresh_interval = refresh;
      return c;
    };
    const std::vector<Event> events =
        RandomWorkload(seed, 3000, config(absl::ZeroDuration()), 1800);
    const Replay held = ReplayInto(events, config(absl::Hours(1)));
    const Replay every_pass = ReplayInto(events, config(absl::ZeroDuration()));
    ASSERT_GT(held.actions.size(), 100u);
    EXPECT_EQ(held.actions, every_pass.actions) << "seed " << seed;
    stale += held.jobs != every_pass.jobs;
  }
  EXPECT_GT(stale, 0);  // The gate did hold jobs (and only their explanations went stale).
}

std::string Deterministic(const google::protobuf::Message& m) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

// A core restored from a snapshot taken mid-way behaves exactly like the core that kept going.
TEST(SnapshotTest, RestoredCoreContinuesIdentically) {
  for (const bool short_horizon : {false, true}) {
    const CoreConfig config =
        short_horizon ? ShortHorizon() : CoreHarness::MakeConfig(DefaultPolicy());
    const std::vector<Event> events = RandomWorkload(99, 1500, config);
    for (size_t cut : {size_t{1}, events.size() / 3, events.size() / 2, events.size() - 1}) {
      Core original(config);
      for (size_t i = 0; i < cut; ++i) original.Apply(events[i]);
      // Through bytes, as the store keeps it.
      spillway::core::v1::CoreSnapshot snapshot;
      ASSERT_TRUE(snapshot.ParseFromString(original.Snapshot().SerializeAsString()));
      Core restored(config);
      ASSERT_TRUE(restored.Restore(snapshot).ok());
      EXPECT_EQ(Deterministic(restored.Snapshot()), Deterministic(original.Snapshot())) << cut;
      std::vector<std::string> a, b;
      for (size_t i = cut; i < events.size(); ++i) {
        for (const auto& x : original.Apply(events[i]).actions) a.push_back(DescribeAction(x));
        for (const auto& x : restored.Apply(events[i]).actions) b.push_back(DescribeAction(x));
      }
      EXPECT_EQ(a, b) << "cut at " << cut;
      EXPECT_EQ(Deterministic(restored.Snapshot()), Deterministic(original.Snapshot())) << cut;
    }
  }
}

// A live core that forgets old finished jobs holds what a core restored from the compacted
// snapshot holds, and both go on identically.
TEST(SnapshotTest, ForgettingFinishedJobsMatchesRestoringTheCompactedSnapshot) {
  const CoreConfig config = CoreHarness::MakeConfig(DefaultPolicy());
  const std::vector<Event> events = RandomWorkload(7, 1500, config);
  const size_t cut = events.size() * 2 / 3;
  Core original(config);
  for (size_t i = 0; i < cut; ++i) original.Apply(events[i]);
  const absl::Time before = events[cut - 1].time - absl::Minutes(10);
  spillway::core::v1::CoreSnapshot snapshot;
  ASSERT_TRUE(snapshot.ParseFromString(original.Snapshot(before).SerializeAsString()));
  const size_t jobs_before = original.Snapshot().jobs_size();
  const int forgotten = original.ForgetFinished(before);
  ASSERT_GT(forgotten, 0);
  EXPECT_EQ(original.Snapshot().jobs_size() + forgotten, jobs_before);
  EXPECT_EQ(original.ForgetFinished(before), 0);  // Nothing left to forget.
  Core restored(config);
  ASSERT_TRUE(restored.Restore(snapshot).ok());
  EXPECT_EQ(Deterministic(original.Snapshot()), Deterministic(restored.Snapshot()));
  std::vector<std::string> a, b;
  for (size_t i = cut; i < events.size(); ++i) {
    for (const auto& x : original.Apply(events[i]).actions) a.push_back(DescribeAction(x));
    for (const auto& x : restored.Apply(events[i]).actions) b.push_back(DescribeAction(x));
  }
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_EQ(Deterministic(original.Snapshot()), Deterministic(restored.Snapshot()));
}

TEST(SnapshotTest, ForgetsOldFinishedJobsAndTheirKeysOnly) {
  CoreHarness h;
  h.AddNode("vm-1", 2000, 4096);
  const std::string old_done = h.Submit(MakeSpec("old", 100, 100), "k-old");
  h.Run(old_done, 1);
  h.Do(TaskExited{old_done, 1, 0, ""});
  h.Advance(absl::Hours(48));
  const std::string running = h.Submit(MakeSpec("running", 100, 100), "k-new");
  h.Run(running, 1);
  const auto snapshot = h.core().Snapshot(h.now() - absl::Hours(24));
  Core restored(CoreHarness::MakeConfig({}));
  ASSERT_TRUE(restored.Restore(snapshot).ok());
  EXPECT_EQ(restored.FindJob(old_done), nullptr);
  ASSERT_NE(restored.FindJob(running), nullptr);
  EXPECT_EQ(restored.pool().Find("vm-1")->allocated, (Resources{100, 100}));
  // The remaining key still deduplicates; ids keep counting up (never reused).
  ApplyResult again =
      restored.Apply({h.now(), JobSubmitted{MakeSpec("running", 100, 100), "k-new"}});
  EXPECT_EQ(again.job_id, running);
  ApplyResult fresh = restored.Apply({h.now(), JobSubmitted{MakeSpec("x", 100, 100), ""}});
  EXPECT_EQ(fresh.job_id, "job-00000003");
}

}  // namespace
}  // namespace spillway
