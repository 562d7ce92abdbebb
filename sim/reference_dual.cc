#include "sim/reference_dual.h"

#include <algorithm>
#include <array>
#include <utility>

namespace spillway {
namespace sim {
namespace {

// The resources of step 2: cpu, memory, and jobs over 1/2, 1/3, 1/4 of a node's cpu / memory.
constexpr int kResources = 8;
// Coordinate ascent stops when a sweep gains under a millionth, or after this many sweeps (on
// the seed-1 day it reaches the LP's optimum, checked with an LP solver, to 0.01% in ~100).
constexpr int kMaxSweeps = 300;
using Weights = std::array<int64_t, kResources>;

Weights WeightsOf(const BoundJob& j, const Resources& node) {
  Weights w{};
  w[0] = j.cpu;
  w[1] = j.mem;
  for (int q = 1; q <= 3; ++q) {
    w[1 + q] = j.cpu * (q + 1) > node.cpu_millis ? 1 : 0;
    w[4 + q] = j.mem * (q + 1) > node.memory_mib ? 1 : 0;
  }
  return w;
}

Weights CapacitiesOf(const Resources& node, int nodes) {
  Weights cap{};
  cap[0] = node.cpu_millis * nodes;
  cap[1] = node.memory_mib * nodes;
  for (int q = 1; q <= 3; ++q) cap[1 + q] = cap[4 + q] = int64_t{q} * nodes;
  return cap;
}

// A window with some excess: X_rW per resource, and the overlaps of the jobs that may burst.
struct Row {
  std::array<__int128, kResources> excess;
  std::vector<std::pair<int, int64_t>> overlaps;  // (job, e_jW > 0)
};

// The windows [i h, i h + width) (h = width / 2) that job j can touch.
std::pair<int64_t, int64_t> WindowsOf(const BoundJob& j, int64_t width) {
  const int64_t h = width / 2;
  const int64_t first = std::max<int64_t>(0, (j.s_lo - width) / h + 1);
  const int64_t last = (j.s_hi + j.hold + h - 1) / h - 1;
  return {first, last};
}

void AddRows(const std::vector<BoundJob>& jobs, const std::vector<Weights>& weights,
             const Weights& cap, int64_t width, std::vector<Row>& rows) {
  const int64_t h = width / 2;
  int64_t count = 0;
  for (const BoundJob& j : jobs) count = std::max(count, WindowsOf(j, width).second + 1);
  std::vector<std::array<__int128, kResources>> energy(static_cast<size_t>(count));
  for (size_t k = 0; k < jobs.size(); ++k) {
    const auto [first, last] = WindowsOf(jobs[k], width);
    for (int64_t i = first; i <= last; ++i) {
      const int64_t e = MinOverlap(jobs[k], i * h, i * h + width);
      for (int r = 0; r < kResources; ++r) energy[i][r] += static_cast<__int128>(weights[k][r]) * e;
    }
  }
  std::vector<int> row_of(energy.size(), -1);
  for (size_t i = 0; i < energy.size(); ++i) {
    Row row;
    bool any = false;
    for (int r = 0; r < kResources; ++r) {
      row.excess[r] = energy[i][r] - static_cast<__int128>(cap[r]) * width;
      any = any || row.excess[r] > 0;
    }
    if (!any) continue;
    row_of[i] = static_cast<int>(rows.size());
    rows.push_back(std::move(row));
  }
  for (size_t k = 0; k < jobs.size(); ++k) {
    if (!jobs[k].may_burst) continue;
    const auto [first, last] = WindowsOf(jobs[k], width);
    for (int64_t i = first; i <= last; ++i) {
      if (row_of[i] < 0) continue;
      const int64_t e = MinOverlap(jobs[k], i * h, i * h + width);
      if (e > 0) rows[row_of[i]].overlaps.emplace_back(static_cast<int>(k), e);
    }
  }
}

}  // namespace

int64_t MinOverlap(const BoundJob& j, int64_t w0, int64_t w1) {
  auto overlap = [&](int64_t s) {
    return std::max<int64_t>(0, std::min(s + j.hold, w1) - std::max(s, w0));
  };
  return std::min(overlap(j.s_lo), overlap(j.s_hi));
}

DualBound PriceWindows(const std::vector<BoundJob>& jobs, const Resources& node_capacity,
                       int nodes) {
  DualBound out;
  std::vector<Weights> weights;
  weights.reserve(jobs.size());
  for (const BoundJob& j : jobs) weights.push_back(WeightsOf(j, node_capacity));
  const Weights cap = CapacitiesOf(node_capacity, nodes);
  std::vector<Row> rows;
  // Widths from 5 s to 4 h (more widths, more constraints: the bound can only rise); on the
  // seed-1 day this family's LP optimum is $3.36, 11 widths at doublings gave $3.12.
  for (const int64_t seconds :
       {5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 420, 600, 900, 1200, 2400, 4800, 9600, 14400}) {
    AddRows(jobs, weights, cap, seconds * 1000, rows);
  }
  out.windows = static_cast<int64_t>(rows.size());

  // One price per (window, resource) with an excess, dearest to cover first (the excess over
  // what every burst-able job in the window could cover): coordinate ascent cannot lower one
  // price to raise another, so where it starts matters.
  struct Price {
    size_t row;
    int resource;
    double excess, tightness, value = 0;
  };
  std::vector<Price> prices;
  for (size_t w = 0; w < rows.size(); ++w) {
    for (int r = 0; r < kResources; ++r) {
      if (rows[w].excess[r] <= 0) continue;
      __int128 coverable = 0;
      for (const auto& [k, e] : rows[w].overlaps) {
        coverable += static_cast<__int128>(weights[k][r]) * e;
      }
      if (coverable < rows[w].excess[r]) out.uncoverable = true;
      const double excess = static_cast<double>(rows[w].excess[r]);
      prices.push_back({w, r, excess, excess / std::max(1.0, static_cast<double>(coverable))});
    }
  }
  std::stable_sort(prices.begin(), prices.end(),
                   [](const Price& a, const Price& b) { return a.tightness > b.tightness; });

  std::vector<double> load(jobs.size(), 0.0);
  auto bound = [&] {
    long double total = 0;
    for (const Price& p : prices) total += static_cast<long double>(p.excess) * p.value;
    for (size_t k = 0; k < jobs.size(); ++k) {
      if (jobs[k].may_burst && load[k] > jobs[k].aci_cost) total -= load[k] - jobs[k].aci_cost;
    }
    return static_cast<double>(total);
  };
  std::vector<std::pair<double, double>> points;  // (price where the job is paid for, coverage)
  double best = 0;
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    for (Price& p : prices) {
      const Row& row = rows[p.row];
      // The bound in this price alone: X y - sum_j max(0, rest_j + c_j y), c_j = w_jr e_jW. Its
      // slope, X less the coverage of the jobs already paid for at y, falls through zero at the
      // weighted median of the jobs' break points.
      points.clear();
      for (const auto& [k, e] : row.overlaps) {
        const double c = static_cast<double>(weights[k][p.resource]) * static_cast<double>(e);
        if (c <= 0) continue;
        const double rest = load[k] - c * p.value - jobs[k].aci_cost;
        points.emplace_back(rest >= 0 ? 0.0 : -rest / c, c);
      }
      std::sort(points.begin(), points.end());
      double covered = 0;
      double y = 0;
      for (const auto& [at, c] : points) {
        y = at;
        covered += c;
        if (covered >= p.excess) break;
      }
      if (y == p.value) continue;
      for (const auto& [k, e] : row.overlaps) {
        load[k] +=
            static_cast<double>(weights[k][p.resource]) * static_cast<double>(e) * (y - p.value);
      }
      p.value = y;
    }
    const double now = bound();
    const bool stalled = now <= best * (1 + 1e-6);
    best = std::max(best, now);
    if (stalled) break;
  }
  out.micro_usd = best;
  return out;
}

}  // namespace sim
}  // namespace spillway
