// Spillwayd: the process around the pure core. Builds the Core, the backends, the event loop and
// the gRPC server (JobService, AdminService, health checking, reflection) from a Config.
//
//   Spillwayd daemon(config, options);
//   if (absl::Status s = daemon.Start(); !s.ok()) ...;   // e.g. the port is in use
//   ... daemon.port(), daemon.loop().Sync() in tests ...
//   daemon.Shutdown();                                    // or Wait() until someone else does
//
// Shutdown order: health NOT_SERVING (its Watch streams end); watch streams finished with
// UNAVAILABLE; the gRPC server stops (calls still running get shutdown_grace, then are
// cancelled); the call queue (rpc/call_queue.h) stops once every call is gone; the event loop
// runs what it accepted and stops.
#ifndef SPILLWAY_SERVER_SPILLWAYD_H_
#define SPILLWAY_SERVER_SPILLWAYD_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "backends/aci/aci_backend.h"
#include "backends/backend.h"
#include "backends/vm_pool/vm_pool_backend.h"
#include "common/clock.h"
#include "rpc/call_limiter.h"
#include "rpc/call_queue.h"
#include "rpc/health_service.h"
#include "server/admin_service.h"
#include "server/config.h"
#include "server/event_loop.h"
#include "server/job_service.h"
#include "server/store_committer.h"
#include "store/event_store.h"

namespace spillway {

inline constexpr char kDefaultGrpcAddress[] = "127.0.0.1:50051";
inline constexpr int kMaxReceiveMessageBytes = 4 * 1024 * 1024;
// SpillwaydOptions::max_concurrent_streams by default (Go's HTTP/2 server uses 250).
inline constexpr int kDefaultMaxConcurrentStreams = 256;
// SpillwaydOptions::max_calls_in_flight by default.
inline constexpr int kDefaultMaxCallsInFlight = 1024;

struct SpillwaydOptions {
  // Where to listen; wins over config.grpc_address. Both empty: kDefaultGrpcAddress.
  // Port 0 picks a free port (see Spillwayd::port()).
  std::string grpc_address;
  // Time source for the core and the loop; null = RealClock. Must outlive the daemon.
  Clock* clock = nullptr;
  // Replaces the simulated backends built from the config (tests).
  std::optional<std::vector<std::unique_ptr<Backend>>> backends;
  EventLoopOptions loop;
  JobServiceOptions job_service;
  // Group commit of each batch; null = none. Must outlive the daemon. Ignored when `store` is set.
  BatchCommitter* committer = nullptr;
  // The durable store (not owned; must outlive the daemon); null = state is not durable. Start()
  // replays it, then reconciles with the backends before placing anything new.
  EventStore* store = nullptr;
  // How long recovery waits for the backends' inventories before placing work anyway.
  absl::Duration recovery_timeout = absl::Seconds(30);
  CompactionOptions compaction;
  // More gRPC services to serve on the same port and call queue (e.g. a backend's AgentService);
  // not owned, must outlive the daemon.
  std::vector<rpc::QueueService*> extra_services;
  // Server interceptors (e.g. metrics), installed on the gRPC server.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  // How long Shutdown() lets running calls finish before cancelling them.
  absl::Duration shutdown_grace = absl::Seconds(5);
  // Calls one client connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS,
  // watch streams included); more wait in the client's channel until one ends. Bounds what one
  // client's flood or a stall's backlog queues inside spillwayd, where gRPC's per-call costs
  // grow with the calls in flight (Debian's build keeps its debug checks: a scan of every pending
  // operation per completion). Without the bound, a 100 ms stall at half load left spillwayd
  // answering in seconds for seconds (tests/bench/grpc_load_bench, phase 3). Must be >= 1.
  int max_concurrent_streams = kDefaultMaxConcurrentStreams;
  // Unary calls spillwayd works on at once over all connections (rpc/call_limiter.h); beyond
  // it a call is answered UNAVAILABLE at once ("overloaded ... retry with backoff"). Must be >= 1.
  int max_calls_in_flight = kDefaultMaxCallsInFlight;
};

// The backends `config` describes: the simulated VM pool, and the ARM-backed ACI when
// `aci.arm` is set (else the simulated ACI).
absl::StatusOr<std::vector<std::unique_ptr<Backend>>> BuildBackends(const Config& config,
                                                                    Clock* clock);

class Spillwayd {
 public:
  // Builds the core, backends and loop (not yet running).
  explicit Spillwayd(Config config, SpillwaydOptions options = SpillwaydOptions());
  ~Spillwayd();  // Shutdown()s.

  Spillwayd(const Spillwayd&) = delete;
  Spillwayd& operator=(const Spillwayd&) = delete;

  // Starts the loop and the gRPC server; UNAVAILABLE when the address cannot be bound (e.g. the
  // port is in use). Call once.
  absl::Status Start();

  // Blocks until Shutdown() has finished (returns at once when Start() did not succeed).
  void Wait();

  // Graceful stop (see the top of this file). Idempotent and thread-safe; not from the loop
  // thread or a gRPC handler.
  void Shutdown();

  // The bound port (after a successful Start()), and "host:port" with it.
  int port() const { return port_; }
  // Events replayed from the store by Start().
  int64_t recovered_events() const { return recovered_events_; }
  std::string address() const;

  EventLoop& loop() { return *loop_; }
  // The ARM-backed ACI backend when configured (for metrics and logs), else null.
  AciBackend* aci_backend() const { return aci_backend_; }
  // The agent-backed VM pool when configured, else null.
  VmPoolBackend* vm_pool_backend() const { return vm_pool_backend_; }
  const Config& config() const { return config_; }
  // The unary calls in progress, and those turned away (SpillwaydOptions::max_calls_in_flight).
  const rpc::CallLimiter& calls() const { return calls_; }

 private:
  const Config config_;
  Clock* const clock_;
  const std::string grpc_address_;
  const absl::Duration shutdown_grace_;
  const int max_concurrent_streams_;
  rpc::CallLimiter calls_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<JobServiceImpl> job_service_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::vector<rpc::QueueService*> extra_services_;  // Filled in the constructor too.
  rpc::HealthService health_;
  EventStore* const store_;
  AciBackend* aci_backend_ = nullptr;
  VmPoolBackend* vm_pool_backend_ = nullptr;
  const absl::Duration recovery_timeout_;
  std::unique_ptr<BatchCommitter> store_committer_;
  absl::Status init_status_;
  int64_t recovered_events_ = 0;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors_;
  std::unique_ptr<rpc::CallQueue> queue_;  // Every service's calls (rpc/call_queue.h).
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool tried_ ABSL_GUARDED_BY(mu_) = false;  // Start() ran (maybe failing).
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification shutdown_done_;
};

}  // namespace spillway

#endif  // SPILLWAY_SERVER_SPILLWAYD_H_
