#include "sim/clairvoyant_capacity.h"

#include <algorithm>
#include <iterator>

#include "absl/time/time.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {

int64_t CapacityTimeline::EarliestFit(int64_t from, int64_t latest, int64_t length,
                                      const Load& need) const {
  int64_t s = from;
  auto it = std::prev(steps_.upper_bound(s));
  while (s <= latest) {
    // Walk [s, s + length) from the step containing s.
    auto scan = it;
    bool fits = true;
    for (; scan != steps_.end() && scan->first < s + length; ++scan) {
      if (!scan->second.Fits(need)) {
        fits = false;
        break;
      }
    }
    if (fits) return s;
    // Restart where the blocking step ends.
    auto next = std::next(scan);
    if (next == steps_.end()) return -1;
    s = next->first;
    it = next;
  }
  return -1;
}

std::vector<std::pair<int64_t, Load>> CapacityTimeline::Steps(int64_t from, int64_t to) const {
  std::vector<std::pair<int64_t, Load>> out;
  auto it = std::prev(steps_.upper_bound(from));
  out.emplace_back(from, it->second);
  for (++it; it != steps_.end() && it->first < to; ++it) out.emplace_back(*it);
  return out;
}

std::vector<int64_t> CapacityTimeline::ChangesIn(int64_t from, int64_t to) const {
  std::vector<int64_t> out;
  for (auto it = steps_.upper_bound(from); it != steps_.end() && it->first <= to; ++it) {
    out.push_back(it->first);
  }
  return out;
}

void CapacityTimeline::Add(int64_t start, int64_t end, const Load& amount, int sign) {
  if (end <= start) return;
  Split(start);
  auto last = Split(end);
  for (auto it = steps_.find(start); it != last; ++it) {
    it->second.x += sign * amount.x;
    it->second.y += sign * amount.y;
    it->second.z += sign * amount.z;
  }
  MergeAt(start);
  MergeAt(end);
}

std::map<int64_t, Load>::iterator CapacityTimeline::Split(int64_t t) {
  auto it = steps_.lower_bound(t);
  if (it != steps_.end() && it->first == t) return it;
  const Load value = std::prev(it)->second;
  return steps_.emplace_hint(it, t, value);
}

void CapacityTimeline::MergeAt(int64_t t) {
  auto it = steps_.find(t);
  if (it == steps_.end() || it == steps_.begin()) return;
  if (std::prev(it)->second == it->second) steps_.erase(it);
}

IntervalIndex::Tier& IntervalIndex::TierOf(int64_t length) {
  for (Tier& t : tiers_) {
    if (length <= t.max_length) return t;
  }
  return tiers_.back();
}

void IntervalIndex::Insert(int64_t start, int64_t end, int id) {
  Tier& t = TierOf(end - start);
  t.intervals.emplace(start, end, id);
  t.longest = std::max(t.longest, end - start);
}

void IntervalIndex::Erase(int64_t start, int64_t end, int id) {
  TierOf(end - start).intervals.erase({start, end, id});
}

std::vector<int> IntervalIndex::Overlapping(int64_t lo, int64_t hi) const {
  std::vector<int> out;
  for (const Tier& t : tiers_) {
    for (auto it = t.intervals.lower_bound({lo - t.longest, INT64_MIN, INT32_MIN});
         it != t.intervals.end() && std::get<0>(*it) < hi; ++it) {
      if (std::get<1>(*it) > lo) out.push_back(std::get<2>(*it));
    }
  }
  return out;
}

namespace {

constexpr int64_t kFiveMinutes = 5 * 60 * 1000;
constexpr int64_t kHour = 60 * 60 * 1000;

}  // namespace

AciLimitLedger::AciLimitLedger(const spillway::v1::Policy& policy)
    : policy_(policy),
      headroom_(Load{policy.aci_max_groups(), policy.aci_max_cores() * 1000,
                     policy.spend_budget_micro_usd_per_hour()}) {}

bool AciLimitLedger::SizeAllowed(const Resources& size) const {
  return size.cpu_millis <= policy_.aci_max_group_cpu_millis() &&
         size.memory_mib <= policy_.aci_max_group_memory_mib();
}

Load AciLimitLedger::Need(const Resources& size) const {
  return Load{1, size.cpu_millis, AciHourlyRateMicroUsd(size, PricesOf(policy_))};
}

int AciLimitLedger::CountIn(int64_t from_exclusive, int64_t to_inclusive) const {
  return static_cast<int>(std::upper_bound(creates_.begin(), creates_.end(), to_inclusive) -
                          std::upper_bound(creates_.begin(), creates_.end(), from_exclusive));
}

bool AciLimitLedger::CreatesAllowed(int64_t t) const {
  const std::pair<int64_t, int> windows[] = {{kFiveMinutes, policy_.aci_creates_per_5min()},
                                             {kHour, policy_.aci_creates_per_hour()}};
  for (const auto& [width, quota] : windows) {
    // Every window (u - width, u] that would hold t has u in [t, t + width).
    if (CountIn(t - width, t + width - 1) + 1 <= quota) continue;
    if (CountIn(t - width, t) + 1 > quota) return false;
    for (auto it = std::lower_bound(creates_.begin(), creates_.end(), t);
         it != creates_.end() && *it < t + width; ++it) {
      if (CountIn(*it - width, *it) + 1 > quota) return false;
    }
  }
  return true;
}

int64_t AciLimitLedger::EarliestCreate(int64_t from, int64_t latest, int64_t life,
                                       const Resources& size) const {
  if (latest < from || !SizeAllowed(size)) return -1;
  const Load need = Need(size);
  auto allowed = [&](int64_t t) { return headroom_.FitsAt(t, life, need) && CreatesAllowed(t); };
  if (allowed(from)) return from;
  // Between these times nothing that could make room happens: a live group ends (the headroom
  // changes), a create leaves a rate window (c + width) or stops being one t must respect
  // (c + 1).
  std::vector<int64_t> candidates = headroom_.ChangesIn(from, latest);
  for (const int64_t c : creates_) {
    for (const int64_t t : {c + 1, c + kFiveMinutes, c + kHour}) {
      if (t > from && t <= latest) candidates.push_back(t);
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  for (const int64_t t : candidates) {
    if (allowed(t)) return t;
  }
  return -1;
}

void AciLimitLedger::Add(int64_t t, int64_t life, const Resources& size) {
  headroom_.Take(t, t + life, Need(size));
  creates_.insert(std::upper_bound(creates_.begin(), creates_.end(), t), t);
}

void AciLimitLedger::Remove(int64_t t, int64_t life, const Resources& size) {
  headroom_.Give(t, t + life, Need(size));
  auto it = std::lower_bound(creates_.begin(), creates_.end(), t);
  if (it != creates_.end() && *it == t) creates_.erase(it);
}

int AciLimitLedger::PeakCreatesPerMinute() const {
  int peak = 0;
  for (const int64_t c : creates_) peak = std::max(peak, CountIn(c - 60 * 1000, c));
  return peak;
}

}  // namespace sim
}  // namespace spillway
