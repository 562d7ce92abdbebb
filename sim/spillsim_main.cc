// spillsim: replays a workload through the real core with simulated backends and time.
//
//   spillsim --synthetic 1 --out /tmp/sim                       # 4 strategies + the reference
//   spillsim --trace jobs.csv --policy mine.yaml --mode whatif --out /tmp/whatif
//   spillsim --synthetic 1 --sweep default_max_wait=15s,30s,60s,120s,300s --out /tmp/sweep
//   spillsim export --server 127.0.0.1:50051 --out_trace jobs.csv
// See sim/README.md.
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "scheduler/model/policy.h"
#include "sim/comparison.h"
#include "sim/export.h"
#include "sim/plots.h"
#include "sim/policy_file.h"
#include "sim/synthetic.h"

ABSL_FLAG(std::string, trace, "", "Trace CSV to replay (see sim/trace.h).");
ABSL_FLAG(int64_t, synthetic, -1, "Seed of a synthetic workload (instead of --trace).");
ABSL_FLAG(absl::Duration, synthetic_length, absl::Hours(24), "Synthetic workload length.");
ABSL_FLAG(double, utilization, 0.7, "Synthetic mean cpu demand / pool cpu (before bursts).");
ABSL_FLAG(double, bursts_per_day, 3, "Synthetic sudden bursts per day.");
ABSL_FLAG(std::string, policy, "", "Policy YAML (Policy fields over the defaults).");
ABSL_FLAG(std::string, mode, "compare",
          "compare: vm-only, when-unschedulable, after-max-wait, cost-aware from the policy file; "
          "whatif: the policy file as it is. Both add the reference.");
ABSL_FLAG(std::string, sweep, "",
          "field=v1,v2,...: also run after-max-wait and cost-aware with each value (budgets stay "
          "the policy file's) and plot the cost-versus-violations frontier.");
ABSL_FLAG(std::string, out, "", "Output directory (report.md, *.dat, PNG plots).");
ABSL_FLAG(bool, plots, true, "Draw PNG plots with gnuplot.");
ABSL_FLAG(std::string, write_trace, "", "Also write the replayed trace as CSV here.");
ABSL_FLAG(int, nodes, 20, "VM pool nodes.");
ABSL_FLAG(int64_t, node_cpu_millis, 8000, "Cpu per node.");
ABSL_FLAG(int64_t, node_memory_mib, 32768, "Memory per node.");
ABSL_FLAG(absl::Duration, vm_start_delay, absl::Seconds(1), "Simulated agent start delay.");
ABSL_FLAG(absl::Duration, aci_start_latency, absl::Seconds(20), "Simulated ACI start latency.");
ABSL_FLAG(absl::Duration, aci_start_latency_jitter, absl::Seconds(5), "Uniform extra latency.");
ABSL_FLAG(double, aci_failure_rate, 0.0, "Share of ACI creates that fail.");
ABSL_FLAG(int64_t, aci_seed, 1, "Seed of the simulated ACI.");
ABSL_FLAG(absl::Duration, tick, absl::Seconds(1), "Tick interval while work is queued.");
ABSL_FLAG(absl::Duration, sample, absl::Minutes(1), "Sample interval of the time series.");
ABSL_FLAG(absl::Duration, flap_window, absl::Minutes(10), "Drain-back this soon = a flap.");
ABSL_FLAG(absl::Duration, forget_finished_after, absl::InfiniteDuration(),
          "The core forgets finished jobs this long after they end: bounded memory for long "
          "traces (e.g. 1h), some speed. Default: it keeps every job.");
ABSL_FLAG(std::string, server, "", "export: spillwayd's gRPC address.");
ABSL_FLAG(std::string, out_trace, "", "export: where to write the CSV (default stdout).");

