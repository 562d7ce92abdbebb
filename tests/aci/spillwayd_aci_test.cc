// An in-process spillwayd whose ACI backend is the real AciBackend talking to the real emulator:
// jobs submitted over gRPC burst to ACI, run as real processes, report real exit codes, and every
// container group is deleted afterwards.
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/poll.h"
#include "absl/synchronization/mutex.h"
#include "backends/aci/aci_backend.h"
#include "backends/aci/curl_http_client.h"
#include "backends/simulated/simulated_vm_pool.h"
#include "gtest/gtest.h"
#include "proto/spillway/v1/admin.grpc.pb.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"
#include "scheduler/model/policy.h"
#include "server/spillwayd.h"
#include "store/event_store.h"
#include "tests/aci/emulator_process.h"
#include "tests/support/job_calls.h"

namespace spillway {
namespace {

using spillway::v1::JobState;

// Keeps the latest state per job from a WatchJobs stream; waits on conditions with deadlines.
class StateWatcher {
 public:
  explicit StateWatcher(spillway::v1::JobService::Stub& stub) {
    spillway::v1::WatchJobsRequest req;
    reader_ = stub.WatchJobs(&ctx_, req);
    thread_ = std::thread([this] {
      spillway::v1::JobEvent ev;
      while (reader_->Read(&ev)) {
        absl::MutexLock lock(&mu_);
        state_[ev.job_id()] = ev.state();
        backend_[ev.job_id()] = ev.backend();
      }
      reader_->Finish();
    });
  }
  ~StateWatcher() {
    ctx_.TryCancel();
    thread_.join();
  }
  bool WaitFor(const std::vector<std::pair<std::string, JobState>>& want, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const auto& [id, state] : want) {
        auto it = state_.find(id);
        if (it == state_.end() || it->second != state) return false;
      }
      return true;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }
  spillway::v1::Backend BackendOf(const std::string& id) {
    absl::MutexLock lock(&mu_);
    return backend_[id];
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<spillway::v1::JobEvent>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::map<std::string, JobState> state_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, spillway::v1::Backend> backend_ ABSL_GUARDED_BY(mu_);
};

spillway::v1::JobSpec ShellJob(const std::string& name, const std::string& script) {
  spillway::v1::JobSpec spec;
  spec.set_name(name);
  spec.set_image("busybox");
  spec.add_command("/bin/sh");
  spec.add_command("-c");
  spec.add_args(script);
  spec.set_cpu_millis(1000);
  spec.set_memory_mib(1024);
  return spec;
}

AciBackendConfig EmulatorAci(const std::string& base_url) {
  AciBackendConfig aci;
  aci.arm_base_url = base_url;
  aci.subscription_id = "00000000-0000-0000-0000-000000000003";
  aci.resource_group = "spillway-it";
  aci.location = "eastus";
  aci.cluster_name = "it";
  aci.auth.mode = AciAuthConfig::Mode::kNone;
  aci.poll_interval = absl::Milliseconds(100);
  aci.http_timeout = absl::Seconds(10);  // Generous: CI runs tests side by side on 2 cores.
  aci.backoff_initial = absl::Milliseconds(50);
  aci.backoff_max = absl::Milliseconds(500);
  return aci;
}

// spillwayd with one simulated 1-vCPU VM and the real ACI backend; `store` may be null.
struct Daemon {
  Daemon(const std::string& emulator_url, EventStore* store) {
    auto backend = std::make_unique<AciBackend>(EmulatorAci(emulator_url),
                                                std::make_unique<CurlHttpClient>(),
                                                std::make_unique<NoAuthTokenSource>(),
                                                RealClock::Get());
    aci = backend.get();
    std::vector<std::unique_ptr<Backend>> backends;
    backends.push_back(std::make_unique<SimulatedVmPool>(
        std::vector<SimulatedNode>{SimulatedNode{"vm-1", Resources{1000, 1024}, {}}}));
    backends.push_back(std::move(backend));
    SpillwaydOptions options;
    options.grpc_address = "127.0.0.1:0";
    options.backends = std::move(backends);
    options.store = store;
    Config config;
    config.cluster_name = "it";
    config.policy = DefaultPolicy();
    daemon = std::make_unique<Spillwayd>(std::move(config), std::move(options));
    start_status = daemon->Start();
    channel = grpc::CreateChannel(daemon->address(), grpc::InsecureChannelCredentials());
    jobs = spillway::v1::JobService::NewStub(channel);
  }
  std::string Submit(const spillway::v1::JobSpec& spec) { return SubmitExpectingOk(*jobs, spec); }
  spillway::v1::Job Get(const std::string& id) { return GetJobOrEmpty(*jobs, id); }

