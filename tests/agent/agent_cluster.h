// An in-process spillwayd on loopback whose VM pool is a VmPoolBackend served to REAL
// spillway-agent processes (the binary is a data dependency), plus a simulated ACI. Time is real
// (real processes cannot run on a simulated clock), so heartbeats are short and every wait polls
// an RPC or a file with a deadline. A TaskReaper (constructed first, destroyed last) kills and
// reaps every agent, task monitor and job process, even when a test fails.
#ifndef SPILLWAY_TESTS_AGENT_AGENT_CLUSTER_H_
#define SPILLWAY_TESTS_AGENT_AGENT_CLUSTER_H_

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "agent/task_files.h"
#include "agent/testing/task_reaper.h"
#include "backends/simulated/simulated_aci.h"
#include "backends/vm_pool/vm_pool_backend.h"
#include "common/poll.h"
#include "proto/spillway/v1/admin.grpc.pb.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"
#include "scheduler/model/policy.h"
#include "server/spillwayd.h"
#include "store/event_store.h"
#include "tests/support/child_process.h"
#include "tests/support/job_calls.h"

namespace spillway {

inline constexpr absl::Duration kHeartbeatInterval = absl::Milliseconds(200);
inline constexpr absl::Duration kHeartbeatTimeout = absl::Milliseconds(1500);
inline constexpr absl::Duration kStopGrace = absl::Seconds(1);
inline constexpr absl::Duration kInventoryDelay = absl::Milliseconds(1500);

class AgentCluster {
 public:
  // `store_dir` non-empty: spillwayd keeps its state in an EventStore there (see RestartDaemon).
  explicit AgentCluster(const std::string& store_dir = "") : store_dir_(store_dir) {
    start_status_ = StartDaemon("127.0.0.1:0");
  }

  // Shuts spillwayd down, runs `while_down`, and starts a new one on the same port from the same
  // store (agents keep running and reconnect). Returns the new daemon's Start() status.
  absl::Status RestartDaemon(const std::function<void()>& while_down = [] {}) {
    const std::string address = daemon_->address();
    daemon_->Shutdown();
    daemon_.reset();
    store_.reset();
    while_down();
    return start_status_ = StartDaemon(address);
  }

  absl::Status StartDaemon(const std::string& address) {
    if (!store_dir_.empty()) {
      auto store = EventStore::Open(store_dir_);
      if (!store.ok()) return store.status();
      store_ = std::move(*store);
    }
    VmPoolAgentsConfig pool_config;
    pool_config.heartbeat_interval = kHeartbeatInterval;
    pool_config.heartbeat_timeout = kHeartbeatTimeout;
    pool_config.stop_grace_period = kStopGrace;
    pool_config.inventory_delay = kInventoryDelay;
    auto pool = std::make_unique<VmPoolBackend>(pool_config, RealClock::Get());
    pool_ = pool.get();
    SimulatedAciOptions aci_options;
    aci_options.start_latency = absl::Seconds(1);
    aci_options.report_inventory = true;
    std::vector<std::unique_ptr<Backend>> backends;
    backends.push_back(std::move(pool));
    backends.push_back(std::make_unique<SimulatedAci>(aci_options));

    SpillwaydOptions options;
    options.grpc_address = address;
    options.backends = std::move(backends);
    options.extra_services = {pool_};
    options.shutdown_grace = absl::Milliseconds(200);
    options.loop.tick_interval = absl::Milliseconds(50);
    options.store = store_.get();
    Config config;
    config.cluster_name = "agent-it";
    config.policy = DefaultPolicy();
    *config.policy.mutable_retry_backoff_initial() = ToProtoDuration(absl::Milliseconds(100));
    *config.policy.mutable_retry_backoff_max() = ToProtoDuration(absl::Milliseconds(500));
    daemon_ = std::make_unique<Spillwayd>(std::move(config), std::move(options));
    absl::Status status = daemon_->Start();
    auto channel = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
    jobs_ = spillway::v1::JobService::NewStub(channel);
    admin_ = spillway::v1::AdminService::NewStub(channel);
    return status;
  }

  ~AgentCluster() {
    for (auto& [node, agent] : agents_) agent->Kill();
    agents_.clear();
    daemon_->Shutdown();
    reaper_.KillAll();
  }

  const absl::Status& start_status() const { return start_status_; }
  VmPoolBackend& pool() { return *pool_; }

