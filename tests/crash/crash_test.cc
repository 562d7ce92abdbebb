// Crash test with real processes: clients submit under load (each with its own idempotency key,
// retrying with the same key until acknowledged) while spillwayd is killed with SIGKILL at random
// points and restarted on the same data_dir. Afterwards every acknowledged job exists exactly once,
// no job ever had two live attempts, and no ACI group is left without its live attempt.
#include <grpcpp/grpcpp.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/poll.h"
#include "tests/aci/emulator_process.h"
#include "tests/support/child_process.h"
#include "google/protobuf/util/time_util.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/spillway/v1/admin.grpc.pb.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"

namespace spillway {
namespace {

const char* g_spillwayd = nullptr;

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class Daemon {
 public:
  Daemon(std::string data_dir, int port, std::vector<std::string> extra = {})
      : data_dir_(std::move(data_dir)), port_(port), extra_(std::move(extra)) {}
  ~Daemon() { Kill(); }

  void Start() {
    const std::string grpc = absl::StrCat("--grpc_address=127.0.0.1:", port_);
    const std::string data = absl::StrCat("--data_dir=", data_dir_);
    const std::string log = absl::StrCat(data_dir_, ".log");
    std::vector<std::string> args = {g_spillwayd, grpc, data, "--metrics_address="};
    args.insert(args.end(), extra_.begin(), extra_.end());
    // Appended: one log across the restarts.
    absl::StatusOr<std::unique_ptr<ChildProcess>> process =
        ChildProcess::StartAppendingTo(args, log);
    ASSERT_TRUE(process.ok()) << process.status();
    process_ = *std::move(process);
  }

  void Kill() {
    if (process_ == nullptr) return;
    process_->Kill();
    process_.reset();
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  std::string data_dir_;
  int port_;
  std::vector<std::string> extra_;
  std::unique_ptr<ChildProcess> process_;
};

spillway::v1::JobSpec Spec(const std::string& key, int i) {
  spillway::v1::JobSpec spec;
  spec.set_name(key);
  spec.set_image("busybox");
  spec.add_command("sleep");
  spec.set_cpu_millis(250 + 250 * (i % 4));
  spec.set_memory_mib(256);
  *spec.mutable_max_wait() = google::protobuf::util::TimeUtil::SecondsToDuration(i % 2 ? 1 : 600);
  (*spec.mutable_labels())["spillway.sim/duration"] = absl::StrCat(1 + i % 5, "s");
  return spec;
}

TEST(CrashTest, AcknowledgedJobsSurviveSigkillExactlyOnce) {
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string dir = std::string(tmp ? tmp : "/tmp") + "/crash-store";
  std::filesystem::remove_all(dir);
  Daemon daemon(dir, FreePort());
  daemon.Start();
  auto channel = grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials());
  auto jobs = spillway::v1::JobService::NewStub(channel);

  constexpr int kClients = 4;
  constexpr int kPerClient = 60;
  absl::Mutex mu;
  std::map<std::string, std::string> acked;  // key -> job id
  std::atomic<int> retries{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kPerClient && !stop; ++i) {
        const std::string key = absl::StrCat("c", c, "-", i);
        spillway::v1::SubmitJobRequest req;
        *req.mutable_spec() = Spec(key, i);
        req.set_idempotency_key(key);
        for (int attempt = 0; attempt < 600 && !stop; ++attempt) {
          grpc::ClientContext ctx;
          ctx.set_wait_for_ready(true);  // Waits (with the deadline) while spillwayd restarts.
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
          spillway::v1::SubmitJobResponse resp;
          const grpc::Status s = jobs->SubmitJob(&ctx, req, &resp);
          if (s.ok()) {
            absl::MutexLock lock(&mu);
            acked[key] = resp.job().id();
            break;
          }
          ASSERT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
              << s.error_message();
          ++retries;
        }
      }
    });
  }
  // Kill at random points: after a random number of acknowledgements.
  std::mt19937 rng(20261128);
  int kills = 0;
  for (int round = 0; round < 5; ++round) {
    const size_t target = (round + 1) * (kClients * kPerClient) / 6 + rng() % 10;
    absl::MutexLock lock(&mu);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return acked.size() >= target; };
    if (!mu.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(60))) break;
    mu.Unlock();
    daemon.Kill();
    ++kills;
    daemon.Start();
    mu.Lock();
  }
  for (auto& t : clients) t.join();
  stop = true;
  EXPECT_EQ(kills, 5);
  ASSERT_EQ(acked.size(), static_cast<size_t>(kClients * kPerClient));

  // Verify against the restarted daemon.
  grpc::ClientContext ready;
  ready.set_wait_for_ready(true);
  std::map<std::string, int> jobs_per_key;
  std::set<std::string> ids;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    spillway::v1::ListJobsRequest req;
    req.set_page_size(1000);
    req.set_page_token(token);
    spillway::v1::ListJobsResponse resp;
    const grpc::Status s = jobs->ListJobs(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const auto& job : resp.jobs()) {
      EXPECT_TRUE(ids.insert(job.id()).second) << "duplicate id " << job.id();
      jobs_per_key[job.idempotency_key()]++;
      EXPECT_EQ(job.spec().name(), job.idempotency_key());
      // Never two live attempts at once: every attempt but the last has finished.
      for (int a = 0; a + 1 < job.attempts_size(); ++a) {
        EXPECT_TRUE(job.attempts(a).has_finish_time()) << job.id() << " attempt " << a + 1;
      }
    }
    token = resp.next_page_token();
  } while (!token.empty() && ++pages < 100);
  for (const auto& [key, id] : acked) {
    EXPECT_EQ(jobs_per_key[key], 1) << key;
    EXPECT_EQ(ids.count(id), 1u) << key << " -> " << id;
  }
  EXPECT_EQ(ids.size(), acked.size());  // Nothing that was never acknowledged appears twice.

  // ACI: every live group belongs to its job's current attempt.
  auto admin = spillway::v1::AdminService::NewStub(channel);
  grpc::ClientContext ctx;
  spillway::v1::GetClusterResponse cluster;
  ASSERT_TRUE(admin->GetCluster(&ctx, {}, &cluster).ok());
  std::set<std::string> jobs_with_group;
  for (const auto& g : cluster.aci_instances()) {
    if (g.state() == "deleting") continue;
    EXPECT_TRUE(jobs_with_group.insert(g.job_id()).second) << "two groups for " << g.job_id();
  }
  std::cout << "crash test: " << acked.size() << " jobs acknowledged, " << kills
            << " SIGKILLs, " << retries << " client retries, " << cluster.aci_instances_size()
            << " ACI groups live" << std::endl;
}

