// spillwayd: the Spillway scheduler daemon. See server/README.md.
//
//   spillwayd [--config=FILE] [--grpc_address=HOST:PORT] [--data_dir=DIR] [--metrics_address=..]
//
// SIGINT / SIGTERM shut it down gracefully. It prints one line once it serves.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "metrics/grpc_metrics_interceptor.h"
#include "metrics/metrics_server.h"
#include "metrics/spillway_metrics.h"
#include "server/config.h"
#include "server/spillwayd.h"
#include "store/event_store.h"

ABSL_FLAG(std::string, grpc_address, spillway::kDefaultGrpcAddress,
          "host:port for the gRPC API (port 0 picks one). Wins over the config's grpc_address.");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1:9464",
          "host:port serving Prometheus /metrics (port 0 picks one; empty = off).");
ABSL_FLAG(std::string, data_dir, "",
          "Directory of the durable store (SQLite, created if missing); empty = in memory only. "
          "Wins over the config's data_dir.");
ABSL_FLAG(int64_t, compact_every_events, 100000,
          "Compact the store (snapshot + drop the log) once it holds this many events; 0 = never.");
ABSL_FLAG(absl::Duration, retention, absl::Hours(24),
          "Finished jobs not updated for this long are dropped at compaction (with their "
          "idempotency keys).");
ABSL_FLAG(int, max_concurrent_streams, spillway::kDefaultMaxConcurrentStreams,
          "Calls (watch streams included) one client connection may have open at once; more wait "
          "in the client until one ends. Bounds the work a flood queues in spillwayd.");
ABSL_FLAG(int, max_calls_in_flight, spillway::kDefaultMaxCallsInFlight,
          "Unary calls spillwayd works on at once over all connections; beyond it a call is "
          "answered UNAVAILABLE at once (overloaded: retry with backoff).");
ABSL_FLAG(std::string, config, "",
          "YAML configuration file (see server/spillwayd.example.yaml); empty = built-in default.");

namespace {

// True when the flag was set to something other than its default. (This Abseil keeps
// IsSpecifiedOnCommandLine private, so setting a flag to its default value does not override the
// config file's value.)
bool FlagOverrides(const char* name) {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  return flag != nullptr && flag->CurrentValue() != flag->DefaultValue();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Spillway burst scheduler daemon. See server/README.md.");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with lock-order checking on: a global graph update on every Mutex
  // operation. The loop and the gRPC handlers hand off through Mutexes thousands of times a
  // second; deadlocks are the tests' business.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the shutdown signals in every thread (the ones gRPC and the loop start inherit the
  // mask); the main thread takes them synchronously with sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string config_path = absl::GetFlag(FLAGS_config);
  absl::StatusOr<spillway::Config> config =
      config_path.empty() ? spillway::DefaultConfig() : spillway::LoadConfigFile(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "spillwayd: bad config: %s\n", config.status().ToString().c_str());
    return 2;
  }