  // The work dir of `node_id`'s agent (kept across restarts of that agent).
  std::string WorkDir(const std::string& node_id) {
    auto it = work_dirs_.find(node_id);
    if (it != work_dirs_.end()) return it->second;
    const std::string dir = FreshTestDir(absl::StrCat(
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-", node_id));
    reaper_.Watch(dir);
    return work_dirs_[node_id] = dir;
  }

  // Starts spillway-agent for `node_id` (2 vCPU / 4 GiB declared); its stdout and stderr are
  // appended to agent.log (one log across restarts of the agent, see AgentLog).
  void StartAgent(const std::string& node_id, int64_t cpu_millis = 2000,
                  const std::vector<std::string>& extra_flags = {}) {
    const std::string work_dir = WorkDir(node_id);
    std::vector<std::string> args = {
        AgentBinaryPath(),
        absl::StrCat("--server=", daemon_->address()),
        absl::StrCat("--node_id=", node_id),
        absl::StrCat("--cpu_millis=", cpu_millis),
        "--memory_mib=4096",
        "--labels=spillway.test=agent",
        absl::StrCat("--work_dir=", work_dir),
        absl::StrCat("--heartbeat_interval=", absl::FormatDuration(kHeartbeatInterval)),
    };
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    absl::StatusOr<std::unique_ptr<ChildProcess>> agent =
        ChildProcess::StartAppendingTo(args, work_dir + "/agent.log");
    ASSERT_TRUE(agent.ok()) << agent.status();
    agents_[node_id] = *std::move(agent);
  }

  // Sends `signal` to `node_id`'s agent and reaps it; one that outlives the deadline is a failure
  // (and gets SIGKILL).
  void KillAgent(const std::string& node_id, int signal = SIGKILL) {
    auto it = agents_.find(node_id);
    if (it == agents_.end()) return;
    EXPECT_TRUE(it->second->Signal(signal, absl::Seconds(30)).has_value())
        << node_id << "'s agent did not exit on signal " << signal;
    agents_.erase(it);
  }

  // Re-checks `pred` every 20 ms until it holds or `timeout` passes (common/poll.h).
  static bool WaitUntil(const std::function<bool()>& pred,
                        absl::Duration timeout = absl::Seconds(30)) {
    return PollUntil(pred, timeout);
  }

  bool WaitForReadyNodes(int n) {
    return WaitUntil([&] {
      int ready = 0;
      const spillway::v1::GetClusterResponse cluster = Cluster();
      for (const auto& node : cluster.nodes()) {
        ready += node.state() == spillway::v1::NODE_STATE_READY ? 1 : 0;
      }
      return ready == n;
    });
  }

  std::string Submit(const spillway::v1::JobSpec& spec) { return SubmitExpectingOk(*jobs_, spec); }

  spillway::v1::Job Get(const std::string& id) { return GetJobOrEmpty(*jobs_, id, /*expect_ok=*/false); }

  grpc::Status Cancel(const std::string& id) {
    grpc::ClientContext ctx;
    spillway::v1::CancelJobRequest req;
    req.set_id(id);
    req.set_reason("test cancel");
    spillway::v1::Job job;
    return jobs_->CancelJob(&ctx, req, &job);
  }

  grpc::Status Cordon(const std::string& node_id) {
    grpc::ClientContext ctx;
    spillway::v1::NodeRequest req;
    req.set_node_id(node_id);
    spillway::v1::Node node;
    return admin_->CordonNode(&ctx, req, &node);
  }

  // The agent's own log (stderr and stdout) so far.
  std::string AgentLog(const std::string& node_id) {
    auto text = ReadSmallFile(WorkDir(node_id) + "/agent.log", 1 << 20);
    return text.ok() ? *text : "";
  }

  spillway::v1::GetClusterResponse Cluster() {
    grpc::ClientContext ctx;
    spillway::v1::GetClusterResponse resp;
    (void)admin_->GetCluster(&ctx, {}, &resp);
    return resp;
  }

  // Waits until the job satisfies `pred`; returns the last state seen.
  spillway::v1::Job WaitForJob(const std::string& id,
                               const std::function<bool(const spillway::v1::Job&)>& pred,
                               absl::Duration timeout = absl::Seconds(10)) {
    spillway::v1::Job job;
    WaitUntil(
        [&] {
          job = Get(id);
          return pred(job);
        },
        timeout);
    return job;
  }
  spillway::v1::Job WaitForState(const std::string& id, spillway::v1::JobState state,
                                 absl::Duration timeout = absl::Seconds(10)) {
    return WaitForJob(
        id, [&](const spillway::v1::Job& j) { return j.state() == state; }, timeout);
  }

  // The process group of attempt `attempt` of `job_id` on `node_id` (0 until it started).
  int JobPid(const std::string& node_id, const std::string& job_id, int attempt) {
    return ReadPidFile(TaskDir(WorkDir(node_id), {job_id, attempt}) + "/pid");
  }

 private:
  TaskReaper reaper_;  // First member: destroyed last.
  const std::string store_dir_;
  std::unique_ptr<EventStore> store_;  // Outlives daemon_ (declared before it).
  VmPoolBackend* pool_ = nullptr;
  std::unique_ptr<Spillwayd> daemon_;
  absl::Status start_status_;
  std::unique_ptr<spillway::v1::JobService::Stub> jobs_;
  std::unique_ptr<spillway::v1::AdminService::Stub> admin_;
  std::map<std::string, std::unique_ptr<ChildProcess>> agents_;
  std::map<std::string, std::string> work_dirs_;
};

// A VM-only job running `script` with /bin/sh.
inline spillway::v1::JobSpec ShellJob(const std::string& name, const std::string& script,
                                      int64_t cpu_millis = 500, int64_t memory_mib = 256) {
  spillway::v1::JobSpec spec;
  spec.set_name(name);
  spec.add_command("/bin/sh");
  spec.add_command("-c");
  spec.add_args(script);
  spec.set_cpu_millis(cpu_millis);
  spec.set_memory_mib(memory_mib);
  spec.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  return spec;
}

}  // namespace spillway

#endif  // SPILLWAY_TESTS_AGENT_AGENT_CLUSTER_H_
