#include "sim/clairvoyant_scheduler.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "scheduler/burst/burst_decision.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

constexpr int64_t kNever = INT64_MAX / 4;

absl::Duration Percentile(const std::vector<int64_t>& sorted_ms, double p) {
  if (sorted_ms.empty()) return absl::ZeroDuration();
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted_ms.size())));
  return absl::Milliseconds(sorted_ms[std::min(sorted_ms.size() - 1, rank == 0 ? 0 : rank - 1)]);
}

}  // namespace

ClairvoyantScheduler::ClairvoyantScheduler(const Trace& trace, const spillway::v1::Policy& policy,
                                           const ReferenceInput& input,
                                           const ClairvoyantOptions& options)
    : delay_ms_(absl::ToInt64Milliseconds(input.vm_start_delay)),
      latency_ms_(absl::ToInt64Milliseconds(options.aci_mean_start_latency)),
      min_latency_ms_(absl::ToInt64Milliseconds(input.aci_min_start_latency)),
      slots_(trace.size()),
      nodes_(input.nodes, CapacityTimeline(Load{input.node_capacity.cpu_millis,
                                                input.node_capacity.memory_mib, 0})),
      on_node_(input.nodes),
      aci_(policy) {
  const AciPrices prices = PricesOf(policy);
  facts_.reserve(trace.size());
  for (const TraceJob& job : trace) {
    Facts f;
    f.arrival = absl::ToInt64Milliseconds(job.submit);
    f.budget = absl::ToInt64Milliseconds(EffectiveMaxWait(ToJobSpec(job), policy));
    f.run = absl::ToInt64Milliseconds(job.duration);
    f.hold = delay_ms_ + f.run;
    f.latest_vm = std::max(f.arrival, f.arrival + std::max(f.budget, latency_ms_) - delay_ms_);
    f.latest_aci = std::max(f.arrival, f.arrival + f.budget - latency_ms_);
    f.life = latency_ms_ + f.run;
    const Resources size{job.cpu_millis, job.memory_mib};
    f.need = Load{size.cpu_millis, size.memory_mib, 0};
    f.aci_size = RoundToAciGranularity(size);
    f.aci_cost = AciCostMicroUsd(f.aci_size, job.duration + options.aci_mean_start_latency, prices);
    f.fits_node = input.nodes > 0 && input.node_capacity.Fits(size);
    f.fits_aci = aci_.SizeAllowed(f.aci_size);
    facts_.push_back(f);
  }
}

int64_t ClairvoyantScheduler::Wait(int j, const Slot& s) const {
  switch (s.kind) {
    case Slot::kVm:
      return s.start + delay_ms_ - facts_[j].arrival;
    case Slot::kAci:
      return s.start + latency_ms_ - facts_[j].arrival;
    case Slot::kNone:
      break;
  }
  return kNever;
}

bool ClairvoyantScheduler::Violates(int j, const Slot& s) const {
  return Wait(j, s) > facts_[j].budget;
}

void ClairvoyantScheduler::Assign(int j, const Slot& s) {
  const Facts& f = facts_[j];
  slots_[j] = s;
  if (s.kind == Slot::kVm) {
    nodes_[s.node].Take(s.start, s.start + f.hold, f.need);
    on_node_[s.node].Insert(s.start, s.start + f.hold, j);
  } else if (s.kind == Slot::kAci) {
    aci_.Add(s.start, f.life, f.aci_size);
  }
  spend_ += Cost(j, s);
  if (Violates(j, s)) ++violations_;
}

void ClairvoyantScheduler::Unassign(int j) {
  const Facts& f = facts_[j];
  const Slot s = slots_[j];
  if (s.kind == Slot::kVm) {
    nodes_[s.node].Give(s.start, s.start + f.hold, f.need);
    on_node_[s.node].Erase(s.start, s.start + f.hold, j);
  } else if (s.kind == Slot::kAci) {
    aci_.Remove(s.start, f.life, f.aci_size);
  }
  spend_ -= Cost(j, s);
  if (Violates(j, s)) --violations_;
  slots_[j] = Slot{};
}

