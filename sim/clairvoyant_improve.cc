// The clairvoyant schedule's improvement rounds (step 2 in clairvoyant.h): offer each burst job a
// VM slot, evicting cheaper VM jobs when that lowers the total ACI spend.
#include <algorithm>

#include "sim/clairvoyant_scheduler.h"

namespace spillway {
namespace sim {
namespace {

constexpr size_t kCandidatesTried = 3;  // Ejections tried per burst job, cheapest first.
constexpr size_t kStartsPerNode = 32;   // Starts considered per node: arrival, then job ends.

}  // namespace

int64_t ClairvoyantScheduler::Improve(int max_rounds, int* rounds_run) {
  int64_t moves = 0;
  *rounds_run = 0;
  for (int round = 0; round < max_rounds; ++round) {
    ++*rounds_run;
    std::vector<int> burst;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].kind == Slot::kAci && facts_[i].fits_node) burst.push_back(static_cast<int>(i));
    }
    std::stable_sort(burst.begin(), burst.end(),
                     [&](int a, int b) { return facts_[a].aci_cost > facts_[b].aci_cost; });
    int64_t kept = 0;
    for (const int j : burst) {
      if (slots_[j].kind == Slot::kAci && TryEject(j)) ++kept;
    }
    kept += LandRound();
    moves += kept;
    if (kept == 0) break;
  }
  return moves;
}

int64_t ClairvoyantScheduler::LandRound() {
  // The burst jobs by arrival, and how far a window reaches past its arrival.
  std::vector<int> burst;
  int64_t reach = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Facts& f = facts_[i];
    if (slots_[i].kind != Slot::kAci || !f.fits_node) continue;
    burst.push_back(static_cast<int>(i));
    reach = std::max(reach, f.latest_vm + f.hold - f.arrival);
  }
  std::stable_sort(burst.begin(), burst.end(),
                   [&](int a, int b) { return facts_[a].arrival < facts_[b].arrival; });
  // Every VM job in the way of some burst job, once, in trace order.
  std::vector<char> seen(slots_.size(), 0);
  std::vector<int> candidates;
  for (const int j : burst) {
    const Facts& f = facts_[j];
    for (const IntervalIndex& node : on_node_) {
      for (const int v : node.Overlapping(f.arrival, f.latest_vm + f.hold)) {
        if (!seen[v] && Evictable(v, INT64_MAX)) {
          seen[v] = 1;
          candidates.push_back(v);
        }
      }
    }
  }
  std::sort(candidates.begin(), candidates.end());
  int64_t kept = 0;
  for (const int v : candidates) {
    if (slots_[v].kind != Slot::kVm) continue;
    // The burst jobs whose window meets v's hold, dearest first.
    const int64_t vs = slots_[v].start;
    const int64_t ve = vs + facts_[v].hold;
    std::vector<int> hopeful;
    int64_t worth = 0;
    for (auto it = std::lower_bound(burst.begin(), burst.end(), vs - reach,
                                    [&](int j, int64_t t) { return facts_[j].arrival < t; });
         it != burst.end() && facts_[*it].arrival < ve; ++it) {
      const Facts& f = facts_[*it];
      if (slots_[*it].kind == Slot::kAci && f.latest_vm + f.hold > vs) {
        hopeful.push_back(*it);
        worth += f.aci_cost;
      }
    }
    if (worth <= facts_[v].aci_cost) continue;
    std::stable_sort(hopeful.begin(), hopeful.end(),
                     [&](int a, int b) { return facts_[a].aci_cost > facts_[b].aci_cost; });
    if (TryLand(v, hopeful)) ++kept;
  }
  return kept;
}

bool ClairvoyantScheduler::TryLand(int v, const std::vector<int>& hopeful) {
  const int64_t spend_before = spend_;
  const int64_t violations_before = violations_;
  const Slot old = slots_[v];
  Unassign(v);
  // Only v's node changes, so only there can a burst job land.
  std::vector<std::pair<int, Slot>> landed;
  int64_t saved = 0;
  for (const int j : hopeful) {
    const Facts& f = facts_[j];
    const int64_t s = nodes_[old.node].EarliestFit(f.arrival, f.latest_vm, f.hold, f.need);
    if (s < 0) continue;
    landed.emplace_back(j, slots_[j]);
    Unassign(j);
    Assign(j, Slot{Slot::kVm, old.node, s});
    saved += f.aci_cost;
  }
  if (saved > facts_[v].aci_cost) {
    if (const std::optional<Slot> aci = FindAci(v, facts_[v].latest_aci)) {
      Assign(v, *aci);
      if (spend_ < spend_before && violations_ <= violations_before) return true;
      Unassign(v);
    }
  }
  for (const auto& [j, was] : landed) Unassign(j);
  Assign(v, old);
  for (const auto& [j, was] : landed) Assign(j, was);
  return false;
}

