// Store benchmarks (figures, not a timed test):
//   1. durable SubmitJob/s through the real gRPC server, with group commit (one transaction per
//      event-loop batch) and with one transaction per submit (max_batch = 1);
//   2. restart time: opening the store and replaying N jobs' events through the core.
//
//   bazel run -c opt //store/bench:store_bench -- --restart_jobs=100000,1000000
#include <filesystem>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"
#include "scheduler/core/core.h"
#include "scheduler/model/policy.h"
#include "server/spillwayd.h"
#include "store/event_store.h"

ABSL_FLAG(int, submits, 20000, "Submits per throughput run.");
ABSL_FLAG(int, clients, 16, "Concurrent gRPC clients.");
ABSL_FLAG(std::string, restart_jobs, "100000,1000000", "Store sizes (jobs) for the restart runs.");
ABSL_FLAG(std::string, dir, "/tmp/spillway-store-bench", "Scratch directory.");

namespace spillway {
namespace {

spillway::v1::JobSpec BenchSpec() {
  spillway::v1::JobSpec spec;
  spec.set_name("bench");
  spec.set_image("busybox");
  spec.set_cpu_millis(10);
  spec.set_memory_mib(16);
  spec.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  *spec.mutable_expected_duration() = ToProtoDuration(absl::Hours(1));
  (*spec.mutable_labels())["spillway.sim/duration"] = "1h";
  return spec;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Durable submits per second through gRPC with the given batch size.
double SubmitThroughput(size_t max_batch, const std::string& dir) {
  std::filesystem::remove_all(dir);
  auto store = EventStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  Config config;
  config.cluster_name = "bench";
  config.policy = DefaultPolicy();
  for (int i = 0; i < 50; ++i) {
    config.vm_pool.nodes.push_back(
        NodeConfig{absl::StrFormat("vm-%03d", i), Resources{64000, 262144}, {}});
  }
  SpillwaydOptions options;
  options.grpc_address = "127.0.0.1:0";
  options.store = store->get();
  options.loop.max_batch = max_batch;
  Spillwayd daemon(config, std::move(options));
  if (!daemon.Start().ok()) std::exit(1);
  auto channel = grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials());
  const int clients = absl::GetFlag(FLAGS_clients);
  const int per_client = absl::GetFlag(FLAGS_submits) / clients;
  std::atomic<int> failed{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto stub = spillway::v1::JobService::NewStub(channel);
      spillway::v1::SubmitJobRequest req;
      *req.mutable_spec() = BenchSpec();
      for (int i = 0; i < per_client; ++i) {
        grpc::ClientContext ctx;
        spillway::v1::SubmitJobResponse resp;
        if (!stub->SubmitJob(&ctx, req, &resp).ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = Seconds(std::chrono::steady_clock::now() - start);
  daemon.Shutdown();
  if (failed > 0) std::fprintf(stderr, "%d submits failed\n", failed.load());
  return clients * per_client / elapsed;
}

// Writes a store holding `jobs` finished jobs (submitted, started, running, exited), then times
// opening it and replaying it into a fresh core.
std::pair<double, int64_t> RestartTime(int jobs, const std::string& dir) {
  std::filesystem::remove_all(dir);
  {
    auto store = EventStore::Open(dir);
    if (!store.ok()) std::exit(1);
    CoreConfig config;
    config.policy = DefaultPolicy();
    spillway::store::v1::CoreConfigRec rec;
    rec.set_cluster_name(config.cluster_name);
    *rec.mutable_policy() = config.policy;
    (*store)->SaveCoreConfig(rec).IgnoreError();
    // Generate the log by driving a real core, so the events are exactly what spillwayd writes.
    Core core(config);
    absl::Time now = absl::FromUnixSeconds(1767225600);
    std::vector<Event> batch;
    auto emit = [&](EventBody body) {
      Event e{now, std::move(body)};
      core.Apply(e);
      batch.push_back(std::move(e));
      if (batch.size() >= 10000) {
        (*store)->Append(batch).IgnoreError();
        batch.clear();
      }
    };
    for (int i = 0; i < 20; ++i) {
      emit(NodeUp{absl::StrFormat("vm-%02d", i), Resources{64000, 262144}, {}});
    }
    const spillway::v1::JobSpec spec = BenchSpec();
    for (int i = 1; i <= jobs; ++i) {
      now += absl::Milliseconds(10);
      emit(JobSubmitted{spec, ""});
      const std::string id = absl::StrFormat("job-%08d", i);
      emit(TaskStarting{id, 1});
      emit(TaskRunning{id, 1});
      emit(TaskExited{id, 1, 0, ""});
    }
    (*store)->Append(batch).IgnoreError();
  }
  const auto start = std::chrono::steady_clock::now();
  auto store = EventStore::Open(dir);
  CoreConfig config;
  config.policy = (*store)->LoadCoreConfig()->policy();
  Core core(config);
  int64_t events = 0;
  (*store)
      ->Replay([&](const Event& e) {
        core.Apply(e);
        ++events;
        return absl::OkStatus();
      })
      .IgnoreError();
  const double elapsed = Seconds(std::chrono::steady_clock::now() - start);
  if (core.FindJob(absl::StrFormat("job-%08d", jobs)) == nullptr) std::exit(1);
  // Compact (keep every job: no retention) for the snapshot restart below.
  (*store)->Compact(core.Snapshot()).IgnoreError();
  return {elapsed, events};
}

// Times a restart from the compacted store: open, load the snapshot, restore the core.
double SnapshotRestartTime(int jobs, const std::string& dir) {
  const auto start = std::chrono::steady_clock::now();
  auto store = EventStore::Open(dir);
  CoreConfig config;
  config.policy = (*store)->LoadCoreConfig()->policy();
  Core core(config);
  auto snapshot = (*store)->LoadSnapshot();
  if (!snapshot.ok() || !core.Restore(*snapshot).ok()) std::exit(1);
  const double elapsed = Seconds(std::chrono::steady_clock::now() - start);
  if (core.FindJob(absl::StrFormat("job-%08d", jobs)) == nullptr) std::exit(1);
  return elapsed;
}

}  // namespace
}  // namespace spillway

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  std::printf("| benchmark | figure |\n|---|---|\n");
  const double group = spillway::SubmitThroughput(256, dir + "/group");
  std::printf("| durable SubmitJob/s, group commit (%d clients) | %.0f |\n",
              absl::GetFlag(FLAGS_clients), group);
  const double single = spillway::SubmitThroughput(1, dir + "/single");
  std::printf("| durable SubmitJob/s, one transaction per submit | %.0f |\n", single);
  std::printf("| group commit speed-up | %.1fx |\n", group / single);
  for (absl::string_view n : absl::StrSplit(absl::GetFlag(FLAGS_restart_jobs), ',')) {
    int jobs = 0;
    if (!absl::SimpleAtoi(n, &jobs) || jobs <= 0) continue;
    auto [seconds, events] = spillway::RestartTime(jobs, dir + "/restart");
    std::printf("| restart (open + replay) with %d jobs (%lld events) | %.2f s |\n", jobs,
                static_cast<long long>(events), seconds);
    std::printf("| restart from a snapshot holding %d jobs | %.2f s |\n", jobs,
                spillway::SnapshotRestartTime(jobs, dir + "/restart"));
  }
  std::filesystem::remove_all(dir);
  return 0;
}
