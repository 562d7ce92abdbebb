#include "scheduler/burst/burst_decision.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

std::string Secs(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return "never";
  return absl::StrFormat("%ds", absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1))));
}

// The message is built only when asked for: the queue pass decides for every
// queued job, and records the message only when the job's outcome changes.
template <class MakeMessage>
BurstDecision Stay(const char *pending_class, bool explain, MakeMessage make_message) {
  BurstDecision d;
  d.pending_class = pending_class;
  if (explain) d.message = make_message();
  return d;
}

}  // namespace

absl::Duration LastMomentLead(absl::Duration aci_start_latency) {
  return aci_start_latency + std::max(absl::Seconds(5), aci_start_latency / 4);
}

Resources RoundToAciGranularity(const Resources &request) {
  Resources r;
  r.cpu_millis = (request.cpu_millis + 9) / 10 * 10;
  const int64_t tenths_gb = (request.memory_mib * 10 + 1023) / 1024;
  r.memory_mib = (tenths_gb * 1024 + 9) / 10;
  return r;
}

bool AciLimitsAllow(const Resources &r, const AciUsage &usage, const spillway::v1::Policy &policy) {
  return usage.circuit_open_reason.empty() && r.cpu_millis <= policy.aci_max_group_cpu_millis() &&
         r.memory_mib <= policy.aci_max_group_memory_mib() &&
         usage.groups + 1 <= policy.aci_max_groups() &&
         usage.cpu_millis + r.cpu_millis <= policy.aci_max_cores() * 1000 &&
         usage.creates_last_5min + 1 <= policy.aci_creates_per_5min() &&
         usage.creates_last_hour + 1 <= policy.aci_creates_per_hour() &&
         usage.spend_rate_micro_usd_per_hour + AciHourlyRateMicroUsd(r, PricesOf(policy)) <=
             policy.spend_budget_micro_usd_per_hour();
}

