// The clairvoyant schedule's state and moves (see clairvoyant.h for the derivation): where every
// job runs, the nodes' and ACI's capacity over time, and the running spend and violations.
// Internal to clairvoyant.cc; times are milliseconds from the trace start.
#ifndef SPILLWAY_SIM_CLAIRVOYANT_SCHEDULER_H_
#define SPILLWAY_SIM_CLAIRVOYANT_SCHEDULER_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "proto/spillway/v1/admin.pb.h"
#include "sim/clairvoyant.h"
#include "sim/clairvoyant_capacity.h"
#include "sim/reference.h"
#include "sim/trace.h"

namespace spillway {
namespace sim {

struct Slot {
  enum Kind { kNone, kVm, kAci };
  Kind kind = kNone;
  int node = -1;
  int64_t start = 0;  // VM: the node is held from here (start delay, then the run). ACI: create.
};

class ClairvoyantScheduler {
 public:
  ClairvoyantScheduler(const Trace& trace, const spillway::v1::Policy& policy,
                       const ReferenceInput& input, const ClairvoyantOptions& options);

  // Step 1: every job, in `order`, on an empty schedule.
  std::vector<int> GreedyOrder() const;
  void Greedy(const std::vector<int>& order);
  // Step 2: rounds of eject and land moves (clairvoyant_improve.cc); returns the moves kept.
  int64_t Improve(int max_rounds, int* rounds_run);

  ClairvoyantSchedule Summary() const;

 private:
  struct Facts {
    int64_t arrival, budget, run;
    int64_t hold;        // On a node: start delay + run.
    int64_t latest_vm;   // Latest VM start that is no later than the budget (or than ACI).
    int64_t latest_aci;  // Latest create within the budget (arrival when it cannot be met).
    int64_t life;        // ACI group: start latency + run.
    Load need;           // On a node.
    Resources aci_size;  // Rounded to ACI's granularity.
    int64_t aci_cost;
    bool fits_node, fits_aci;
  };

  int64_t Wait(int j, const Slot& s) const;
  bool Violates(int j, const Slot& s) const;
  int64_t Cost(int j, const Slot& s) const { return s.kind == Slot::kAci ? facts_[j].aci_cost : 0; }

  void Assign(int j, const Slot& s);
  void Unassign(int j);

  // Earliest VM start in [arrival, latest] over all nodes (ties: lowest node).
  std::optional<Slot> FindVm(int j, int64_t latest) const;
  // Earliest create in [arrival, latest] the limits allow.
  std::optional<Slot> FindAci(int j, int64_t latest) const;
  // A VM slot within the budget, else a burst within it.
  std::optional<Slot> FindWithinBudget(int j) const;

  // The moves (clairvoyant_improve.cc).
  struct Ejection {
    int node;
    int64_t start;
    int64_t victims_cost;  // Their burst costs: an upper bound on what re-placing them costs.
    std::vector<int> victims;
  };
  struct Movable {  // A VM job that may be evicted.
    int64_t start, end, cost;
    Load need;
    int id;
  };
  bool TryEject(int j);
  int64_t LandRound();
  bool TryLand(int v, const std::vector<int>& hopeful);
  std::vector<Ejection> EjectionCandidates(int j, size_t keep) const;
  // The victims, cheapest first where capacity is short, whose eviction frees `node` for j from
  // `start`; none if they would cost `bound` or more.
  std::optional<Ejection> ChooseVictims(int j, int node, int64_t start,
                                        const std::vector<Movable>& movable, int64_t bound) const;
  bool Evictable(int v, int64_t below_cost) const;

  int64_t delay_ms_, latency_ms_, min_latency_ms_;
  std::vector<Facts> facts_;
  std::vector<Slot> slots_;
  std::vector<CapacityTimeline> nodes_;
  std::vector<IntervalIndex> on_node_;  // The jobs on each node, by their holds.
  AciLimitLedger aci_;
  int64_t spend_ = 0;
  int64_t violations_ = 0;
  int64_t greedy_spend_ = 0;
};

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_CLAIRVOYANT_SCHEDULER_H_
