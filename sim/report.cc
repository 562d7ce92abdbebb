#include "sim/report.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "scheduler/model/money.h"

namespace spillway {
namespace sim {
namespace {

absl::Duration Percentile(const std::vector<absl::Duration>& sorted, double p) {
  if (sorted.empty()) return absl::ZeroDuration();
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

int64_t PoolCost(int nodes, int64_t node_hour, absl::Duration horizon) {
  return static_cast<int64_t>(std::ceil(
      static_cast<double>(nodes) * static_cast<double>(node_hour) * absl::ToDoubleHours(horizon)));
}

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%.0f s", absl::ToDoubleSeconds(d));
}

std::string Usd(int64_t micro_usd) {
  return absl::StrFormat("$%.2f", static_cast<double>(micro_usd) / 1e6);
}

}  // namespace

RunSummary Summarize(const std::string& name, const SimResult& result, int nodes,
                     int64_t vm_node_hour_micro_usd, absl::Duration horizon,
                     absl::Duration aci_start_latency) {
  RunSummary s;
  s.name = name;
  s.jobs = static_cast<int64_t>(result.jobs.size());
  std::vector<absl::Duration> waits;
  waits.reserve(result.jobs.size());
  for (const JobOutcome& job : result.jobs) {
    if (!job.ended) ++s.unfinished;
    if (job.wait == absl::InfiniteDuration()) {
      ++s.violations;
      continue;
    }
    waits.push_back(job.wait);
    if (job.wait > job.budget) {
      ++s.violations;
      if (job.burst) ++s.violations_on_aci;
      if (job.budget < aci_start_latency) ++s.violations_short_budget;
    }
  }
  std::sort(waits.begin(), waits.end());
  s.wait_p50 = Percentile(waits, 0.50);
  s.wait_p95 = Percentile(waits, 0.95);
  s.wait_p99 = Percentile(waits, 0.99);
  s.vm_pool_cost_micro_usd = PoolCost(nodes, vm_node_hour_micro_usd, horizon);
  s.aci_spend_micro_usd = result.aci_spend_micro_usd;
  s.total_cost_micro_usd = s.vm_pool_cost_micro_usd + s.aci_spend_micro_usd;
  s.bursts = result.bursts;
  s.migrations = result.migrations;
  s.flaps = result.flaps;
  s.peak_creates_per_minute = result.peak_creates_per_minute;
  s.makespan = result.makespan;
  return s;
}

RunSummary ReferenceRow(const std::string& name, int64_t aci_spend_micro_usd, int nodes,
                        int64_t vm_node_hour_micro_usd, absl::Duration horizon) {
  RunSummary s;
  s.name = name;
  s.is_reference = true;
  s.vm_pool_cost_micro_usd = PoolCost(nodes, vm_node_hour_micro_usd, horizon);
  s.aci_spend_micro_usd = aci_spend_micro_usd;
  s.total_cost_micro_usd = s.vm_pool_cost_micro_usd + aci_spend_micro_usd;
  return s;
}

std::string MarkdownTable(const std::vector<RunSummary>& rows) {
  std::string out =
      "| policy | total cost | VM pool | ACI spend | wait p50 | wait p95 | wait p99 | "
      "violations | bursts | migrations | flaps | peak creates/min | unfinished |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const RunSummary& r : rows) {
    if (r.is_reference) {
      const char* bound = r.is_upper_bound ? "≤ " : "≥ ";
      absl::StrAppend(&out, "| ", r.name, " | ", bound, Usd(r.total_cost_micro_usd), " | ",
                      Usd(r.vm_pool_cost_micro_usd), " | ", bound, Usd(r.aci_spend_micro_usd),
                      " | | | | 0 (by construction) | ",
                      r.is_upper_bound ? absl::StrCat(r.bursts) : "", " | | | | |\n");
      continue;
    }
    absl::StrAppend(
        &out, "| ", r.name, " | ", Usd(r.total_cost_micro_usd), " | ",
        Usd(r.vm_pool_cost_micro_usd), " | ", Usd(r.aci_spend_micro_usd), " | ",
        Seconds(r.wait_p50), " | ", Seconds(r.wait_p95), " | ", Seconds(r.wait_p99), " | ",
        r.violations,
        absl::StrFormat(" (%.2f%%)", r.jobs == 0 ? 0.0
                                                 : 100.0 * static_cast<double>(r.violations) /
                                                       static_cast<double>(r.jobs)),
        " | ", r.bursts, " | ", r.migrations, " | ", r.flaps, " | ", r.peak_creates_per_minute,
        " | ", r.unfinished, " |\n");
  }
  return out;
}

}  // namespace sim
}  // namespace spillway