  AciBackend* aci = nullptr;
  std::unique_ptr<Spillwayd> daemon;
  absl::Status start_status;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<spillway::v1::JobService::Stub> jobs;
};

TEST(SpillwaydAciTest, RestartAdoptsRunningGroupsAndSeesTheirExits) {
  auto emulator = EmulatorProcess::Start({"--provisioning_min=100ms", "--provisioning_max=200ms"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(tmp ? tmp : "/tmp") + "/aci-restart";
  std::filesystem::remove_all(dir);
  std::string long_id, short_id;
  {
    auto store = EventStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    Daemon d((*emulator)->base_url(), store->get());
    ASSERT_TRUE(d.start_status.ok()) << d.start_status;
    StateWatcher watcher(*d.jobs);
    auto long_job = ShellJob("long", "sleep 600");
    long_job.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
    long_id = d.Submit(long_job);
    auto short_job = ShellJob("short", "sleep 1; exit 3");
    short_job.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
    short_id = d.Submit(short_job);
    ASSERT_TRUE(watcher.WaitFor({{long_id, spillway::v1::JOB_STATE_RUNNING}}, absl::Seconds(30)));
    d.daemon->Shutdown();
  }  // spillwayd is gone; its container groups keep running (and billing) in the emulator.
  auto store = EventStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  Daemon d((*emulator)->base_url(), store->get());
  ASSERT_TRUE(d.start_status.ok()) << d.start_status;
  StateWatcher watcher(*d.jobs);
  // The short job's exit happened (or happens) while we were away: the adopted group reports it.
  ASSERT_TRUE(watcher.WaitFor({{short_id, spillway::v1::JOB_STATE_FAILED}}, absl::Seconds(30)));
  const spillway::v1::Job short_job = d.Get(short_id);
  EXPECT_EQ(short_job.attempts(short_job.attempts_size() - 1).exit_code(), 3)
      << short_job.DebugString();
  // The long job kept its one attempt and its group: adopted, not lost, not created twice.
  const spillway::v1::Job long_job = d.Get(long_id);
  EXPECT_EQ(long_job.state(), spillway::v1::JOB_STATE_RUNNING) << long_job.DebugString();
  EXPECT_EQ(long_job.attempts_size(), 1) << long_job.DebugString();
  EXPECT_EQ(d.aci->stats().creates_sent, 0);
  {
    grpc::ClientContext ctx;
    spillway::v1::CancelJobRequest req;
    req.set_id(long_id);
    spillway::v1::Job job;
    ASSERT_TRUE(d.jobs->CancelJob(&ctx, req, &job).ok());
  }
  ASSERT_TRUE(d.aci->AwaitIdle(absl::Seconds(30)));
  const nlohmann::json stats = (*emulator)->Stats();
  EXPECT_TRUE(stats["live_groups"].empty()) << stats.dump();
  for (const auto& [name, count] : stats["created_per_name"].items()) {
    EXPECT_EQ(count.get<int>(), 1) << name;
  }
  d.daemon->Shutdown();
}

TEST(SpillwaydAciTest, BurstsRunForRealAndLeaveNoGroups) {
  auto emulator = EmulatorProcess::Start({"--provisioning_min=100ms", "--provisioning_max=300ms"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();

  AciBackendConfig aci;
  aci.arm_base_url = (*emulator)->base_url();
  aci.subscription_id = "00000000-0000-0000-0000-000000000003";
  aci.resource_group = "spillway-it";
  aci.location = "eastus";
  aci.cluster_name = "it";
  aci.auth.mode = AciAuthConfig::Mode::kNone;
  aci.poll_interval = absl::Milliseconds(100);
  aci.http_timeout = absl::Seconds(10);  // Generous: CI runs tests side by side on 2 cores.
  aci.backoff_initial = absl::Milliseconds(50);
  aci.backoff_max = absl::Milliseconds(500);
  auto backend = std::make_unique<AciBackend>(aci, std::make_unique<CurlHttpClient>(),
                                              std::make_unique<NoAuthTokenSource>(),
                                              RealClock::Get());
  AciBackend* aci_backend = backend.get();
  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(std::make_unique<SimulatedVmPool>(
      std::vector<SimulatedNode>{SimulatedNode{"vm-1", Resources{1000, 1024}, {}}}));
  backends.push_back(std::move(backend));

  SpillwaydOptions options;
  options.grpc_address = "127.0.0.1:0";
  options.backends = std::move(backends);
  Config config;
  config.cluster_name = "it";
  config.policy = DefaultPolicy();
  Spillwayd daemon(std::move(config), std::move(options));
  ASSERT_TRUE(daemon.Start().ok());
  daemon.loop().Sync();  // The VM registers.
  auto channel = grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials());
  auto jobs = spillway::v1::JobService::NewStub(channel);
  auto admin = spillway::v1::AdminService::NewStub(channel);
  StateWatcher watcher(*jobs);

  auto submit = [&](const spillway::v1::JobSpec& spec) {
    grpc::ClientContext ctx;
    spillway::v1::SubmitJobRequest req;
    *req.mutable_spec() = spec;
    spillway::v1::SubmitJobResponse resp;
    grpc::Status s = jobs->SubmitJob(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.job().id();
  };
  // The one VM is taken by a long job; the ACI-only jobs go to the emulator.
  auto vm_job = ShellJob("vm", "sleep 3600");
  *vm_job.mutable_expected_duration() = ToProtoDuration(absl::Hours(1));
  vm_job.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  const std::string vm_id = submit(vm_job);
  std::vector<std::string> ok_ids, fail_ids;
  for (int i = 0; i < 3; ++i) {
    auto ok = ShellJob("ok", "echo working; sleep 0.2; exit 0");
    ok.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
    ok_ids.push_back(submit(ok));
    auto bad = ShellJob("bad", "exit 7");
    bad.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
    fail_ids.push_back(submit(bad));
  }
  std::vector<std::pair<std::string, JobState>> want;
  for (const auto& id : ok_ids) want.emplace_back(id, spillway::v1::JOB_STATE_SUCCEEDED);
  for (const auto& id : fail_ids) want.emplace_back(id, spillway::v1::JOB_STATE_FAILED);
  ASSERT_TRUE(watcher.WaitFor(want, absl::Seconds(60)));
  EXPECT_EQ(watcher.BackendOf(vm_id), spillway::v1::BACKEND_VM);
  for (const auto& id : fail_ids) {
    grpc::ClientContext ctx;
    spillway::v1::GetJobRequest req;
    req.set_id(id);
    spillway::v1::Job job;
    ASSERT_TRUE(jobs->GetJob(&ctx, req, &job).ok());
    ASSERT_GE(job.attempts_size(), 1);
    EXPECT_EQ(job.attempts(job.attempts_size() - 1).exit_code(), 7) << job.DebugString();
    EXPECT_EQ(job.backend(), spillway::v1::BACKEND_ACI);
  }
  // spillctl logs: a running ACI job's output comes from its container group.
  auto talker = ShellJob("talker", "echo logs-visible; sleep 30");
  talker.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  const std::string talker_id = submit(talker);
  ASSERT_TRUE(watcher.WaitFor({{talker_id, spillway::v1::JOB_STATE_RUNNING}}, absl::Seconds(30)));
  spillway::v1::GetJobLogsResponse logs;
  EXPECT_TRUE(PollUntil(
      [&] {
        grpc::ClientContext ctx;
        spillway::v1::GetJobLogsRequest req;
        req.set_id(talker_id);
        return jobs->GetJobLogs(&ctx, req, &logs).ok() &&
               logs.content().find("logs-visible") != std::string::npos;
      },
      absl::Seconds(20)))
      << logs.DebugString();
  EXPECT_EQ(logs.backend(), spillway::v1::BACKEND_ACI);
  {
    grpc::ClientContext ctx;
    spillway::v1::CancelJobRequest req;
    req.set_id(talker_id);
    spillway::v1::Job cancelled;
    ASSERT_TRUE(jobs->CancelJob(&ctx, req, &cancelled).ok());
  }
  // Finished groups are deleted at once: the emulator ends up empty, the bill is final.
  ASSERT_TRUE(aci_backend->AwaitIdle(absl::Seconds(30)));
  EXPECT_TRUE((*emulator)->Stats()["live_groups"].empty());
  EXPECT_GT((*emulator)->BillMicroUsd(), 0);
  grpc::ClientContext ctx;
  spillway::v1::GetClusterResponse cluster;
  ASSERT_TRUE(admin->GetCluster(&ctx, {}, &cluster).ok());
  EXPECT_EQ(cluster.aci_instances_size(), 0);
  daemon.Shutdown();
}

}  // namespace
}  // namespace spillway
