#include "sim/clairvoyant.h"

#include <iterator>
#include <map>
#include <vector>

#include "scheduler/burst/burst_decision.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

// Free capacity of one node over time (ms): the value at key k holds until the next key.
class NodeTimeline {
 public:
  explicit NodeTimeline(Resources capacity) { steps_[INT64_MIN] = capacity; }

  // Earliest s in [from, latest] with `request` free throughout [s, s + length); -1 if none.
  int64_t EarliestFit(int64_t from, int64_t latest, int64_t length, const Resources& request) {
    int64_t s = from;
    auto it = std::prev(steps_.upper_bound(s));
    while (s <= latest) {
      // Walk [s, s + length) from the step containing s.
      auto scan = it;
      bool fits = true;
      for (; scan != steps_.end() && scan->first < s + length; ++scan) {
        if (!scan->second.Fits(request)) {
          fits = false;
          break;
        }
      }
      if (fits) return s;
      // Restart after the blocking step.
      auto next = std::next(scan);
      if (next == steps_.end()) return -1;  // Never frees up (cannot happen: all ends are known).
      s = next->first;
      it = next;
    }
    return -1;
  }

  void Reserve(int64_t start, int64_t end, const Resources& request) {
    auto first = Split(start);
    auto last = Split(end);
    for (auto it = first; it != last; ++it) it->second -= request;
  }

  // Forgets steps wholly before `t`.
  void Prune(int64_t t) {
    auto keep = std::prev(steps_.upper_bound(t));
    if (keep == steps_.begin()) return;
    const Resources value = keep->second;
    steps_.erase(steps_.begin(), keep);
    steps_.erase(steps_.begin());
    steps_[INT64_MIN] = value;
  }

 private:
  std::map<int64_t, Resources>::iterator Split(int64_t t) {
    auto it = steps_.lower_bound(t);
    if (it != steps_.end() && it->first == t) return it;
    const Resources value = std::prev(it)->second;
    return steps_.emplace_hint(it, t, value);
  }

  std::map<int64_t, Resources> steps_;
};

}  // namespace

ClairvoyantSchedule GreedyClairvoyant(const Trace& trace, const spillway::v1::Policy& policy,
                                      const ReferenceInput& input,
                                      absl::Duration aci_mean_start_latency) {
  ClairvoyantSchedule out;
  const AciPrices prices = PricesOf(policy);
  const int64_t delta = absl::ToInt64Milliseconds(input.vm_start_delay);
  std::vector<NodeTimeline> nodes(input.nodes, NodeTimeline(input.node_capacity));
  int64_t pruned_at = 0;
  for (const TraceJob& job : trace) {
    const Resources size{job.cpu_millis, job.memory_mib};
    const int64_t a = absl::ToInt64Milliseconds(job.submit);
    const int64_t w = absl::ToInt64Milliseconds(EffectiveMaxWait(ToJobSpec(job), policy));
    const int64_t length = delta + absl::ToInt64Milliseconds(job.duration);
    if (a - pruned_at > 600000) {  // Every 10 simulated minutes.
      for (NodeTimeline& n : nodes) n.Prune(a);
      pruned_at = a;
    }
    int best = -1;
    int64_t best_start = 0;
    if (input.node_capacity.Fits(size)) {
      for (size_t i = 0; i < nodes.size(); ++i) {
        const int64_t s = nodes[i].EarliestFit(a, std::max(a, a + w - delta), length, size);
        if (s >= 0 && (best < 0 || s < best_start)) {
          best = static_cast<int>(i);
          best_start = s;
        }
      }
    }
    if (best >= 0) {
      nodes[best].Reserve(best_start, best_start + length, size);
      continue;
    }
    ++out.bursts;
    out.aci_spend_micro_usd +=
        AciCostMicroUsd(RoundToAciGranularity(size), job.duration + aci_mean_start_latency, prices);
  }
  return out;
}

}  // namespace sim
}  // namespace spillway