bool ClairvoyantScheduler::TryEject(int j) {
  const Facts& f = facts_[j];
  const Slot old = slots_[j];
  const int64_t spend_before = spend_;
  const int64_t violations_before = violations_;
  Unassign(j);
  // A slot may have opened since j burst.
  if (std::optional<Slot> vm = FindVm(j, f.latest_vm)) {
    Assign(j, *vm);
    if (spend_ < spend_before && violations_ <= violations_before) return true;
    Unassign(j);
  }
  for (const Ejection& e : EjectionCandidates(j, kCandidatesTried)) {
    std::vector<Slot> evicted;
    for (const int v : e.victims) {
      evicted.push_back(slots_[v]);
      Unassign(v);
    }
    bool ok = nodes_[e.node].FitsAt(e.start, f.hold, f.need);
    if (ok) Assign(j, Slot{Slot::kVm, e.node, e.start});
    std::vector<int> replaced;
    std::vector<int> order = e.victims;
    std::sort(order.begin(), order.end());  // Arrival order.
    for (size_t k = 0; ok && k < order.size(); ++k) {
      std::optional<Slot> s = FindWithinBudget(order[k]);
      ok = s.has_value();
      if (ok) {
        Assign(order[k], *s);
        replaced.push_back(order[k]);
      }
    }
    if (ok && spend_ < spend_before && violations_ <= violations_before) return true;
    // Undo exactly: the capacity returns to what it was, then the old slots are taken again.
    for (const int v : replaced) Unassign(v);
    if (slots_[j].kind != Slot::kNone) Unassign(j);
    for (size_t k = 0; k < e.victims.size(); ++k) Assign(e.victims[k], evicted[k]);
  }
  Assign(j, old);
  return false;
}

bool ClairvoyantScheduler::Evictable(int v, int64_t below_cost) const {
  const Facts& f = facts_[v];
  const Slot& s = slots_[v];
  // Only jobs that could burst within their budget if no VM slot is left for them.
  return s.kind == Slot::kVm && !Violates(v, s) && f.fits_aci && f.budget >= latency_ms_ &&
         f.aci_cost < below_cost;
}

std::vector<ClairvoyantScheduler::Ejection> ClairvoyantScheduler::EjectionCandidates(
    int j, size_t keep) const {
  const Facts& f = facts_[j];
  std::vector<Ejection> best;  // Cheapest first, at most `keep`.
  for (size_t n = 0; n < nodes_.size(); ++n) {
    // The jobs on n in the way of some start in [arrival, latest_vm]; those that may be evicted,
    // cheapest first (ties: the larger, then the earlier).
    const std::vector<int> nearby = on_node_[n].Overlapping(f.arrival, f.latest_vm + f.hold);
    std::vector<int64_t> starts = {f.arrival};
    std::vector<Movable> movable;
    for (const int i : nearby) {
      const int64_t end = slots_[i].start + facts_[i].hold;
      if (end <= f.latest_vm) starts.push_back(end);
      if (Evictable(i, f.aci_cost)) {
        movable.push_back({slots_[i].start, end, facts_[i].aci_cost, facts_[i].need, i});
      }
    }
    std::stable_sort(movable.begin(), movable.end(), [](const Movable& a, const Movable& b) {
      return a.cost < b.cost || (a.cost == b.cost && a.need.x > b.need.x);
    });
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    if (starts.size() > kStartsPerNode) starts.resize(kStartsPerNode);
    for (const int64_t s : starts) {
      const int64_t bound = best.size() < keep ? f.aci_cost : best.back().victims_cost;
      std::optional<Ejection> e = ChooseVictims(j, static_cast<int>(n), s, movable, bound);
      if (!e) continue;
      auto at = std::upper_bound(
          best.begin(), best.end(), *e,
          [](const Ejection& a, const Ejection& b) { return a.victims_cost < b.victims_cost; });
      best.insert(at, *std::move(e));
      if (best.size() > keep) best.pop_back();
    }
  }
  return best;
}

std::optional<ClairvoyantScheduler::Ejection> ClairvoyantScheduler::ChooseVictims(
    int j, int node, int64_t start, const std::vector<Movable>& movable, int64_t bound) const {
  const Facts& f = facts_[j];
  const int64_t end = start + f.hold;
  std::vector<const Movable*> in_way;
  for (const Movable& m : movable) {
    if (m.start < end && m.end > start) in_way.push_back(&m);
  }
  // Pieces of [start, end) on which the free capacity is constant, and each in-the-way job
  // holds all of a piece or none of it.
  const std::vector<std::pair<int64_t, Load>> steps = nodes_[node].Steps(start, end);
  std::vector<int64_t> cuts;
  cuts.reserve(steps.size() + 2 * in_way.size());
  for (const auto& step : steps) cuts.push_back(step.first);
  for (const Movable* m : in_way) {
    if (m->start > start) cuts.push_back(m->start);
    if (m->end < end) cuts.push_back(m->end);
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<Load> free(cuts.size());
  for (size_t k = 0, step = 0; k < cuts.size(); ++k) {
    while (step + 1 < steps.size() && steps[step + 1].first <= cuts[k]) ++step;
    free[k] = steps[step].second;
  }

  Ejection out{node, start, 0, {}};
  std::vector<char> taken(in_way.size(), 0);
  size_t k = 0;
  while (true) {
    while (k < cuts.size() && free[k].Fits(f.need)) ++k;
    if (k == cuts.size()) return out;
    // The cheapest job holding this piece that keeps the victims under `bound`.
    const int64_t piece_end = k + 1 < cuts.size() ? cuts[k + 1] : end;
    int pick = -1;
    for (size_t q = 0; q < in_way.size() && pick < 0; ++q) {
      const Movable& m = *in_way[q];
      if (!taken[q] && m.start < piece_end && m.end > cuts[k]) pick = static_cast<int>(q);
    }
    if (pick < 0) return std::nullopt;
    const Movable& v = *in_way[pick];
    out.victims_cost += v.cost;
    if (out.victims_cost >= bound) return std::nullopt;
    taken[pick] = 1;
    out.victims.push_back(v.id);
    for (size_t p = k; p < cuts.size() && cuts[p] < v.end; ++p) {
      if (cuts[p] >= v.start) {
        free[p].x += v.need.x;
        free[p].y += v.need.y;
      }
    }
  }
}

}  // namespace sim
}  // namespace spillway