namespace spillway {
namespace sim {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "spillsim: " << status << "\n";
  return 1;
}

int Export() {
  absl::StatusOr<std::vector<spillway::v1::Job>> jobs = ListAllJobs(absl::GetFlag(FLAGS_server));
  if (!jobs.ok()) return Fail(jobs.status());
  ExportStats stats;
  const std::string csv = WriteTraceCsv(TraceFromJobs(*jobs, &stats));
  if (absl::GetFlag(FLAGS_out_trace).empty()) {
    std::cout << csv;
  } else if (absl::Status s = WriteFile(absl::GetFlag(FLAGS_out_trace), csv); !s.ok()) {
    return Fail(s);
  }
  std::cerr << absl::StrFormat("spillsim export: %d jobs, %d skipped (no run time known)\n",
                               stats.jobs, stats.skipped);
  return 0;
}

SimOptions OptionsFromFlags() {
  SimOptions o;
  o.pool.nodes = absl::GetFlag(FLAGS_nodes);
  o.pool.node_capacity = {absl::GetFlag(FLAGS_node_cpu_millis),
                          absl::GetFlag(FLAGS_node_memory_mib)};
  o.vm.start_delay = absl::GetFlag(FLAGS_vm_start_delay);
  o.aci.start_latency = absl::GetFlag(FLAGS_aci_start_latency);
  o.aci.start_latency_jitter = absl::GetFlag(FLAGS_aci_start_latency_jitter);
  o.aci.create_failure_rate = absl::GetFlag(FLAGS_aci_failure_rate);
  o.aci.seed = static_cast<uint64_t>(absl::GetFlag(FLAGS_aci_seed));
  o.tick_interval = absl::GetFlag(FLAGS_tick);
  o.sample_interval = absl::GetFlag(FLAGS_sample);
  o.flap_window = absl::GetFlag(FLAGS_flap_window);
  o.forget_finished_after = absl::GetFlag(FLAGS_forget_finished_after);
  return o;
}

int Run() {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) return Fail(absl::InvalidArgumentError("--out is required"));
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return Fail(absl::UnavailableError(absl::StrCat("cannot create ", out)));

  SimOptions options = OptionsFromFlags();
  Trace trace;
  std::string source;
  if (!absl::GetFlag(FLAGS_trace).empty()) {
    absl::StatusOr<Trace> t = LoadTraceFile(absl::GetFlag(FLAGS_trace));
    if (!t.ok()) return Fail(t.status());
    trace = *std::move(t);
    source = absl::StrCat("trace ", absl::GetFlag(FLAGS_trace));
  } else if (absl::GetFlag(FLAGS_synthetic) >= 0) {
    SyntheticOptions s;
    s.length = absl::GetFlag(FLAGS_synthetic_length);
    s.pool_cpu_millis = options.pool.node_capacity.cpu_millis * options.pool.nodes;
    s.target_utilization = absl::GetFlag(FLAGS_utilization);
    s.bursts_per_day = absl::GetFlag(FLAGS_bursts_per_day);
    trace = GenerateSynthetic(static_cast<uint64_t>(absl::GetFlag(FLAGS_synthetic)), s);
    source = absl::StrFormat("synthetic seed %d, %s, utilization %.2f, %.1f bursts/day",
                             absl::GetFlag(FLAGS_synthetic), absl::FormatDuration(s.length),
                             s.target_utilization, s.bursts_per_day);
  } else {
    return Fail(absl::InvalidArgumentError("give --trace FILE or --synthetic SEED"));
  }
  if (!absl::GetFlag(FLAGS_write_trace).empty()) {
    if (absl::Status s = WriteFile(absl::GetFlag(FLAGS_write_trace), WriteTraceCsv(trace));
        !s.ok()) {
      return Fail(s);
    }
  }
  spillway::v1::Policy base = DefaultPolicy();
  if (!absl::GetFlag(FLAGS_policy).empty()) {
    absl::StatusOr<spillway::v1::Policy> p = LoadPolicyFile(absl::GetFlag(FLAGS_policy));
    if (!p.ok()) return Fail(p.status());
    base = *p;
  }
  options.budget_policy = base;

