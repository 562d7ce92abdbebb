// Capacity over time for the clairvoyant schedule (clairvoyant.h): what a VM node has free, and
// how much room ACI's limits leave, as step functions of time in milliseconds.
#ifndef SPILLWAY_SIM_CLAIRVOYANT_CAPACITY_H_
#define SPILLWAY_SIM_CLAIRVOYANT_CAPACITY_H_

#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "proto/spillway/v1/admin.pb.h"
#include "scheduler/model/resources.h"

namespace spillway {
namespace sim {

// Up to three quantities held under a limit together: {cpu, memory, 0} on a node; {groups, cpu,
// spend rate} on ACI.
struct Load {
  int64_t x = 0, y = 0, z = 0;
  bool Fits(const Load& need) const { return need.x <= x && need.y <= y && need.z <= z; }
  friend bool operator==(const Load& a, const Load& b) {
    return a.x == b.x && a.y == b.y && a.z == b.z;
  }
};

// Free capacity over time: the value at key k holds until the next key.
class CapacityTimeline {
 public:
  explicit CapacityTimeline(Load capacity) { steps_[INT64_MIN] = capacity; }

  // Earliest s in [from, latest] with `need` free throughout [s, s + length); -1 if none.
  int64_t EarliestFit(int64_t from, int64_t latest, int64_t length, const Load& need) const;
  bool FitsAt(int64_t s, int64_t length, const Load& need) const {
    return EarliestFit(s, s, length, need) == s;
  }

  void Take(int64_t start, int64_t end, const Load& need) { Add(start, end, need, -1); }
  void Give(int64_t start, int64_t end, const Load& need) { Add(start, end, need, +1); }

  // The steps covering [from, to): (start, free), the first starting at `from`.
  std::vector<std::pair<int64_t, Load>> Steps(int64_t from, int64_t to) const;

  // Times in (from, to] where the free capacity changes.
  std::vector<int64_t> ChangesIn(int64_t from, int64_t to) const;

 private:
  void Add(int64_t start, int64_t end, const Load& amount, int sign);
  std::map<int64_t, Load>::iterator Split(int64_t t);
  void MergeAt(int64_t t);  // Drops the key at t when it repeats its predecessor.

  std::map<int64_t, Load> steps_;
};

// The intervals [start, end) placed on one node, by id, for "which overlap [lo, hi)": kept in
// tiers by length so that a query scans back only as far as its tier's longest interval.
class IntervalIndex {
 public:
  void Insert(int64_t start, int64_t end, int id);
  void Erase(int64_t start, int64_t end, int id);
  // Ids of the intervals with start < hi and end > lo.
  std::vector<int> Overlapping(int64_t lo, int64_t hi) const;

 private:
  struct Tier {
    int64_t max_length;  // Intervals up to this long (the last tier: any).
    int64_t longest = 0;
    std::set<std::tuple<int64_t, int64_t, int>> intervals;  // (start, end, id)
  };
  Tier& TierOf(int64_t length);
  std::vector<Tier> tiers_ = {{2 * 60 * 1000}, {15 * 60 * 1000}, {2 * 3600 * 1000}, {INT64_MAX}};
};

// ACI's limits as the core applies them when it bursts (burst_decision.h): at every create the
// live groups (this one included) stay within aci_max_groups, aci_max_cores and the spend budget,
// and the creates in the last 5 minutes / hour (this one included) within their quotas. A group
// lives from its create until its job ends (start latency + run); deletes are not rate-limited
// here.
class AciLimitLedger {
 public:
  explicit AciLimitLedger(const spillway::v1::Policy& policy);

  // Whether one group of `size` (rounded to ACI's granularity) is within the per-group limit.
  bool SizeAllowed(const Resources& size) const;

  // Earliest t in [from, latest] at which a group of `size` living `life` ms can be created
  // within every limit, keeping every recorded create within them too; -1 if none.
  int64_t EarliestCreate(int64_t from, int64_t latest, int64_t life, const Resources& size) const;

  void Add(int64_t t, int64_t life, const Resources& size);
  void Remove(int64_t t, int64_t life, const Resources& size);

  // Most creates in any minute (t - 1 min, t].
  int PeakCreatesPerMinute() const;

 private:
  Load Need(const Resources& size) const;
  bool CreatesAllowed(int64_t t) const;
  int CountIn(int64_t from_exclusive, int64_t to_inclusive) const;

  spillway::v1::Policy policy_;
  CapacityTimeline headroom_;
  std::vector<int64_t> creates_;  // Sorted.
};

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_CLAIRVOYANT_CAPACITY_H_
