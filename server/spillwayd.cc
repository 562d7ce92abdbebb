#include "server/spillwayd.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/simulated/simulated_aci.h"
#include "backends/simulated/simulated_vm_pool.h"
#include "scheduler/core/core.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

std::string ChooseAddress(const SpillwaydOptions& options, const Config& config) {
  if (!options.grpc_address.empty()) return options.grpc_address;
  if (!config.grpc_address.empty()) return config.grpc_address;
  return kDefaultGrpcAddress;
}

}  // namespace

std::vector<std::unique_ptr<Backend>> BuildSimulatedBackends(const Config& config) {
  std::vector<SimulatedNode> nodes;
  for (const NodeConfig& node : config.vm_pool.nodes) {
    nodes.push_back(SimulatedNode{node.id, node.capacity, node.labels});
  }
  SimulatedVmPoolOptions vm_options;
  if (config.vm_pool.start_delay) vm_options.start_delay = *config.vm_pool.start_delay;

  const SimulatedAciConfig& sim = config.aci.simulated;
  SimulatedAciOptions aci_options;
  if (sim.start_latency) aci_options.start_latency = *sim.start_latency;
  if (sim.start_latency_jitter) aci_options.start_latency_jitter = *sim.start_latency_jitter;
  if (sim.create_failure_rate) aci_options.create_failure_rate = *sim.create_failure_rate;
  if (sim.delete_latency) aci_options.delete_latency = *sim.delete_latency;
  if (sim.seed) aci_options.seed = *sim.seed;
  aci_options.prices = PricesOf(config.policy);

  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(std::make_unique<SimulatedVmPool>(std::move(nodes), vm_options));
  backends.push_back(std::make_unique<SimulatedAci>(aci_options));
  return backends;
}

Spillwayd::Spillwayd(Config config, SpillwaydOptions options)
    : config_(std::move(config)),
      clock_(options.clock != nullptr ? options.clock : RealClock::Get()),
      grpc_address_(ChooseAddress(options, config_)),
      shutdown_grace_(options.shutdown_grace),
      extra_services_(options.extra_services),
      interceptors_(std::move(options.interceptors)) {
  CoreConfig core_config;
  core_config.cluster_name = config_.cluster_name;
  core_config.policy = config_.policy;
  core_config.start_time = clock_->Now();
  std::vector<std::unique_ptr<Backend>> backends =
      options.backends ? std::move(*options.backends) : BuildSimulatedBackends(config_);
  loop_ = std::make_unique<EventLoop>(std::make_unique<Core>(std::move(core_config)),
                                      std::move(backends), clock_, options.loop,
                                      options.committer);
  job_service_ = std::make_unique<JobServiceImpl>(loop_.get(), options.job_service);
  admin_service_ = std::make_unique<AdminServiceImpl>(loop_.get());
}

Spillwayd::~Spillwayd() { Shutdown(); }

absl::Status Spillwayd::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || shut_down_) return absl::FailedPreconditionError("Start() may be called once");
  loop_->Start();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(grpc_address_, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  // gRPC sets SO_REUSEPORT by default: a second spillwayd would silently share the port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(job_service_.get());
  builder.RegisterService(admin_service_.get());
  for (grpc::Service* service : extra_services_) builder.RegisterService(service);
  if (!interceptors_.empty()) builder.experimental().SetInterceptorCreators(std::move(interceptors_));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", grpc_address_, " (address in use or invalid?)"));
  }
  port_ = port;
  server_->GetHealthCheckService()->SetServingStatus(true);
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
    server_->GetHealthCheckService()->SetServingStatus(false);
    // Watch streams would hold the server's shutdown for the whole grace period.
    loop_->Post([](LoopContext& ctx) {
      ctx.FailAllWatchers(absl::UnavailableError("spillwayd is shutting down"));
    });
    // gRPC deadlines are wall-clock time whatever clock the core runs on.
    server_->Shutdown(absl::ToChronoTime(RealClock::Get()->Now() + shutdown_grace_));
    server_->Wait();
  }
  loop_->Stop();
  shutdown_done_.Notify();
}

}  // namespace spillway
