// Placement decisions per second at 1,000, 5,000 and 10,000 nodes.
//
//   bazel run -c opt //tests/bench:placement_bench
//
// BM_Place: one placement decision (candidates, filters, scorers, selection) on a pool whose
// nodes are 0-90% allocated at random. BM_PlaceAndCommit: decision plus the allocation and the
// release of an older task, so the index keeps changing. BM_CoreSubmit: a whole JobSubmitted
// through Core::Apply (queue, placement, lifecycle bookkeeping, event log), with finished jobs
// reported back so the pool stays about half full. items_per_second is decisions per second.
#include <deque>
#include <random>

#include "benchmark/benchmark.h"
#include "scheduler/core/core.h"
#include "scheduler/model/policy.h"
#include "scheduler/placement/placer.h"

namespace spillway {
namespace {

constexpr int64_t kNodeCpu = 16000;
constexpr int64_t kNodeMem = 65536;

NodePool MakePool(int nodes, std::mt19937_64& rng) {
  NodePool pool;
  for (int i = 0; i < nodes; ++i) {
    const std::string id = "vm-" + std::to_string(100000 + i);
    pool.Upsert(id, Resources{kNodeCpu, kNodeMem}, {{"zone", std::to_string(i % 3)}});
    const int64_t used = static_cast<int64_t>(rng() % 10);  // 0..90%
    pool.Allocate(id, TaskFootprint{"seed-" + std::to_string(i) + "#1",
                                    Resources{kNodeCpu * used / 10, kNodeMem * used / 10},
                                    {},
                                    {}});
  }
  return pool;
}

Resources RandomRequest(std::mt19937_64& rng) {
  static const Resources kShapes[] = {{250, 512}, {500, 1024}, {1000, 2048}, {2000, 4096},
                                      {4000, 8192}};
  return kShapes[rng() % 5];
}

void BM_Place(benchmark::State& state) {
  std::mt19937_64 rng(1);
  NodePool pool = MakePool(static_cast<int>(state.range(0)), rng);
  PlacementOptions options;
  int64_t placed = 0;
  for (auto _ : state) {
    PlacementRequest request;
    request.resources = RandomRequest(rng);
    PlacementResult r = Place(pool, request, options);
    placed += r.node != nullptr;
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["placed_share"] =
      static_cast<double>(placed) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Place)->Arg(1000)->Arg(5000)->Arg(10000);

void BM_PlaceSpread(benchmark::State& state) {
  std::mt19937_64 rng(1);
  NodePool pool = MakePool(static_cast<int>(state.range(0)), rng);
  PlacementOptions options;
  options.strategy = spillway::v1::PLACEMENT_STRATEGY_SPREAD;
  for (auto _ : state) {
    PlacementRequest request;
    request.resources = RandomRequest(rng);
    benchmark::DoNotOptimize(Place(pool, request, options));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlaceSpread)->Arg(1000)->Arg(5000)->Arg(10000);

void BM_PlaceAndCommit(benchmark::State& state) {
  std::mt19937_64 rng(1);
  NodePool pool = MakePool(static_cast<int>(state.range(0)), rng);
  PlacementOptions options;
  std::deque<std::pair<std::string, TaskFootprint>> live;
  int64_t n = 0;
  for (auto _ : state) {
    PlacementRequest request;
    request.resources = RandomRequest(rng);
    PlacementResult r = Place(pool, request, options);
    if (r.node != nullptr) {
      TaskFootprint task{"t" + std::to_string(n++) + "#1", request.resources, {}, {}};
      const std::string node = r.node->id;
      pool.Allocate(node, task);
      live.push_back({node, std::move(task)});
    }
    if (live.size() > 2000) {
      pool.Release(live.front().first, live.front().second);
      live.pop_front();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlaceAndCommit)->Arg(1000)->Arg(5000)->Arg(10000);

void BM_CoreSubmit(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  CoreConfig config;
  config.policy = DefaultPolicy();
  config.event_log_capacity = 10000;
  Core core(config);
  absl::Time now = absl::FromUnixSeconds(1767225600);
  for (int i = 0; i < nodes; ++i) {
    core.Apply({now, NodeUp{"vm-" + std::to_string(100000 + i), Resources{kNodeCpu, kNodeMem}, {}}});
  }
  std::mt19937_64 rng(1);
  std::deque<std::pair<std::string, int>> running;
  const size_t keep = static_cast<size_t>(nodes) * 8;  // ~half the pool busy with 1-vCPU jobs.
  spillway::v1::JobSpec spec;
  spec.set_name("bench");
  spec.set_image("busybox");
  spec.set_cpu_millis(1000);
  spec.set_memory_mib(2048);
  for (auto _ : state) {
    ApplyResult r = core.Apply({now, JobSubmitted{spec, ""}});
    running.push_back({r.job_id, 1});
    if (running.size() > keep) {
      state.PauseTiming();
      core.Apply({now, TaskExited{running.front().first, 1, 0, ""}});
      running.pop_front();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CoreSubmit)->Arg(1000)->Arg(5000)->Arg(10000);

}  // namespace
}  // namespace spillway
