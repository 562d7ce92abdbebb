// Core::Apply throughput: events per second through the whole per-event pass (apply, deletes,
// queue pass, rebalance).
//
//   bazel run -c opt //tests/bench:core_apply_bench
//
// BM_CoreLifecycle/nodes: the steady mix a job produces (JobSubmitted, TaskStarting, TaskRunning,
// TaskExited of an older job) on a pool kept about half busy; nothing queues.
// BM_CoreTickWithQueue/queued/gap_ms: one Tick with `queued` jobs waiting on a full 100-node
// pool, `gap_ms` after the previous one. 1 ms: between full passes (only the head of the queue is
// tried); 1000 ms: every Tick runs the full queue pass (core_schedule.cc), which visits every
// queued job — its cost grows linearly with the queue.
// BM_CoreLongestSubmit/jobs: `jobs` submits that all start and keep running (400 nodes of 64
// vCPUs); reports the longest single JobSubmitted apply and how many took over 1 ms. The core's
// tables grow as jobs accumulate; a table that doubles by moving every entry stalls the one
// submit that crosses the boundary (what spillwayd's SubmitJob p99 saw). Wall time: a
// preemption of this thread shows up too, so compare runs.
#include <algorithm>
#include <chrono>
#include <deque>
#include <string>

#include "benchmark/benchmark.h"
#include "scheduler/core/core.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

constexpr int64_t kNodeCpu = 16000;
constexpr int64_t kNodeMem = 65536;

spillway::v1::JobSpec Spec(int64_t cpu_millis) {
  spillway::v1::JobSpec spec;
  spec.set_name("bench");
  spec.set_image("busybox");
  spec.set_cpu_millis(cpu_millis);
  spec.set_memory_mib(2048);
  *spec.mutable_expected_duration() = ToProtoDuration(absl::Minutes(5));
  return spec;
}

Core MakeCore(int nodes, absl::Time now) {
  CoreConfig config;
  config.policy = DefaultPolicy();
  config.event_log_capacity = 10000;
  Core core(config);
  for (int i = 0; i < nodes; ++i) {
    core.Apply(
        {now, NodeUp{"vm-" + std::to_string(100000 + i), Resources{kNodeCpu, kNodeMem}, {}}});
  }
  return core;
}

void BM_CoreLifecycle(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  absl::Time now = absl::FromUnixSeconds(1767225600);
  Core core = MakeCore(nodes, now);
  const spillway::v1::JobSpec spec = Spec(1000);
  std::deque<std::string> running;
  const size_t keep = static_cast<size_t>(nodes) * 8;  // About half the pool busy.
  int64_t events = 0;
  for (auto _ : state) {
    now += absl::Milliseconds(1);
    ApplyResult r = core.Apply({now, JobSubmitted{spec, ""}});
    core.Apply({now, TaskStarting{r.job_id, 1}});
    core.Apply({now, TaskRunning{r.job_id, 1}});
    running.push_back(r.job_id);
    events += 3;
    if (running.size() > keep) {
      core.Apply({now, TaskExited{running.front(), 1, 0, ""}});
      running.pop_front();
      ++events;
    }
  }
  state.SetItemsProcessed(events);
  state.counters["jobs_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CoreLifecycle)->Arg(100)->Arg(1000)->Arg(5000);

void BM_CoreTickWithQueue(benchmark::State& state) {
  const int queued = static_cast<int>(state.range(0));
  const absl::Duration gap = absl::Milliseconds(state.range(1));
  absl::Time now = absl::FromUnixSeconds(1767225600);
  Core core = MakeCore(100, now);
  spillway::v1::Policy policy = DefaultPolicy();
  policy.set_burst_enabled(false);  // Keep them queued.
  const int64_t version = core.policy().version();
  if (!core.Apply({now, PolicyChanged{policy, version, "bench"}}).status.ok()) {
    state.SkipWithError("policy change refused");
    return;
  }
  for (int i = 0; i < 100 * 16; ++i) {  // Fill every node.
    ApplyResult r = core.Apply({now, JobSubmitted{Spec(1000), ""}});
    core.Apply({now, TaskRunning{r.job_id, 1}});
  }
  for (int i = 0; i < queued; ++i) core.Apply({now, JobSubmitted{Spec(1000), ""}});
  if (core.queue_depth() != queued) {
    state.SkipWithError("the pool was not full");
    return;
  }
  for (auto _ : state) {
    now += gap;
    benchmark::DoNotOptimize(core.Apply({now, Tick{}}));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["queue_depth"] = core.queue_depth();
}
// Fixed iterations: the setup (filling the queue) runs once.
BENCHMARK(BM_CoreTickWithQueue)
    ->ArgsProduct({{10, 100, 1000, 3000}, {1, 1000}})
    ->ArgNames({"queued", "gap_ms"})
    ->Iterations(300);

void BM_CoreLongestSubmit(benchmark::State& state) {
  const int jobs = static_cast<int>(state.range(0));
  const spillway::v1::JobSpec spec = Spec(100);
  double longest_us = 0;
  int64_t over_1ms = 0;
  for (auto _ : state) {
    absl::Time now = absl::FromUnixSeconds(1767225600);
    CoreConfig config;
    config.policy = DefaultPolicy();
    config.event_log_capacity = 10000;
    Core core(config);
    for (int i = 0; i < 400; ++i) {
      core.Apply(
          {now,
           NodeUp{"vm-" + std::to_string(100000 + i), Resources{64000, int64_t{1} << 21}, {}}});
    }
    for (int i = 0; i < jobs; ++i) {
      now += absl::Microseconds(40);
      const auto start = std::chrono::steady_clock::now();
      ApplyResult r = core.Apply({now, JobSubmitted{spec, ""}});
      const double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count();
      longest_us = std::max(longest_us, us);
      if (us > 1000) ++over_1ms;
      core.Apply({now, TaskRunning{r.job_id, 1}});
    }
    if (core.queue_depth() != 0) state.SkipWithError("jobs queued: the pool was too small");
  }
  state.counters["longest_submit_us"] = longest_us;
  state.counters["submits_over_1ms"] = static_cast<double>(over_1ms);
}
BENCHMARK(BM_CoreLongestSubmit)->Arg(200000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace spillway
