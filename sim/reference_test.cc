#include "sim/reference.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/burst/burst_decision.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"
#include "sim/clairvoyant_capacity.h"

namespace spillway {
namespace sim {
namespace {

TraceJob Job(absl::Duration submit, absl::Duration duration, int64_t cpu, int64_t mem,
             absl::Duration budget) {
  TraceJob j;
  j.submit = submit;
  j.duration = duration;
  j.cpu_millis = cpu;
  j.memory_mib = mem;
  j.max_wait = budget;
  return j;
}

ReferenceInput OneNode() {
  ReferenceInput in;
  in.nodes = 1;
  in.node_capacity = {1000, 100000};
  in.vm_start_delay = absl::Seconds(1);
  in.aci_min_start_latency = absl::Seconds(20);
  return in;
}

TEST(ReferenceTest, ExcessOfCompulsoryPartsIsPricedPerSecond) {
  // Two 1-vCPU jobs of 100 s, budget 10 s, on one 1-vCPU node: both compulsory parts are
  // [9 s, 101 s), so 1 vCPU must be on ACI for 92 s (memory has room).
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(100), 1000, 1024, absl::Seconds(10)),
                   Job(absl::ZeroDuration(), absl::Seconds(100), 1000, 1024, absl::Seconds(10))};
  const Reference r = AciSpendLowerBound(t, DefaultPolicy(), OneNode());
  EXPECT_EQ(r.jobs_with_compulsory_part, 2);
  EXPECT_EQ(r.partition_bound_micro_usd, 40500 * 92 / 3600);  // 1035
  EXPECT_EQ(r.aci_spend_lower_bound_micro_usd, 1035);
  // Yet neither can burst within a 10 s budget (ACI starts in 20 s): no schedule meets both.
  EXPECT_EQ(r.vm_bound_jobs, 2);
  EXPECT_TRUE(r.no_schedule_meets_every_budget);
}

// 1 vCPU + 1 GB on ACI: 40,500 + 4,450 micro-USD an hour.
constexpr double kOneCpuPerSecond = 44950.0 / 3600;

TEST(ReferenceTest, PricesChargeAcisStartLatencyToo) {
  // As above with 20 s budgets: one of the two must burst, and is billed 100 s + 20 s. The
  // partition bound prices only the 82 s of excess ([19 s, 101 s)) at the cpu price; the dual
  // prices the window at what covering it costs: a whole job.
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(100), 1000, 1024, absl::Seconds(20)),
                   Job(absl::ZeroDuration(), absl::Seconds(100), 1000, 1024, absl::Seconds(20))};
  const Reference r = AciSpendLowerBound(t, DefaultPolicy(), OneNode());
  EXPECT_FALSE(r.no_schedule_meets_every_budget);
  EXPECT_EQ(r.partition_bound_micro_usd, static_cast<int64_t>(40500 * 82 / 3600.0));  // 922
  EXPECT_EQ(r.dual_bound_micro_usd, static_cast<int64_t>(120 * kOneCpuPerSecond));    // 1498
  EXPECT_EQ(r.aci_spend_lower_bound_micro_usd, r.dual_bound_micro_usd);
  // The optimum: one burst, 1499 (billed per second, rounded up).
  EXPECT_LE(r.aci_spend_lower_bound_micro_usd,
            AciCostMicroUsd(Resources{1000, 1024}, absl::Seconds(120), PricesOf(DefaultPolicy())));
}

TEST(ReferenceTest, AJobThatCannotBurstWithinItsBudgetIsOnANode) {
  // A (50 s, budget 10 s) must be on the node, so B (100 s, budget 20 s) must burst, although
  // bursting A would be cheaper: without that, the bound would be A's 70 s.
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(50), 1000, 1024, absl::Seconds(10)),
                   Job(absl::ZeroDuration(), absl::Seconds(100), 1000, 1024, absl::Seconds(20))};
  const Reference r = AciSpendLowerBound(t, DefaultPolicy(), OneNode());
  EXPECT_EQ(r.vm_bound_jobs, 1);
  EXPECT_FALSE(r.no_schedule_meets_every_budget);
  EXPECT_EQ(r.aci_spend_lower_bound_micro_usd, static_cast<int64_t>(120 * kOneCpuPerSecond));
}

TEST(ReferenceTest, JobsOverHalfANodeCannotShareOne) {
  // Two 5-vCPU jobs on one 8-vCPU node: the pool's cpu has room for 8 of their 10 vCPU, but a
  // node holds one of them at a time, so one bursts (billed 120 s).
  spillway::v1::Policy p = DefaultPolicy();
  p.set_aci_max_group_cpu_millis(8000);
  ReferenceInput in = OneNode();
  in.node_capacity = {8000, 100000};
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(100), 5000, 1024, absl::Seconds(20)),
                   Job(absl::ZeroDuration(), absl::Seconds(100), 5000, 1024, absl::Seconds(20))};
  const Reference r = AciSpendLowerBound(t, p, in);
  const double rate_per_second = (5 * 40500.0 + 4450.0) / 3600;
  EXPECT_EQ(r.dual_bound_micro_usd, static_cast<int64_t>(120 * rate_per_second));  // 6898
  EXPECT_LT(r.partition_bound_micro_usd, r.dual_bound_micro_usd / 2);
  EXPECT_LE(r.aci_spend_lower_bound_micro_usd,
            AciCostMicroUsd(Resources{5000, 1024}, absl::Seconds(120), PricesOf(p)));
}

