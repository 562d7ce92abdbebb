// Simulation speed: a synthetic workload of --jobs jobs replayed through the real core with the
// cost-aware policy on one core.
//
//   bazel run -c opt //tests/bench:sim_speed_bench [-- --jobs=1000000]
//
// The pool (--nodes of 8 vCPU) is scaled with the job count so the load looks like the default
// synthetic day (mean 70% of the pool, daily cycle, bursts): queues form at peaks only. Prints
// jobs/s and core events/s and "SUMMARY|..." lines for make bench; --quick replays a few thousand
// jobs and checks every job ended (exit 1 otherwise).
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/clock.h"
#include "scheduler/model/policy.h"
#include "sim/report.h"
#include "sim/simulation.h"
#include "sim/synthetic.h"

ABSL_FLAG(int, jobs, 1000000, "Jobs to replay.");
ABSL_FLAG(bool, quick, false, "A few thousand jobs (for make test).");
ABSL_FLAG(double, utilization, 0.7, "Mean cpu demand / pool (0.7: queues at peaks and bursts).");
ABSL_FLAG(double, bursts_per_day, 3, "Sudden bursts per day.");
ABSL_FLAG(absl::Duration, forget_finished_after, absl::InfiniteDuration(),
          "The core forgets finished jobs this long after they end (default: keeps every job).");

namespace spillway {
namespace sim {
namespace {

long PeakRssMb() {
  struct rusage usage;
  return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss / 1024 : -1;
}

int Main() {
  const int jobs = absl::GetFlag(FLAGS_quick) ? 3000 : absl::GetFlag(FLAGS_jobs);
  // The default synthetic day puts about 440 jobs per pool vCPU per day; keep the day and scale
  // the pool to the job count (at least 2 nodes).
  const int nodes =
      std::max(2, static_cast<int>(jobs / (440 * 8 * absl::GetFlag(FLAGS_utilization) / 0.7)));
  SimOptions options;
  options.pool.nodes = nodes;
  options.sample_interval = absl::Minutes(10);
  options.forget_finished_after = absl::GetFlag(FLAGS_forget_finished_after);
  SyntheticOptions synthetic;
  synthetic.pool_cpu_millis = options.pool.node_capacity.cpu_millis * nodes;
  synthetic.target_utilization = absl::GetFlag(FLAGS_utilization);
  synthetic.bursts_per_day = absl::GetFlag(FLAGS_bursts_per_day);
  Clock* clock = RealClock::Get();
  const absl::Time generate_start = clock->Now();
  Trace trace = GenerateSynthetic(1, synthetic);
  if (trace.size() > static_cast<size_t>(jobs)) trace.resize(jobs);
  const double generate_s = absl::ToDoubleSeconds(clock->Now() - generate_start);

  spillway::v1::Policy policy = DefaultPolicy();
  // ACI limits scaled with the pool, so bursting is not capped by a small subscription's quota.
  policy.set_aci_max_cores(std::max<int64_t>(100, nodes * 8));
  policy.set_aci_max_groups(std::max(100, nodes * 8));
  policy.set_aci_creates_per_5min(std::max(100, nodes * 10));
  policy.set_aci_creates_per_hour(std::max(300, nodes * 30));
  policy.set_spend_budget_micro_usd_per_hour(std::max<int64_t>(5000000, nodes * 400000));
  const absl::Time start = clock->Now();
  absl::StatusOr<SimResult> r = Simulate(trace, policy, options);
  const double wall_s = absl::ToDoubleSeconds(clock->Now() - start);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    return 1;
  }
  int max_queue = 0;
  for (const Sample& s : r->samples) max_queue = std::max(max_queue, s.queue_depth);
  const RunSummary summary = Summarize("cost-aware", *r, nodes, 0, r->makespan);
  std::printf(
      "%zu jobs on %d nodes (trace generated in %.2f s): replayed in %.2f s = %.0f jobs/s, "
      "%lld core events = %.0f events/s (%lld full queue passes); max queue %d; "
      "unfinished %lld; peak RSS %ld MB\n",
      trace.size(), nodes, generate_s, wall_s, trace.size() / wall_s,
      static_cast<long long>(r->core_events), r->core_events / wall_s,
      static_cast<long long>(r->full_passes), max_queue, static_cast<long long>(summary.unfinished),
      PeakRssMb());
  std::printf(
      "SUMMARY|spillsim replay, %zu jobs, utilization %.2f, %g bursts/day (peak queue %d)|%.1f s "
      "(%.0f jobs/s)|1M jobs < 60 s\n",
      trace.size(), synthetic.target_utilization, synthetic.bursts_per_day, max_queue, wall_s,
      trace.size() / wall_s);
  std::printf("SUMMARY|spillsim core events/s|%.0f|-\n", r->core_events / wall_s);
  return summary.unfinished == 0 && r->live_groups_at_end == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sim
}  // namespace spillway

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return spillway::sim::Main();
}
