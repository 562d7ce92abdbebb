#include "sim/simulation.h"

#include "gtest/gtest.h"
#include "scheduler/model/policy.h"
#include "sim/comparison.h"
#include "sim/reference.h"
#include "sim/report.h"
#include "sim/synthetic.h"

namespace spillway {
namespace sim {
namespace {

// One 1-vCPU node; ACI starts in exactly 20 s.
SimOptions TinyOptions() {
  SimOptions o;
  o.pool.nodes = 1;
  o.pool.node_capacity = {1000, 4096};
  o.aci.start_latency = absl::Seconds(20);
  o.aci.start_latency_jitter = absl::ZeroDuration();
  return o;
}

// A long job fills the node; a second one with a 30 s budget arrives a second later.
Trace TwoJobs() {
  TraceJob a;
  a.duration = absl::Seconds(300);
  a.expected_duration = absl::Seconds(300);
  a.cpu_millis = 1000;
  a.memory_mib = 2048;
  TraceJob b = a;
  b.submit = absl::Seconds(1);
  b.duration = absl::Seconds(60);
  b.expected_duration = absl::Seconds(60);
  b.max_wait = absl::Seconds(30);
  return {a, b};
}

spillway::v1::Policy WithStrategy(spillway::v1::BurstStrategy s, bool burst = true) {
  spillway::v1::Policy p = DefaultPolicy();
  p.set_burst_enabled(burst);
  p.set_burst_strategy(s);
  return p;
}

TEST(SimulationTest, VmOnlyQueuesTheSecondJobPastItsBudget) {
  absl::StatusOr<SimResult> r = Simulate(
      TwoJobs(), WithStrategy(spillway::v1::BURST_STRATEGY_COST_AWARE, false), TinyOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->jobs.size(), 2u);
  EXPECT_TRUE(r->jobs[0].ended && r->jobs[1].ended);
  EXPECT_EQ(r->jobs[0].wait, absl::Seconds(1));  // The agent's start delay.
  EXPECT_GT(r->jobs[1].wait, absl::Seconds(290));
  EXPECT_EQ(r->bursts, 0);
  EXPECT_EQ(r->aci_spend_micro_usd, 0);
  const RunSummary s = Summarize("vm-only", *r, 1, 96000, r->makespan);
  EXPECT_EQ(s.violations, 1);
}

TEST(SimulationTest, CostAwareBurstsTheJobWhoseBudgetWouldBreakAndBillsIt) {
  absl::StatusOr<SimResult> r =
      Simulate(TwoJobs(), WithStrategy(spillway::v1::BURST_STRATEGY_COST_AWARE), TinyOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->jobs[0].ended && r->jobs[1].ended);
  EXPECT_EQ(r->bursts, 1);
  EXPECT_TRUE(r->jobs[1].burst);
  EXPECT_EQ(r->jobs[1].wait, absl::Seconds(20));
  // Billed from create (t=1s) to the delete after its exit (t=81s): 80 s of 1 vCPU + 2 GB.
  EXPECT_EQ(r->aci_spend_micro_usd,
            AciCostMicroUsd(Resources{1000, 2048}, absl::Seconds(80), PricesOf(DefaultPolicy())));
  EXPECT_EQ(r->core_aci_spend_micro_usd, r->aci_spend_micro_usd);
  EXPECT_EQ(r->live_groups_at_end, 0);
  EXPECT_EQ(Summarize("cost-aware", *r, 1, 96000, r->makespan).violations, 0);
}

TEST(SimulationTest, RejectsAnUnsortedTrace) {
  Trace t = TwoJobs();
  std::swap(t[0], t[1]);
  EXPECT_FALSE(Simulate(t, DefaultPolicy(), TinyOptions()).ok());
}

// A small synthetic replay of every strategy: invariants, not speed.
class SyntheticReplayTest : public ::testing::Test {
 protected:
  static SimOptions Options() {
    SimOptions o;
    o.pool.nodes = 2;
    o.pool.node_capacity = {8000, 32768};
    return o;
  }
  static Trace Workload(uint64_t seed) {
    SyntheticOptions s;
    s.length = absl::Hours(1);
    s.pool_cpu_millis = 16000;
    s.target_utilization = 0.9;
    s.bursts_per_day = 48;  // About two within the hour.
    s.max_duration = absl::Minutes(15);
    return GenerateSynthetic(seed, s);
  }
};

TEST_F(SyntheticReplayTest, InvariantsHoldForEveryStrategy) {
  const Trace trace = Workload(3);
  ASSERT_GT(trace.size(), 100u);
  absl::StatusOr<Comparison> c =
      Compare(trace, StrategyPolicies(DefaultPolicy()), Options(), true, nullptr);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->results.size(), 4u);
  ASSERT_EQ(c->rows.size(), 6u);  // Four runs, the lower bound, the clairvoyant schedule.
  for (size_t i = 0; i < c->results.size(); ++i) {
    SCOPED_TRACE(c->names[i]);
    const SimResult& r = c->results[i];
    const RunSummary& row = c->rows[i];
    // Every submitted job ends, and no ACI group outlives the run.
    EXPECT_EQ(row.unfinished, 0);
    for (const JobOutcome& j : r.jobs) EXPECT_TRUE(j.ended);
    EXPECT_EQ(r.live_groups_at_end, 0);
    // Costs add up: the core's account equals ACI's bill; total = pool + ACI.
    EXPECT_EQ(r.core_aci_spend_micro_usd, r.aci_spend_micro_usd);
    EXPECT_EQ(row.total_cost_micro_usd, row.vm_pool_cost_micro_usd + row.aci_spend_micro_usd);
    EXPECT_EQ(row.vm_pool_cost_micro_usd, c->rows[0].vm_pool_cost_micro_usd);
    EXPECT_LE(row.wait_p50, row.wait_p95);
    EXPECT_LE(row.wait_p95, row.wait_p99);
    EXPECT_GE(r.bursts, r.migrations);
    EXPECT_GE(r.migrations, r.flaps);
    // A group is deleted for every create (bursts include retried creates).
    EXPECT_EQ(r.aci_deletes, r.bursts);
  }
  // VM only never creates a group; the bursting strategies do on this overloaded pool.
  EXPECT_EQ(c->results[0].bursts, 0);
  EXPECT_EQ(c->results[0].aci_spend_micro_usd, 0);
  EXPECT_GT(c->results[1].bursts, 0);
  // Bursting when unschedulable never waits longer (p99) than queueing everything.
  EXPECT_LE(c->rows[1].wait_p99, c->rows[0].wait_p99);
  // The reference is a lower bound for any schedule without violations; check it against the
  // real bills where a run had none.
  const RunSummary& reference = c->rows[4];
  const RunSummary& clairvoyant = c->rows[5];
  EXPECT_TRUE(reference.is_reference && !reference.is_upper_bound);
  EXPECT_TRUE(clairvoyant.is_upper_bound);
  EXPECT_LE(reference.aci_spend_micro_usd, clairvoyant.aci_spend_micro_usd);
  for (const RunSummary& row : c->rows) {
    if (!row.is_reference && row.violations == 0) {
      EXPECT_LE(reference.aci_spend_micro_usd, row.aci_spend_micro_usd) << row.name;
    }
  }
}

// The core forgetting finished jobs (bounded memory) changes nothing the replay reports.
TEST_F(SyntheticReplayTest, ForgettingFinishedJobsChangesNoFigure) {
  const std::vector<NamedPolicy> all = StrategyPolicies(DefaultPolicy());
  auto table = [&](absl::Duration forget_after) {
    SimOptions o = Options();
    o.forget_finished_after = forget_after;
    absl::StatusOr<Comparison> c = Compare(Workload(4), {all[1], all[3]}, o, false, nullptr);
    EXPECT_TRUE(c.ok());
    return c.ok() ? MarkdownTable(c->rows) : std::string();
  };
  const std::string kept = table(absl::InfiniteDuration());
  EXPECT_FALSE(kept.empty());
  EXPECT_EQ(table(absl::Minutes(1)), kept);
}

TEST_F(SyntheticReplayTest, SameSeedSameReport) {
  auto report = [&](uint64_t seed) {
    const std::vector<NamedPolicy> all = StrategyPolicies(DefaultPolicy());
    absl::StatusOr<Comparison> c =
        Compare(Workload(seed), {all[1], all[3]}, Options(), true, nullptr);
    EXPECT_TRUE(c.ok());
    return c.ok() ? MarkdownTable(c->rows) : std::string();
  };
  const std::string first = report(5);
  EXPECT_EQ(first, report(5));
  EXPECT_NE(first, report(6));
}

}  // namespace
}  // namespace sim
}  // namespace spillway