// The same with the real ACI path: spillwayd drives the ARM emulator (which outlives every crash)
// through the ARM backend. No container group is ever created twice under one name, none is left
// behind, and every job ends succeeded exactly once.
TEST(CrashTest, AciGroupsAreNeverDuplicatedOrOrphanedAcrossSigkill) {
  auto emulator = EmulatorProcess::Start({"--provisioning_min=200ms", "--provisioning_max=600ms"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string dir = std::string(tmp ? tmp : "/tmp") + "/crash-aci-store";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string config = dir + ".yaml";
  {
    std::ofstream out(config);
    out << "cluster_name: crash\n"
           "vm_pool: {nodes: [{id: vm-1, cpu_millis: 1000, memory_mib: 1024}]}\n"
           "aci:\n  arm:\n    base_url: " << (*emulator)->base_url() << "\n"
           "    subscription_id: 00000000-0000-0000-0000-00000000c4a5\n"
           "    resource_group: crash\n    location: eastus\n    auth: {mode: none}\n"
           "    poll_interval: 200ms\n    reconcile_interval: 2s\n    orphan_grace: 3s\n"
           "    backoff_initial: 100ms\n    backoff_max: 1s\n"
           "policy: {aci_start_latency: 1s, retry_backoff_initial: 1s}\n";
  }
  Daemon daemon(dir, FreePort(), {"--config=" + config});
  daemon.Start();
  auto channel = grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials());
  auto jobs = spillway::v1::JobService::NewStub(channel);

  constexpr int kJobs = 30;
  std::map<std::string, std::string> acked;
  std::mt19937 rng(7);
  std::set<int> kill_after = {5 + static_cast<int>(rng() % 5), 14 + static_cast<int>(rng() % 5),
                              24 + static_cast<int>(rng() % 4)};
  int kills = 0;
  for (int i = 0; i < kJobs; ++i) {
    const std::string key = absl::StrCat("aci-", i);
    spillway::v1::SubmitJobRequest req;
    auto* spec = req.mutable_spec();
    spec->set_name(key);
    spec->set_image("busybox");
    spec->add_command("/bin/sh");
    spec->add_command("-c");
    spec->add_command("sleep 1");
    spec->set_cpu_millis(250);
    spec->set_memory_mib(256);
    spec->set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
    req.set_idempotency_key(key);
    for (int attempt = 0; attempt < 100; ++attempt) {
      grpc::ClientContext ctx;
      ctx.set_wait_for_ready(true);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      spillway::v1::SubmitJobResponse resp;
      if (jobs->SubmitJob(&ctx, req, &resp).ok()) {
        acked[key] = resp.job().id();
        break;
      }
    }
    if (kill_after.count(i) > 0) {
      daemon.Kill();  // Creates are in flight now: intents durable, PUTs sent or not.
      ++kills;
      daemon.Start();
    }
  }
  ASSERT_EQ(acked.size(), static_cast<size_t>(kJobs));
  // Every job ends succeeded, its output produced by exactly one successful attempt.
  std::map<std::string, spillway::v1::Job> final_jobs;
  const bool all_done = PollUntil(
      [&] {
        grpc::ClientContext ctx;
        ctx.set_wait_for_ready(true);
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        spillway::v1::ListJobsRequest req;
        req.set_page_size(1000);
        spillway::v1::ListJobsResponse resp;
        if (!jobs->ListJobs(&ctx, req, &resp).ok()) return false;
        final_jobs.clear();
        for (const auto& j : resp.jobs()) final_jobs[j.id()] = j;
        for (const auto& [id, j] : final_jobs) {
          if (j.state() != spillway::v1::JOB_STATE_SUCCEEDED) return false;
        }
        return final_jobs.size() == acked.size();
      },
      absl::Seconds(180), absl::Milliseconds(200));
  ASSERT_TRUE(all_done) << "jobs did not all succeed";
  for (const auto& [id, job] : final_jobs) {
    int succeeded = 0;
    for (const auto& a : job.attempts()) succeeded += a.state() == spillway::v1::JOB_STATE_SUCCEEDED;
    EXPECT_EQ(succeeded, 1) << job.DebugString();
  }
  // The emulator: no name created twice, and nothing left once the deletes are through.
  nlohmann::json stats;
  EXPECT_TRUE(PollUntil(
      [&] {
        stats = (*emulator)->Stats();
        return stats["live_groups"].empty();
      },
      absl::Seconds(60)))
      << stats.dump();
  int created = 0;
  for (const auto& [name, count] : stats["created_per_name"].items()) {
    EXPECT_EQ(count.get<int>(), 1) << name;
    ++created;
  }
  EXPECT_GE(created, kJobs);
  EXPECT_EQ(kills, 3);
  std::cout << "crash test (ACI): " << kJobs << " jobs, " << kills << " SIGKILLs, " << created
            << " groups created, each once; bill " << (*emulator)->BillMicroUsd() << " micro-USD"
            << std::endl;
}

}  // namespace
}  // namespace spillway

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::cerr << "usage: crash_test SPILLWAYD" << std::endl;
    return 2;
  }
  spillway::g_spillwayd = argv[1];
  return RUN_ALL_TESTS();
}