std::optional<Slot> ClairvoyantScheduler::FindVm(int j, int64_t latest) const {
  const Facts& f = facts_[j];
  if (!f.fits_node) return std::nullopt;
  std::optional<Slot> best;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    const int64_t until = best ? std::min(latest, best->start - 1) : latest;
    const int64_t s = nodes_[n].EarliestFit(f.arrival, until, f.hold, f.need);
    if (s >= 0) best = Slot{Slot::kVm, static_cast<int>(n), s};
  }
  return best;
}

std::optional<Slot> ClairvoyantScheduler::FindAci(int j, int64_t latest) const {
  const Facts& f = facts_[j];
  if (!f.fits_aci) return std::nullopt;
  const int64_t t = aci_.EarliestCreate(f.arrival, latest, f.life, f.aci_size);
  if (t < 0) return std::nullopt;
  return Slot{Slot::kAci, -1, t};
}

std::optional<Slot> ClairvoyantScheduler::FindWithinBudget(int j) const {
  if (auto vm = FindVm(j, facts_[j].latest_vm)) return vm;
  return FindAci(j, facts_[j].latest_aci);
}

void ClairvoyantScheduler::Greedy(const std::vector<int>& order) {
  for (const int j : order) {
    std::optional<Slot> s = FindWithinBudget(j);
    // An ACI limit is in the way: wait for a node, however long (or for ACI, if no node can
    // hold the job).
    if (!s) s = FindVm(j, kNever);
    if (!s) s = FindAci(j, kNever);
    if (s) Assign(j, *s);
  }
  greedy_spend_ = spend_;
}

std::vector<int> ClairvoyantScheduler::GreedyOrder() const {
  // Jobs whose budget is under ACI's start first (only a node can meet it), then by deadline
  // (arrival + budget), then in trace order.
  std::vector<std::tuple<bool, int64_t, int>> keyed(facts_.size());
  for (size_t j = 0; j < facts_.size(); ++j) {
    const Facts& f = facts_[j];
    keyed[j] = {f.budget >= latency_ms_, f.arrival + f.budget, static_cast<int>(j)};
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<int> order;
  order.reserve(keyed.size());
  for (const auto& key : keyed) order.push_back(std::get<2>(key));
  return order;
}

ClairvoyantSchedule ClairvoyantScheduler::Summary() const {
  ClairvoyantSchedule out;
  out.jobs = static_cast<int64_t>(facts_.size());
  out.aci_spend_micro_usd = spend_;
  out.greedy_aci_spend_micro_usd = greedy_spend_;
  std::vector<int64_t> waits;
  waits.reserve(facts_.size());
  out.placements.resize(facts_.size());
  for (size_t i = 0; i < facts_.size(); ++i) {
    const int j = static_cast<int>(i);
    const Facts& f = facts_[j];
    const Slot& s = slots_[j];
    out.placements[i] = {s.kind != Slot::kNone, s.kind == Slot::kAci, s.node,
                         absl::Milliseconds(s.start)};
    if (s.kind == Slot::kNone) {
      ++out.never_ran;
      continue;
    }
    if (s.kind == Slot::kAci) ++out.bursts;
    waits.push_back(Wait(j, s));
    if (!Violates(j, s)) continue;
    if (s.kind == Slot::kAci) ++out.violations_on_aci;
    if (f.budget < min_latency_ms_) ++out.violations_short_budget;
    if ((s.kind == Slot::kVm && s.start > f.latest_vm) ||
        (s.kind == Slot::kAci && s.start > f.latest_aci)) {
      ++out.limited;
    }
  }
  out.violations = violations_ + out.never_ran;
  std::sort(waits.begin(), waits.end());
  out.wait_p50 = Percentile(waits, 0.50);
  out.wait_p95 = Percentile(waits, 0.95);
  out.wait_p99 = Percentile(waits, 0.99);
  out.peak_creates_per_minute = aci_.PeakCreatesPerMinute();
  return out;
}

}  // namespace sim
}  // namespace spillway
