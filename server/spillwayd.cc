#include "server/spillwayd.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/aci/aci_backend.h"
#include "backends/vm_pool/vm_pool_backend.h"
#include "backends/simulated/simulated_aci.h"
#include "backends/simulated/simulated_vm_pool.h"
#include "scheduler/core/core.h"
#include "scheduler/model/policy.h"
#include "server/store_committer.h"

namespace spillway {
namespace {

std::string ChooseAddress(const SpillwaydOptions& options, const Config& config) {
  if (!options.grpc_address.empty()) return options.grpc_address;
  if (!config.grpc_address.empty()) return config.grpc_address;
  return kDefaultGrpcAddress;
}

}  // namespace

absl::StatusOr<std::vector<std::unique_ptr<Backend>>> BuildBackends(const Config& config,
                                                                    Clock* clock) {
  std::vector<SimulatedNode> nodes;
  for (const NodeConfig& node : config.vm_pool.nodes) {
    nodes.push_back(SimulatedNode{node.id, node.capacity, node.labels});
  }
  SimulatedVmPoolOptions vm_options;
  vm_options.report_inventory = true;
  if (config.vm_pool.start_delay) vm_options.start_delay = *config.vm_pool.start_delay;

  const SimulatedAciConfig& sim = config.aci.simulated;
  SimulatedAciOptions aci_options;
  aci_options.report_inventory = true;
  if (sim.start_latency) aci_options.start_latency = *sim.start_latency;
  if (sim.start_latency_jitter) aci_options.start_latency_jitter = *sim.start_latency_jitter;
  if (sim.create_failure_rate) aci_options.create_failure_rate = *sim.create_failure_rate;
  if (sim.delete_latency) aci_options.delete_latency = *sim.delete_latency;
  if (sim.seed) aci_options.seed = *sim.seed;
  aci_options.prices = PricesOf(config.policy);

  std::vector<std::unique_ptr<Backend>> backends;
  if (config.vm_pool.agents) {
    backends.push_back(std::make_unique<VmPoolBackend>(*config.vm_pool.agents, clock));
  } else {
    backends.push_back(std::make_unique<SimulatedVmPool>(std::move(nodes), vm_options));
  }
  if (config.aci.arm) {
    AciBackendConfig arm = *config.aci.arm;
    if (arm.cluster_name.empty()) arm.cluster_name = config.cluster_name;
    absl::StatusOr<std::unique_ptr<AciBackend>> aci = MakeAciBackend(std::move(arm), clock);
    if (!aci.ok()) return aci.status();
    backends.push_back(*std::move(aci));
  } else {
    backends.push_back(std::make_unique<SimulatedAci>(aci_options));
  }
  return backends;
}

Spillwayd::Spillwayd(Config config, SpillwaydOptions options)
    : config_(std::move(config)),
      clock_(options.clock != nullptr ? options.clock : RealClock::Get()),
      grpc_address_(ChooseAddress(options, config_)),
      shutdown_grace_(options.shutdown_grace),
      max_concurrent_streams_(options.max_concurrent_streams),
      calls_(options.max_calls_in_flight),
      extra_services_(options.extra_services),
      health_({v1::JobService::service_full_name(), v1::AdminService::service_full_name()}),
      store_(options.store),
      recovery_timeout_(options.recovery_timeout),
      interceptors_(std::move(options.interceptors)) {
  CoreConfig core_config;
  core_config.cluster_name = config_.cluster_name;
  core_config.policy = config_.policy;
  core_config.start_time = clock_->Now();
  BatchCommitter* committer = options.committer;
  if (store_ != nullptr) {
    // The log replays from the configuration it started with; later policy changes are events.
    absl::StatusOr<spillway::store::v1::CoreConfigRec> stored = store_->LoadCoreConfig();
    if (stored.ok()) {
      core_config.cluster_name = stored->cluster_name();
      core_config.policy = stored->policy();
      core_config.start_time = absl::FromUnixNanos(stored->start_time_unix_nanos());
    } else if (absl::IsNotFound(stored.status())) {
      spillway::store::v1::CoreConfigRec rec;
      rec.set_cluster_name(core_config.cluster_name);
      *rec.mutable_policy() = core_config.policy;
      rec.set_start_time_unix_nanos(absl::ToUnixNanos(core_config.start_time));
      init_status_ = store_->SaveCoreConfig(rec);
    } else {
      init_status_ = stored.status();
    }
    store_committer_ = std::make_unique<StoreCommitter>(store_, options.compaction);
    committer = store_committer_.get();
  }
  std::vector<std::unique_ptr<Backend>> backends;
  if (options.backends) {
    backends = std::move(*options.backends);
  } else if (auto built = BuildBackends(config_, clock_); built.ok()) {
    backends = *std::move(built);
  } else if (init_status_.ok()) {
    init_status_ = built.status();
  }
  for (auto& b : backends) {
    if (auto* aci = dynamic_cast<AciBackend*>(b.get())) aci_backend_ = aci;
    if (auto* pool = dynamic_cast<VmPoolBackend*>(b.get())) vm_pool_backend_ = pool;
  }
  // Agents connect to the same port; a test that injected the pool may have registered it.
  if (vm_pool_backend_ != nullptr &&
      std::find(extra_services_.begin(), extra_services_.end(),
                static_cast<rpc::QueueService*>(vm_pool_backend_)) == extra_services_.end()) {
    extra_services_.push_back(vm_pool_backend_);
  }
  loop_ = std::make_unique<EventLoop>(std::make_unique<Core>(std::move(core_config)),
                                      std::move(backends), clock_, options.loop, committer);
  JobServiceOptions job_options = options.job_service;
  job_options.calls = &calls_;
  if (vm_pool_backend_ != nullptr && !job_options.vm_logs) {
    VmPoolBackend* pool = vm_pool_backend_;
    job_options.vm_logs = [pool](const std::string& node, const std::string& job, int attempt) {
      return pool->FetchLogs(node, job, attempt);
    };
  }
  if (aci_backend_ != nullptr && !job_options.aci_logs) {
    AciBackend* aci = aci_backend_;
    job_options.aci_logs = [aci](const std::string& group) { return aci->FetchLogs(group, ""); };
  }
  job_service_ = std::make_unique<JobServiceImpl>(loop_.get(), std::move(job_options));
  admin_service_ = std::make_unique<AdminServiceImpl>(loop_.get(), &calls_);
  if (max_concurrent_streams_ < 1 && init_status_.ok()) {
    init_status_ = absl::InvalidArgumentError(
        absl::StrCat("max_concurrent_streams: must be at least 1, got ", max_concurrent_streams_));
  }
  if (options.max_calls_in_flight < 1 && init_status_.ok()) {
    init_status_ = absl::InvalidArgumentError(
        absl::StrCat("max_calls_in_flight: must be at least 1, got ", options.max_calls_in_flight));
  }
}

Spillwayd::~Spillwayd() { Shutdown(); }

absl::Status Spillwayd::Start() {
  absl::MutexLock lock(&mu_);
  if (tried_ || shut_down_) return absl::FailedPreconditionError("Start() may be called once");
  tried_ = true;  // Async services can be registered with one gRPC server only, even a failed one.
  if (!init_status_.ok()) return init_status_;
  if (store_ != nullptr) {
    absl::StatusOr<spillway::core::v1::CoreSnapshot> snapshot = store_->LoadSnapshot();
    if (snapshot.ok()) {
      if (absl::Status s = loop_->RestoreBeforeStart(*snapshot); !s.ok()) return s;
      ++recovered_events_;  // A snapshot counts: recovery must reconcile.
    } else if (!absl::IsNotFound(snapshot.status())) {
      return snapshot.status();
    }
    absl::Status replayed = store_->Replay([this](const Event& event) {
      ++recovered_events_;
      return loop_->ApplyBeforeStart(event);
    });
    if (!replayed.ok()) return replayed;
    if (recovered_events_ > 0) {
      // Reconcile before placing anything new: the backends report what they really run.
      const absl::Time deadline = clock_->Now() + recovery_timeout_;
      loop_->Post([deadline](LoopContext& ctx) {
        ctx.Apply(RecoveryStarted{{spillway::v1::BACKEND_VM, spillway::v1::BACKEND_ACI}, deadline});
      });
    }
  }
  loop_->Start();

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();  // Synchronous: no thread at rest.
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(grpc_address_, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  // gRPC sets SO_REUSEPORT by default: a second spillwayd would silently share the port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, max_concurrent_streams_);
  // Every service on one queue and its one thread; none on gRPC's callback API, whose threads
  // would take the poller from it on every call (rpc/call_queue.h).
  std::vector<rpc::QueueService*> services = {job_service_.get(), admin_service_.get(), &health_};
  services.insert(services.end(), extra_services_.begin(), extra_services_.end());
  for (rpc::QueueService* service : services) builder.RegisterService(service->grpc_service());
  queue_ = std::make_unique<rpc::CallQueue>(builder);
  if (!interceptors_.empty()) builder.experimental().SetInterceptorCreators(std::move(interceptors_));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    if (server_ != nullptr) server_->Shutdown();
    queue_->Stop();
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", grpc_address_, " (address in use or invalid?)"));
  }
  port_ = port;
  for (rpc::QueueService* service : services) service->Listen(queue_.get());
  queue_->Start();
  health_.SetServing(true);
  started_ = true;
  return absl::OkStatus();
}

std::string Spillwayd::address() const {
  const size_t colon = grpc_address_.rfind(':');
  const std::string host =
      colon == std::string::npos ? grpc_address_ : grpc_address_.substr(0, colon);
  return absl::StrCat(host, ":", port_);
}

void Spillwayd::Wait() {
  {
    absl::MutexLock lock(&mu_);
    if (!started_) return;
  }
  shutdown_done_.WaitForNotification();
}

void Spillwayd::Shutdown() {
  bool first = false;
  bool serving = false;
  {
    absl::MutexLock lock(&mu_);
    first = !shut_down_;
    shut_down_ = true;
    serving = started_;
  }
  if (!first) {  // Another call is shutting down (or did): wait for it.
    shutdown_done_.WaitForNotification();
    return;
  }
  if (serving) {
    health_.Shutdown();  // NOT_SERVING; its Watch streams end.
    // Watch streams would hold the server's shutdown for the whole grace period.
    loop_->Post([](LoopContext& ctx) {
      ctx.FailAllWatchers(absl::UnavailableError("spillwayd is shutting down"));
    });
    // gRPC deadlines are wall-clock time whatever clock the core runs on.
    server_->Shutdown(absl::ToChronoTime(RealClock::Get()->Now() + shutdown_grace_));
    server_->Wait();
    queue_->Stop();
  }
  loop_->Stop();
  shutdown_done_.Notify();
}

}  // namespace spillway