  std::string data_dir = config->data_dir;
  if (FlagOverrides("data_dir") || data_dir.empty()) {
    data_dir = absl::GetFlag(FLAGS_data_dir);
  }
  spillway::SpillwaydOptions options;
  std::unique_ptr<spillway::EventStore> store;
  if (!data_dir.empty()) {
    absl::StatusOr<std::unique_ptr<spillway::EventStore>> opened =
        spillway::EventStore::Open(data_dir);
    if (!opened.ok()) {
      std::fprintf(stderr, "spillwayd: %s\n", opened.status().ToString().c_str());
      return 2;
    }
    store = *std::move(opened);
    options.store = store.get();
    options.compaction.every_events = absl::GetFlag(FLAGS_compact_every_events);
    options.compaction.retention = absl::GetFlag(FLAGS_retention);
  } else {
    std::fprintf(stderr, "spillwayd: no --data_dir: state is in memory only and lost on exit\n");
  }
  spillway::SpillwayMetrics metrics;
  std::unique_ptr<spillway::MetricsServer> metrics_server;
  const std::string metrics_address = absl::GetFlag(FLAGS_metrics_address);
  if (!metrics_address.empty()) {
    absl::StatusOr<std::unique_ptr<spillway::MetricsServer>> server =
        spillway::MetricsServer::Start(metrics_address, metrics.registry());
    if (!server.ok()) {
      std::fprintf(stderr, "spillwayd: %s\n", server.status().ToString().c_str());
      return 1;
    }
    metrics_server = *std::move(server);
    options.loop.observers.push_back(&metrics);
    options.interceptors.push_back(
        std::make_unique<spillway::GrpcMetricsInterceptorFactory>(&metrics));
  }
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options.max_calls_in_flight = absl::GetFlag(FLAGS_max_calls_in_flight);
  if (FlagOverrides("grpc_address") || config->grpc_address.empty()) {
    options.grpc_address = absl::GetFlag(FLAGS_grpc_address);
  }
  const std::string cluster = config->cluster_name;
  const std::string aci = config->aci.arm ? "ACI via ARM at " + config->aci.arm->arm_base_url
                                          : std::string("simulated ACI");
  const size_t nodes = config->vm_pool.nodes.size();
  // Backend counters (ARM requests, agents) reach the metrics after every batch.
  class BackendStatsObserver final : public spillway::BatchObserver {
   public:
    explicit BackendStatsObserver(spillway::SpillwayMetrics* m) : metrics_(m) {}
    void set(spillway::AciBackend* aci, spillway::VmPoolBackend* pool) {
      aci_ = aci;
      pool_ = pool;
    }
    void OnBatch(const spillway::Core&, absl::Time now, const spillway::BatchStats&) override {
      if (aci_ != nullptr) {
        const spillway::AciBackendStats s = aci_->stats();
        metrics_->RecordArmTotals({s.creates_sent + s.creates_verified, s.deletes_sent, s.gets,
                                   s.lists, s.throttled, s.orphans_deleted});
      }
      if (pool_ != nullptr) {
        int connected = 0;
        double oldest = 0;
        for (const auto& node : pool_->Nodes()) {
          if (!node.connected) continue;
          ++connected;
          oldest = std::max(oldest, absl::ToDoubleSeconds(now - node.last_heard));
        }
        metrics_->SetAgents(connected, oldest);
      }
    }

   private:
    spillway::SpillwayMetrics* metrics_;
    spillway::AciBackend* aci_ = nullptr;
    spillway::VmPoolBackend* pool_ = nullptr;
  } backend_stats(&metrics);
  if (metrics_server != nullptr) options.loop.observers.push_back(&backend_stats);
  const bool agents = config->vm_pool.agents.has_value();
  spillway::Spillwayd daemon(*std::move(config), std::move(options));
  backend_stats.set(daemon.aci_backend(), daemon.vm_pool_backend());
  if (absl::Status s = daemon.Start(); !s.ok()) {
    std::fprintf(stderr, "spillwayd: %s\n", s.ToString().c_str());
    return 1;
  }
  const std::string pool =
      agents ? std::string("VM pool of spillway-agents") : absl::StrCat(nodes, " simulated VM nodes");
  std::printf("spillwayd: serving cluster %s on %s (%s, %s)\n", cluster.c_str(),
              daemon.address().c_str(), pool.c_str(), aci.c_str());
  if (store != nullptr) {
    std::printf("spillwayd: store %s (%lld events replayed)\n", store->path().c_str(),
                static_cast<long long>(daemon.recovered_events()));
  }
  if (metrics_server != nullptr) {
    const size_t colon = metrics_address.rfind(':');
    std::printf("spillwayd: metrics on http://%s:%d/metrics\n",
                metrics_address.substr(0, colon).c_str(), metrics_server->port());
  }
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::fprintf(stderr, "spillwayd: %s received, shutting down\n", strsignal(signal_number));
  daemon.Shutdown();
  std::fprintf(stderr, "spillwayd: stopped\n");
  return 0;
}