BurstDecision DecideBurst(const BurstInput &in, const AciUsage &usage,
                          const spillway::v1::Policy &policy, bool explain) {
  using spillway::v1::BURST_MODE_ACI_ONLY;
  using spillway::v1::BURST_MODE_VM_ONLY;
  if (in.mode == BURST_MODE_VM_ONLY) {
    return Stay(kPendingVmOnly, explain, [&] {
      return std::string(
          absl::StrCat("VM-only job; predicted VM wait ", Secs(in.predicted_vm_wait)));
    });
  }
  if (!policy.burst_enabled()) {
    return Stay(kPendingBurstDisabled, explain,
                [&] { return std::string("bursting is disabled by policy"); });
  }
  std::string why;
  const auto strategy = policy.burst_strategy();
  if (in.mode == BURST_MODE_ACI_ONLY) {
    if (explain) why = "ACI-only job";
  } else if (strategy == spillway::v1::BURST_STRATEGY_WHEN_UNSCHEDULABLE) {
    if (explain)
      why = absl::StrCat("does not fit the VM pool (predicted wait ", Secs(in.predicted_vm_wait),
                         "); strategy bursts when unschedulable");
  } else if (strategy == spillway::v1::BURST_STRATEGY_AFTER_MAX_WAIT) {
    if (in.waited < in.max_wait) {
      return Stay(kPendingWaitingForVm, explain, [&] {
        return std::string(absl::StrCat("waited ", Secs(in.waited), " of ", Secs(in.max_wait),
                                        " before bursting (fixed-wait strategy)"));
      });
    }
    if (explain)
      why = absl::StrCat("waited ", Secs(in.waited), " >= ", Secs(in.max_wait),
                         " (fixed-wait strategy)");
  } else {
    const absl::Duration total = in.waited + in.predicted_vm_wait;
    const absl::Duration left = in.max_wait - in.waited;
    const bool at_last_moment = left <= LastMomentLead(in.aci_start_latency);
    const bool lower_bound = in.prediction_is_lower_bound && at_last_moment;
    // Past this moment ACI can no longer save the budget: trust the pool only with a margin.
    const bool unsure = at_last_moment && left >= in.aci_start_latency &&
                        in.predicted_vm_wait > left * kLastMomentTrust;
    const bool last_moment = lower_bound || unsure;
    if (total <= in.max_wait && !last_moment) {
      return Stay(kPendingWaitingForVm, explain, [&] {
        return std::string(absl::StrCat("predicted VM wait ", Secs(in.predicted_vm_wait),
                                        " (waited ", Secs(in.waited), ") within budget ",
                                        Secs(in.max_wait)));
      });
    }
    if (!last_moment && in.predicted_vm_wait <= in.aci_start_latency) {
      return Stay(kPendingWaitingForVm, explain, [&] {
        return std::string(absl::StrCat("predicted VM wait ", Secs(in.predicted_vm_wait),
                                        " is not longer than ACI start ",
                                        Secs(in.aci_start_latency)));
      });
    }
    if (explain && total <= in.max_wait && lower_bound) {
      why = absl::StrCat("deep in the queue, its predicted VM wait ", Secs(in.predicted_vm_wait),
                         " is only a lower bound; ", Secs(left), " of budget ", Secs(in.max_wait),
                         " left: ACI's last moment");
    } else if (explain && total <= in.max_wait) {
      why = absl::StrCat("predicted VM wait ", Secs(in.predicted_vm_wait),
                         " leaves under half of the ", Secs(left), " of budget ", Secs(in.max_wait),
                         " left to spare: ACI's last moment");
    } else if (explain)
      why = in.predicted_vm_wait == absl::InfiniteDuration()
                ? absl::StrCat("no VM node can hold it; budget ", Secs(in.max_wait))
                : absl::StrCat("predicted VM wait ", Secs(in.predicted_vm_wait), " (waited ",
                               Secs(in.waited), ") > budget ", Secs(in.max_wait));
  }
  if (!usage.circuit_open_reason.empty()) {
    return Stay(kPendingCircuitOpen, explain, [&] {
      return std::string(absl::StrCat(why, "; but ", usage.circuit_open_reason));
    });
  }
  const Resources &r = in.request;
  if (r.cpu_millis > policy.aci_max_group_cpu_millis() ||
      r.memory_mib > policy.aci_max_group_memory_mib()) {
    return Stay(kPendingGroupTooLarge, explain, [&] {
      return std::string(absl::StrCat(
          why, "; but ", r.ToString(), " exceeds ACI's per-group limit of ",
          policy.aci_max_group_cpu_millis(), "m cpu, ", policy.aci_max_group_memory_mib(), "Mi"));
    });
  }
  if (usage.groups + 1 > policy.aci_max_groups()) {
    return Stay(kPendingMaxGroups, explain, [&] {
      return std::string(
          absl::StrCat(why, "; but ACI is at its limit of ", policy.aci_max_groups(), " groups"));
    });
  }
  if (usage.cpu_millis + r.cpu_millis > policy.aci_max_cores() * 1000) {
    return Stay(kPendingMaxCores, explain, [&] {
      return std::string(absl::StrFormat("%s; but ACI cores would be %.2f > limit %d", why,
                                         (usage.cpu_millis + r.cpu_millis) / 1000.0,
                                         policy.aci_max_cores()));
    });
  }
  if (usage.creates_last_5min + 1 > policy.aci_creates_per_5min() ||
      usage.creates_last_hour + 1 > policy.aci_creates_per_hour()) {
    return Stay(kPendingCreateRate, explain, [&] {
      return std::string(absl::StrCat(why, "; but the ACI create budget is spent (",
                                      usage.creates_last_5min, " in 5 min, ",
                                      usage.creates_last_hour, " in the hour)"));
    });
  }
  const AciPrices prices = PricesOf(policy);
  const int64_t rate = AciHourlyRateMicroUsd(r, prices);
  if (usage.spend_rate_micro_usd_per_hour + rate > policy.spend_budget_micro_usd_per_hour()) {
    return Stay(kPendingSpendBudget, explain, [&] {
      return std::string(
          absl::StrCat(why, "; but the spend rate would be ",
                       FormatMicroUsd(usage.spend_rate_micro_usd_per_hour + rate), "/h > budget ",
                       FormatMicroUsd(policy.spend_budget_micro_usd_per_hour()), "/h"));
    });
  }
  BurstDecision d;
  d.burst = true;
  d.estimated_cost_micro_usd = AciCostMicroUsd(r, in.expected_duration, prices);
  if (explain)
    d.message = absl::StrCat(why, "; ACI start ", Secs(in.aci_start_latency), "; est. cost ",
                             FormatMicroUsd(d.estimated_cost_micro_usd));
  return d;
}

}  // namespace spillway