  std::vector<NamedPolicy> policies;
  if (absl::GetFlag(FLAGS_mode) == "compare") {
    policies = StrategyPolicies(base);
  } else if (absl::GetFlag(FLAGS_mode) == "whatif") {
    policies.push_back({"policy-file", base});
  } else {
    return Fail(absl::InvalidArgumentError("--mode is compare or whatif"));
  }
  absl::StatusOr<Comparison> c =
      Compare(trace, policies, options, /*with_reference=*/true, RealClock::Get());
  if (!c.ok()) return Fail(c.status());

  std::string report = absl::StrFormat(
      "# spillsim report\n\n%s: %d jobs; pool %d x %dm / %dMi; ACI start %s + U[0, %s]; "
      "policy %s (budgets judged against it)\n\n",
      source, trace.size(), options.pool.nodes, options.pool.node_capacity.cpu_millis,
      options.pool.node_capacity.memory_mib, absl::FormatDuration(options.aci.start_latency),
      absl::FormatDuration(options.aci.start_latency_jitter),
      absl::GetFlag(FLAGS_policy).empty() ? "defaults" : absl::GetFlag(FLAGS_policy));
  absl::StrAppend(&report, MarkdownTable(c->rows),
                  "\n| run | violations: ran on ACI / budget < ACI start | simulated | wall | "
                  "core events |\n|---|---:|---:|---:|---:|\n");
  for (size_t i = 0; i < c->results.size(); ++i) {
    absl::StrAppendFormat(&report, "| %s | %d / %d | %.1f h | %.2f s | %d |\n", c->names[i],
                          c->rows[i].violations_on_aci, c->rows[i].violations_short_budget,
                          absl::ToDoubleHours(c->results[i].makespan), c->rows[i].wall_seconds,
                          c->results[i].core_events);
  }
  for (size_t i = 0; i < c->results.size(); ++i) {
    for (const std::string& u : c->results[i].unfinished_examples) {
      absl::StrAppend(&report, "\n- unfinished in ", c->names[i], ": ", u);
    }
  }

  std::vector<FrontierPoint> frontier;
  if (const std::string sweep = absl::GetFlag(FLAGS_sweep); !sweep.empty()) {
    std::pair<std::string, std::string> kv = absl::StrSplit(sweep, absl::MaxSplits('=', 1));
    std::vector<std::string> values = absl::StrSplit(kv.second, ',', absl::SkipEmpty());
    absl::StrAppend(&report, "\n## Sweep of ", kv.first,
                    "\n\n| strategy | value | ACI spend | violations | bursts |\n"
                    "|---|---|---:|---:|---:|\n");
    for (const NamedPolicy& named : StrategyPolicies(base)) {
      if (named.name != "cost-aware" && named.name != "after-max-wait") continue;
      for (const std::string& v : values) {
        spillway::v1::Policy p = named.policy;
        if (absl::Status s = SetPolicyField(p, kv.first, v); !s.ok()) return Fail(s);
        absl::StatusOr<Comparison> one = Compare(trace, {{named.name, p}}, options, false, nullptr);
        if (!one.ok()) return Fail(one.status());
        const RunSummary& r = one->rows[0];
        frontier.push_back(
            {named.name, v, static_cast<double>(r.aci_spend_micro_usd) / 1e6, r.violations});
        absl::StrAppendFormat(&report, "| %s | %s | $%.2f | %d | %d |\n", named.name, v,
                              static_cast<double>(r.aci_spend_micro_usd) / 1e6, r.violations,
                              r.bursts);
      }
    }
  }
  if (absl::Status s = WriteFile(absl::StrCat(out, "/report.md"), report); !s.ok()) return Fail(s);
  std::cout << report;
  if (absl::GetFlag(FLAGS_plots)) {
    if (absl::Status s = WritePlots(out, c->names, c->results, frontier); !s.ok()) {
      std::cerr << "spillsim: " << s << "\n";
    }
  }
  return 0;
}

}  // namespace
}  // namespace sim
}  // namespace spillway

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("spillsim [export] --synthetic SEED|--trace FILE --out DIR ...");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1 && std::string(args[1]) == "export") return spillway::sim::Export();
  if (args.size() > 1) {
    std::cerr << "spillsim: unexpected argument " << args[1] << "\n";
    return 1;
  }
  return spillway::sim::Run();
}
