#include "sim/comparison.h"

#include <algorithm>

#include "sim/clairvoyant.h"
#include "sim/reference.h"

namespace spillway {
namespace sim {

std::vector<NamedPolicy> StrategyPolicies(const spillway::v1::Policy& base) {
  std::vector<NamedPolicy> out;
  spillway::v1::Policy p = base;
  p.set_burst_enabled(false);
  out.push_back({"vm-only", p});
  const std::pair<const char*, spillway::v1::BurstStrategy> strategies[] = {
      {"when-unschedulable", spillway::v1::BURST_STRATEGY_WHEN_UNSCHEDULABLE},
      {"after-max-wait", spillway::v1::BURST_STRATEGY_AFTER_MAX_WAIT},
      {"cost-aware", spillway::v1::BURST_STRATEGY_COST_AWARE},
  };
  for (const auto& [name, strategy] : strategies) {
    p = base;
    p.set_burst_enabled(true);
    p.set_burst_strategy(strategy);
    out.push_back({name, p});
  }
  return out;
}

absl::StatusOr<Comparison> Compare(const Trace& trace, const std::vector<NamedPolicy>& policies,
                                   const SimOptions& options, bool with_reference,
                                   Clock* wall_clock) {
  Comparison c;
  std::vector<double> walls;
  for (const NamedPolicy& named : policies) {
    const absl::Time before = wall_clock ? wall_clock->Now() : absl::UnixEpoch();
    absl::StatusOr<SimResult> r = Simulate(trace, named.policy, options);
    if (!r.ok()) return r.status();
    walls.push_back(wall_clock ? absl::ToDoubleSeconds(wall_clock->Now() - before) : 0);
    c.results.push_back(*std::move(r));
    c.names.push_back(named.name);
  }
  absl::Duration horizon = absl::ZeroDuration();
  for (const SimResult& r : c.results) horizon = std::max(horizon, r.makespan);
  const int nodes = options.pool.nodes;
  for (size_t i = 0; i < c.results.size(); ++i) {
    RunSummary s =
        Summarize(c.names[i], c.results[i], nodes, policies[i].policy.vm_node_hour_micro_usd(),
                  horizon, options.aci.start_latency);
    s.wall_seconds = walls[i];
    c.rows.push_back(s);
  }
  if (with_reference && !policies.empty()) {
    const spillway::v1::Policy& budgets =
        options.budget_policy ? *options.budget_policy : policies.front().policy;
    ReferenceInput input;
    input.nodes = nodes;
    input.node_capacity = options.pool.node_capacity;
    input.vm_start_delay = options.vm.start_delay;
    input.aci_min_start_latency = options.aci.start_latency;
    const Reference ref = AciSpendLowerBound(trace, budgets, input);
    c.rows.push_back(ReferenceRow("reference: lower bound", ref.aci_spend_lower_bound_micro_usd,
                                  nodes, budgets.vm_node_hour_micro_usd(), horizon));
    ClairvoyantOptions clairvoyant_options;
    clairvoyant_options.aci_mean_start_latency =
        options.aci.start_latency + options.aci.start_latency_jitter / 2;
    const ClairvoyantSchedule best =
        ScheduleClairvoyant(trace, budgets, input, clairvoyant_options);
    // An actual schedule: its waits and violations are known, so it is a full row (its spend
    // bounds the optimum from above only when it has no violations).
    RunSummary upper = ReferenceRow("reference: clairvoyant schedule", best.aci_spend_micro_usd,
                                    nodes, budgets.vm_node_hour_micro_usd(), horizon);
    upper.is_reference = false;
    upper.is_upper_bound = true;
    upper.jobs = best.jobs;
    upper.unfinished = best.never_ran;
    upper.bursts = best.bursts;
    upper.violations = best.violations;
    upper.violations_on_aci = best.violations_on_aci;
    upper.violations_short_budget = best.violations_short_budget;
    upper.wait_p50 = best.wait_p50;
    upper.wait_p95 = best.wait_p95;
    upper.wait_p99 = best.wait_p99;
    upper.peak_creates_per_minute = best.peak_creates_per_minute;
    c.rows.push_back(upper);
  }
  return c;
}

}  // namespace sim
}  // namespace spillway