TEST(ReferenceTest, NoExcessNoSpendAndLongBudgetsHaveNoCompulsoryPart) {
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(100), 1000, 1024, absl::Seconds(10)),
                   Job(absl::Seconds(200), absl::Seconds(100), 1000, 1024, absl::Seconds(10)),
                   Job(absl::ZeroDuration(), absl::Seconds(30), 1000, 1024, absl::Minutes(5))};
  const Reference r = AciSpendLowerBound(t, DefaultPolicy(), OneNode());
  EXPECT_EQ(r.jobs_with_compulsory_part, 2);
  EXPECT_EQ(r.aci_spend_lower_bound_micro_usd, 0);
}

TEST(ReferenceTest, JobsNoNodeHoldsPayTheirWholeRunAndStartLatency) {
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(340), 2000, 1024, absl::Seconds(60))};
  const Reference r = AciSpendLowerBound(t, DefaultPolicy(), OneNode());
  EXPECT_EQ(r.must_burst_jobs, 1);
  EXPECT_EQ(r.aci_spend_lower_bound_micro_usd,
            AciCostMicroUsd(Resources{2000, 1024}, absl::Seconds(360), PricesOf(DefaultPolicy())));
}

// Exhaustive optimum for tiny traces on one node: over every set of jobs to burst (each within its
// budget), whether the rest fit the node within their budgets. The rest are tried in every order,
// each at its earliest fit: a schedule meeting every budget minimises the largest
// (start - latest start), a regular objective, so some order's earliest-fit schedule is one.
// Returns -1 if no schedule meets every budget.
int64_t Optimum(const Trace& t, const spillway::v1::Policy& p, const ReferenceInput& in) {
  const int64_t delay = absl::ToInt64Milliseconds(in.vm_start_delay);
  const size_t n = t.size();
  int64_t best = -1;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    int64_t cost = 0;
    bool can_burst = true;
    std::vector<int> rest;
    for (size_t j = 0; j < n; ++j) {
      if (!(mask & (1u << j))) {
        rest.push_back(static_cast<int>(j));
        continue;
      }
      can_burst = can_burst && *t[j].max_wait >= in.aci_min_start_latency;
      cost += AciCostMicroUsd(RoundToAciGranularity({t[j].cpu_millis, t[j].memory_mib}),
                              t[j].duration + in.aci_min_start_latency, PricesOf(p));
    }
    if (!can_burst || (best >= 0 && cost >= best)) continue;
    bool fits = false;
    do {
      CapacityTimeline node(Load{in.node_capacity.cpu_millis, in.node_capacity.memory_mib, 0});
      fits = true;
      for (const int j : rest) {
        const int64_t a = absl::ToInt64Milliseconds(t[j].submit);
        const int64_t hold = delay + absl::ToInt64Milliseconds(t[j].duration);
        const Load need{t[j].cpu_millis, t[j].memory_mib, 0};
        const int64_t s =
            node.EarliestFit(a, a + absl::ToInt64Milliseconds(*t[j].max_wait) - delay, hold, need);
        if (s < 0) {
          fits = false;
          break;
        }
        node.Take(s, s + hold, need);
      }
    } while (!fits && std::next_permutation(rest.begin(), rest.end()));
    if (fits) best = cost;
  }
  return best;
}

TEST(ReferenceTest, NeverAboveTheExhaustiveOptimumOnTinyTraces) {
  ReferenceInput in = OneNode();
  in.node_capacity = {2000, 8192};
  int64_t feasible = 0, infeasible = 0, strictly_better = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    auto pick = [&](std::vector<int64_t> xs) {
      return xs[std::uniform_int_distribution<size_t>(0, xs.size() - 1)(rng)];
    };
    Trace t;
    for (int i = 0; i < 6; ++i) {
      t.push_back(Job(absl::Seconds(std::uniform_int_distribution<int>(0, 120)(rng)),
                      absl::Seconds(pick({30, 60, 120, 300})), pick({500, 1000, 2000}),
                      pick({512, 1024, 4096}), absl::Seconds(pick({10, 20, 40, 60, 120}))));
    }
    std::stable_sort(t.begin(), t.end(),
                     [](const TraceJob& a, const TraceJob& b) { return a.submit < b.submit; });
    const Reference r = AciSpendLowerBound(t, DefaultPolicy(), in);
    const int64_t optimum = Optimum(t, DefaultPolicy(), in);
    if (optimum < 0) {
      ++infeasible;
      continue;
    }
    ++feasible;
    EXPECT_FALSE(r.no_schedule_meets_every_budget);  // The flag is only raised when it is so.
    EXPECT_LE(r.aci_spend_lower_bound_micro_usd, optimum);
    if (r.dual_bound_micro_usd > r.partition_bound_micro_usd) ++strictly_better;
  }
  // The sample has both kinds, and the dual is the tighter bound somewhere.
  EXPECT_GT(feasible, 50);
  EXPECT_GT(infeasible, 0);
  EXPECT_GT(strictly_better, 0);
}

}  // namespace
}  // namespace sim
}  // namespace spillway
