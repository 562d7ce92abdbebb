// An in-process spillwayd on loopback with simulated backends and a simulated clock, plus typed
// gRPC stubs: the integration tests' fixture. Time moves only when a test advances it.
#ifndef SPILLWAY_TESTS_INTEGRATION_TEST_CLUSTER_H_
#define SPILLWAY_TESTS_INTEGRATION_TEST_CLUSTER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "backends/simulated/simulated_aci.h"
#include "backends/simulated/simulated_vm_pool.h"
#include "common/clock.h"
#include "proto/spillway/v1/admin.grpc.pb.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"
#include "scheduler/model/policy.h"
#include "server/spillwayd.h"

namespace spillway {

struct TestClusterOptions {
  int nodes = 3;
  Resources node_size{2000, 4096};
  absl::Duration aci_start_latency = absl::Seconds(20);
  spillway::v1::Policy policy = DefaultPolicy();
  EventStore* store = nullptr;  // Durable state (not owned).
  CompactionOptions compaction;
  absl::Time start_time = SimulatedClock::kDefaultStart;
  absl::Duration sync_step = absl::Seconds(1);  // Largest step of Advance() between syncs.
};

class TestCluster {
 public:
  explicit TestCluster(TestClusterOptions options = {}) : clock_(options.start_time) {
    std::vector<SimulatedNode> nodes;
    for (int i = 1; i <= options.nodes; ++i) {
      nodes.push_back(SimulatedNode{"vm-" + std::to_string(i), options.node_size, {}});
    }
    SimulatedVmPoolOptions pool_options;
    pool_options.report_inventory = true;
    auto pool = std::make_unique<SimulatedVmPool>(nodes, pool_options);
    SimulatedAciOptions aci_options;
    aci_options.report_inventory = true;
    aci_options.start_latency = options.aci_start_latency;
    auto aci = std::make_unique<SimulatedAci>(aci_options);
    pool_ = pool.get();
    aci_ = aci.get();
    SpillwaydOptions daemon_options;
    daemon_options.grpc_address = "127.0.0.1:0";
    daemon_options.clock = &clock_;
    daemon_options.loop.auto_tick = false;
    daemon_options.loop.sync_step = options.sync_step;
    daemon_options.store = options.store;
    daemon_options.compaction = options.compaction;
    std::vector<std::unique_ptr<Backend>> backends;
    backends.push_back(std::move(pool));
    backends.push_back(std::move(aci));
    daemon_options.backends = std::move(backends);
    Config config;
    config.cluster_name = "it";
    config.policy = options.policy;
    daemon_ = std::make_unique<Spillwayd>(std::move(config), std::move(daemon_options));
    start_status_ = daemon_->Start();
    channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
    jobs_ = spillway::v1::JobService::NewStub(channel_);
    admin_ = spillway::v1::AdminService::NewStub(channel_);
    if (start_status_.ok()) daemon_->loop().Sync();  // Nodes register.
  }

  ~TestCluster() { daemon_->Shutdown(); }

  const absl::Status& start_status() const { return start_status_; }
  spillway::v1::JobService::Stub& jobs() { return *jobs_; }
  spillway::v1::AdminService::Stub& admin() { return *admin_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  SimulatedVmPool& pool() { return *pool_; }
  SimulatedAci& aci() { return *aci_; }
  SimulatedClock& clock() { return clock_; }
  EventLoop& loop() { return daemon_->loop(); }

  void Advance(absl::Duration d) { daemon_->loop().AdvanceAndSync(d); }

  grpc::Status Submit(const spillway::v1::JobSpec& spec, std::string* id,
                      const std::string& key = "") {
    grpc::ClientContext ctx;
    spillway::v1::SubmitJobRequest req;
    *req.mutable_spec() = spec;
    req.set_idempotency_key(key);
    spillway::v1::SubmitJobResponse resp;
    grpc::Status s = jobs_->SubmitJob(&ctx, req, &resp);
    if (id != nullptr) *id = resp.job().id();
    return s;
  }

  spillway::v1::Job Get(const std::string& id) {
    grpc::ClientContext ctx;
    spillway::v1::GetJobRequest req;
    req.set_id(id);
    spillway::v1::Job job;
    grpc::Status s = jobs_->GetJob(&ctx, req, &job);
    return job;
  }

  spillway::v1::GetClusterResponse Cluster() {
    grpc::ClientContext ctx;
    spillway::v1::GetClusterResponse resp;
    admin_->GetCluster(&ctx, {}, &resp);
    return resp;
  }

  int64_t Revision() {
    int64_t revision = 0;
    daemon_->loop().RunAndWait([&](LoopContext& c) { revision = c.core().revision(); });
    return revision;
  }

 private:
  SimulatedClock clock_;
  SimulatedVmPool* pool_ = nullptr;
  SimulatedAci* aci_ = nullptr;
  std::unique_ptr<Spillwayd> daemon_;
  absl::Status start_status_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<spillway::v1::JobService::Stub> jobs_;
  std::unique_ptr<spillway::v1::AdminService::Stub> admin_;
};

// A job spec for the simulated backends: runs for `run_time` and exits 0.
inline spillway::v1::JobSpec SimJob(const std::string& name, int64_t cpu_millis,
                                    int64_t memory_mib, absl::Duration run_time,
                                    absl::Duration max_wait) {
  spillway::v1::JobSpec spec;
  spec.set_name(name);
  spec.set_image("busybox");
  spec.add_command("sleep");
  spec.set_cpu_millis(cpu_millis);
  spec.set_memory_mib(memory_mib);
  *spec.mutable_expected_duration() = ToProtoDuration(run_time);
  *spec.mutable_max_wait() = ToProtoDuration(max_wait);
  return spec;
}

}  // namespace spillway

#endif  // SPILLWAY_TESTS_INTEGRATION_TEST_CLUSTER_H_
