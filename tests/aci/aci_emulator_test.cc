// The real AciBackend against the real aci-emulator binary, over loopback HTTP.
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backends/aci/aci_backend.h"
#include "backends/aci/curl_http_client.h"
#include "backends/aci/group_spec.h"
#include "gtest/gtest.h"
#include "scheduler/model/aci_name.h"
#include "scheduler/model/money.h"
#include "tests/aci/core_driver.h"
#include "tests/aci/emulator_process.h"

namespace spillway {
namespace {

constexpr char kCluster[] = "t";

AciBackendConfig TestConfig(const std::string& base_url) {
  AciBackendConfig config;
  config.arm_base_url = base_url;
  config.subscription_id = "00000000-0000-0000-0000-000000000001";
  config.resource_group = "spillway-test";
  config.location = "eastus";
  config.cluster_name = kCluster;
  config.auth.mode = AciAuthConfig::Mode::kNone;
  config.poll_interval = absl::Milliseconds(100);
  config.reconcile_interval = absl::Milliseconds(500);
  config.orphan_grace = absl::Hours(1);
  config.http_timeout = absl::Seconds(2);
  config.backoff_initial = absl::Milliseconds(50);
  config.backoff_max = absl::Milliseconds(500);
  config.max_retries = 10;
  config.worker_threads = 4;
  return config;
}

std::unique_ptr<AciBackend> MakeBackend(const AciBackendConfig& config,
                                        Clock* clock = RealClock::Get()) {
  return std::make_unique<AciBackend>(config, std::make_unique<CurlHttpClient>(),
                                      std::make_unique<NoAuthTokenSource>(), clock);
}

spillway::v1::JobSpec ShellJob(const std::string& script, int64_t cpu_millis = 1000,
                               int64_t memory_mib = 1024) {
  spillway::v1::JobSpec spec;
  spec.set_name("job");
  spec.set_image("busybox");
  spec.add_command("/bin/sh");
  spec.add_command("-c");
  spec.add_args(script);
  spec.set_cpu_millis(cpu_millis);
  spec.set_memory_mib(memory_mib);
  return spec;
}

// Per-second rate of the test jobs' size (1 vCPU, 1 GB) in micro-USD, rounded up.
int64_t RatePerSecond(const AciPrices& prices) {
  return (prices.vcpu_hour_micro_usd + prices.gb_hour_micro_usd + 3599) / 3600;
}

TEST(AciEmulatorTest, RunsCommandsReportsExitCodesAndBillsLikeTheEmulator) {
  auto emulator = EmulatorProcess::Start({"--provisioning_min=100ms", "--provisioning_max=400ms"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  const AciBackendConfig config = TestConfig((*emulator)->base_url());
  auto backend = MakeBackend(config);
  CoreDriver driver(backend.get(), kCluster, /*max_attempts=*/1);
  for (int i = 0; i < 6; ++i) {
    auto spec = ShellJob(absl::StrCat("echo hello from ", i, " $GREETING; sleep 0.3; exit ", i % 3));
    auto* secret = spec.add_env();
    secret->set_name("GREETING");
    secret->set_value("s3cret-value");
    secret->set_secret(true);
    driver.Submit(absl::StrCat("job-", i), spec);
  }
  // Logs of a finished group, before the driver deletes it, are covered below; here the flow.
  ASSERT_TRUE(driver.RunUntil([&] { return driver.AllFinal() && driver.AllDeleted(); },
                              absl::Seconds(60)));
  for (const auto& [id, job] : driver.jobs()) {
    EXPECT_TRUE(job.exited) << id;
    EXPECT_EQ(job.exit_code, (id.back() - '0') % 3) << id;
    ASSERT_GE(job.states.size(), 3u) << id;
    EXPECT_EQ(job.states.front(), "TaskStarting") << id;
    EXPECT_EQ(job.states[job.states.size() - 2], "TaskRunning") << id;
    EXPECT_EQ(job.states.back(), "TaskExited") << id;
  }
  ASSERT_TRUE(backend->AwaitIdle(absl::Seconds(10)));
  const nlohmann::json stats = (*emulator)->Stats();
  EXPECT_TRUE(stats["live_groups"].empty()) << stats.dump();
  for (const auto& [name, count] : stats["created_per_name"].items()) {
    EXPECT_EQ(count.get<int>(), 1) << name;
  }
  const int64_t bill = (*emulator)->BillMicroUsd();
  const int64_t spend = backend->SpendMicroUsd(RealClock::Get()->Now());
  EXPECT_GT(bill, 0);
  EXPECT_GE(spend, bill);  // We start the meter before ARM does and stop it after.
  EXPECT_LE(spend - bill, 6 * 2 * RatePerSecond(config.prices));
  // Secrets were never echoed back.
  EXPECT_EQ(backend->stats().groups_created, 6);
}

TEST(AciEmulatorTest, FetchLogsReturnsTheContainersOutput) {
  auto emulator = EmulatorProcess::Start({"--provisioning_min=50ms", "--provisioning_max=100ms"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  auto backend = MakeBackend(TestConfig((*emulator)->base_url()));
  CoreDriver driver(backend.get(), kCluster, 1);
  // A long-running job: its logs are read while it runs, then it is deleted (killed).
  driver.Submit("job-logs", ShellJob("echo line-one; echo line-two; sleep 600"));
  const std::string group = AciGroupName(kCluster, "job-logs", 1);
  ASSERT_TRUE(driver.RunUntil(
      [&] {
        const auto& states = driver.jobs().at("job-logs").states;
        return !states.empty() && states.back() == "TaskRunning";
      },
      absl::Seconds(30)));
  absl::StatusOr<std::string> logs;
  const absl::Time deadline = RealClock::Get()->Now() + absl::Seconds(20);
  do {
    logs = backend->FetchLogs(group, "");
  } while ((!logs.ok() || !absl::StrContains(*logs, "line-two")) && RealClock::Get()->Now() < deadline);
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_EQ(*logs, "line-one\nline-two\n");
  EXPECT_TRUE(absl::IsNotFound(backend->FetchLogs("sw-t-nope-a1", "").status()));
  DeleteAciGroup del{"job-logs", 1, group, "test over"};
  backend->Execute(del, RealClock::Get()->Now());
  ASSERT_TRUE(backend->AwaitIdle(absl::Seconds(20)));
  EXPECT_TRUE((*emulator)->Stats()["live_groups"].empty());
  EXPECT_EQ((*emulator)->Stats()["processes_running"], 0);
}

TEST(AciEmulatorTest, BurstUnderFaultsEndsRightWithNoOrphansAndNoDoubleCreates) {
  const std::string faults = R"({"throttle_burst_every":37,"throttle_burst_length":3,
      "throttle_retry_after_seconds":1,"p_429":0.05,"p_5xx":0.05,"p_409_transitioning":0.05,
      "p_capacity_sync":0.05,"p_capacity_async":0.1,"p_create_timeout":0.05,
      "timeout_delay_ms":3000,"p_create_503_after_success":0.05,"delete_latency_ms":300})";
  constexpr int kCreateBudget = 60;  // Per 5 minutes, the same on both sides.
  auto emulator = EmulatorProcess::Start(
      {"--provisioning_min=100ms", "--provisioning_max=600ms", "--seed=42",
       absl::StrCat("--creates_per_5min=", kCreateBudget), "--faults=" + faults});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  AciBackendConfig config = TestConfig((*emulator)->base_url());
  config.creates_per_5min = kCreateBudget;
  auto backend = MakeBackend(config);
  CoreDriver driver(backend.get(), kCluster, /*max_attempts=*/6);
  constexpr int kJobs = 30;
  for (int i = 0; i < kJobs; ++i) {
    driver.Submit(absl::StrCat("job-", 100 + i),
                  ShellJob(absl::StrCat("sleep 0.2; exit ", i % 4)));
  }
  ASSERT_TRUE(driver.RunUntil([&] { return driver.AllFinal() && driver.AllDeleted(); },
                              absl::Seconds(150)))
      << "final: " << driver.AllFinal() << " deleted: " << driver.AllDeleted();
  int exited = 0;
  for (const auto& [id, job] : driver.jobs()) {
    const int index = std::stoi(id.substr(4)) - 100;
    if (job.exited) {
      ++exited;
      EXPECT_EQ(job.exit_code, index % 4) << id;
    } else {
      ASSERT_FALSE(job.failures.empty()) << id;
    }
    for (const std::string& reason : job.failures) {
      // Infrastructure failures carry ARM's code first.
      EXPECT_TRUE(absl::StrContains(reason, ": ")) << reason;
    }
  }
  EXPECT_GE(exited, kJobs - 2);  // Six attempts each: failing them all is very unlikely.
  ASSERT_TRUE(backend->AwaitIdle(absl::Seconds(20)));
  const nlohmann::json stats = (*emulator)->Stats();
  EXPECT_TRUE(stats["live_groups"].empty()) << stats.dump();
  for (const auto& [name, count] : stats["created_per_name"].items()) {
    EXPECT_EQ(count.get<int>(), 1) << "created twice: " << name;
  }
  EXPECT_EQ(stats["counters"].value("create_rate_limited", 0), 0);
  const std::vector<int64_t> creates = stats["create_times_ms"].get<std::vector<int64_t>>();
  for (size_t i = 0; i < creates.size(); ++i) {
    int in_window = 0;
    for (size_t j = i; j < creates.size() && creates[j] < creates[i] + 5 * 60 * 1000; ++j) {
      ++in_window;
    }
    EXPECT_LE(in_window, kCreateBudget);
  }
  // The faults really happened.
  const nlohmann::json& counters = stats["counters"];
  EXPECT_GT(counters.value("fault_429", 0) + counters.value("fault_5xx", 0), 0) << counters;
  const AciBackendStats backend_stats = backend->stats();
  EXPECT_GT(backend_stats.retries, 0);
  // Spend matches the bill: never below, at most ~2 s per group above (our meter is wider).
  const int64_t bill = (*emulator)->BillMicroUsd();
  const int64_t spend = backend->SpendMicroUsd(RealClock::Get()->Now());
  const int64_t groups = static_cast<int64_t>(stats["created_per_name"].size());
  EXPECT_GE(spend, bill);
  EXPECT_LE(spend - bill, groups * 3 * RatePerSecond(config.prices) + groups)
      << "spend " << spend << " bill " << bill << " groups " << groups;
  std::cerr << "burst: " << kJobs << " jobs, " << driver.created().size() << " attempts, "
            << groups << " groups created, counters " << counters.dump()
            << ", backend: creates_sent=" << backend_stats.creates_sent
            << " verified=" << backend_stats.creates_verified
            << " adopted=" << backend_stats.groups_adopted
            << " retries=" << backend_stats.retries << " throttled=" << backend_stats.throttled
            << " lists=" << backend_stats.lists << " gets=" << backend_stats.gets
            << ", spend " << spend << " bill " << bill << "\n";
}

TEST(AciEmulatorTest, StartUpInventoryAdoptsThenReconcilerDeletesLateOrphans) {
  // Two groups per list page: the inventory needs nextLink to see them all.
  auto emulator = EmulatorProcess::Start(
      {"--provisioning_min=50ms", "--provisioning_max=100ms", "--list_page_size=2"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  AciBackendConfig config = TestConfig((*emulator)->base_url());
  config.orphan_grace = absl::Milliseconds(300);
  const std::string prefix = absl::StrCat(
      "/subscriptions/", config.subscription_id, "/resourceGroups/", config.resource_group,
      "/providers/Microsoft.ContainerInstance/containerGroups/");
  auto put = [&](const std::string& cluster, const std::string& job, const std::string& script) {
    CreateAciGroup create;
    create.job_id = job;
    create.attempt = 1;
    create.spec = ShellJob(script);
    create.resources = Resources{1000, 1024};
    AciBackendConfig c = config;
    c.cluster_name = cluster;
    return (*emulator)->Send("PUT",
                             prefix + AciGroupName(cluster, job, 1) + "?api-version=2023-05-01",
                             BuildContainerGroupBody(c, create).dump());
  };
  // Left over from a previous life of this cluster (one finished with 6, one running), another
  // cluster's group, and the group of a job the "core" still runs (it re-issues its create).
  ASSERT_EQ(put(kCluster, "job-old", "exit 6"), 201);
  ASSERT_EQ(put(kCluster, "job-dead", "sleep 600"), 201);
  ASSERT_EQ(put("other", "job-x", "sleep 600"), 201);
  ASSERT_EQ(put(kCluster, "job-live", "sleep 600"), 201);
  const std::string old_group = AciGroupName(kCluster, "job-old", 1);
  const std::string dead = AciGroupName(kCluster, "job-dead", 1);
  const std::string foreign = AciGroupName("other", "job-x", 1);
  const std::string adoptee = AciGroupName(kCluster, "job-live", 1);

  auto backend = MakeBackend(config);
  CoreDriver driver(backend.get(), kCluster, 1);
  driver.Submit("job-live", ShellJob("sleep 600"));  // Same name: a create that adopts.
  ASSERT_TRUE(driver.RunUntil([&] { return !driver.inventories().empty(); }, absl::Seconds(30)));
  EXPECT_EQ(driver.inventories()[0], std::vector<std::string>({dead, adoptee, old_group}));
  // The driver (as the core) deleted the two groups no live attempt owns.
  ASSERT_TRUE(driver.RunUntil(
      [&] {
        const auto& states = driver.jobs().at("job-live").states;
        return driver.deleted_events() == 2 && !states.empty() && states.back() == "TaskRunning";
      },
      absl::Seconds(30)))
      << "live states " << driver.jobs().at("job-live").states.size() << ", foreign "
      << absl::StrJoin(driver.foreign_events(), "; ") << ", backend groups "
      << backend->LiveGroups() << ", emulator " << (*emulator)->Stats().dump();
  EXPECT_EQ(driver.jobs().at("job-live").states.front(), "TaskStarting");
  // Either job-live's create or the first list came first: it is adopted one way or the other.
  EXPECT_EQ(backend->stats().groups_adopted, 1);
  EXPECT_GE(backend->stats().groups_found_at_start, 2);
  EXPECT_EQ((*emulator)->Stats()["created_per_name"][adoptee], 1);
  // A tagged group that appears later and that nobody claims is deleted by the reconciler.
  ASSERT_EQ(put(kCluster, "job-late", "sleep 600"), 201);
  ASSERT_TRUE(driver.RunUntil([&] { return backend->stats().orphans_deleted == 1; },
                              absl::Seconds(30)));
  const nlohmann::json stats = (*emulator)->Stats();
  EXPECT_EQ(stats["live_groups"], nlohmann::json({foreign, adoptee})) << stats.dump();  // Sorted.
  backend->Execute(DeleteAciGroup{"job-live", 1, adoptee, "done"}, RealClock::Get()->Now());
  ASSERT_TRUE(backend->AwaitIdle(absl::Seconds(20)));
  EXPECT_EQ((*emulator)->Stats()["live_groups"], nlohmann::json({foreign}));
}

TEST(AciEmulatorTest, QuotaFromUsagesRefusesBeyondTheCeiling) {
  auto emulator = EmulatorProcess::Start(
      {"--provisioning_min=50ms", "--provisioning_max=100ms", "--max_groups=2"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  auto backend = MakeBackend(TestConfig((*emulator)->base_url()));
  CoreDriver driver(backend.get(), kCluster, 1);
  // Let the start-up usages read land first (a condition, not a sleep).
  ASSERT_TRUE(driver.RunUntil([&] { return backend->quota().known; }, absl::Seconds(20)));
  EXPECT_EQ(backend->quota().groups_limit, 2);
  EXPECT_EQ(backend->quota().cores_limit, 100);
  for (int i = 0; i < 3; ++i) driver.Submit(absl::StrCat("job-q", i), ShellJob("sleep 600"));
  ASSERT_TRUE(driver.RunUntil(
      [&] {
        int running = 0, refused = 0;
        for (const auto& [id, job] : driver.jobs()) {
          running += !job.states.empty() && job.states.back() == "TaskRunning";
          refused += job.final && !job.failures.empty();
        }
        return running == 2 && refused == 1;
      },
      absl::Seconds(30)));
  for (const auto& [id, job] : driver.jobs()) {
    if (!job.failures.empty()) {
      EXPECT_TRUE(absl::StartsWith(job.failures[0], "ContainerGroupQuotaReached: "))
          << job.failures[0];
    }
  }
  EXPECT_EQ(backend->stats().quota_rejections, 1);
  EXPECT_EQ((*emulator)->Counter("quota_rejected"), 0);  // Refused before ARM had to.
  for (const auto& [id, job] : driver.jobs()) {
    backend->Execute(DeleteAciGroup{id, 1, job.group, "test over"}, RealClock::Get()->Now());
  }
  ASSERT_TRUE(backend->AwaitIdle(absl::Seconds(20)));
  EXPECT_TRUE((*emulator)->Stats()["live_groups"].empty());
}

TEST(AciEmulatorTest, ArmQuotaErrorFailsTheAttemptWithArmsCode) {
  auto emulator = EmulatorProcess::Start(
      {"--provisioning_min=50ms", "--provisioning_max=100ms", "--max_cores=1"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  AciBackendConfig config = TestConfig((*emulator)->base_url());
  auto backend = MakeBackend(config);
  CoreDriver driver(backend.get(), kCluster, 1);
  ASSERT_TRUE(driver.RunUntil([&] { return backend->quota().known; }, absl::Seconds(20)));
  driver.Submit("job-big", ShellJob("true", 2000, 1024));  // 2 cores > the region's 1.
  ASSERT_TRUE(driver.RunUntil([&] { return driver.AllFinal(); }, absl::Seconds(20)));
  ASSERT_EQ(driver.jobs().at("job-big").failures.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(driver.jobs().at("job-big").failures[0],
                               "ContainerGroupQuotaReached: "));
  ASSERT_TRUE(driver.RunUntil([&] { return driver.AllDeleted(); }, absl::Seconds(20)));
}

TEST(AciEmulatorTest, NonRetryableErrorsFailWithArmsCodeAndMessage) {
  auto emulator = EmulatorProcess::Start({"--provisioning_min=50ms", "--provisioning_max=100ms"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  auto backend = MakeBackend(TestConfig((*emulator)->base_url()));
  CoreDriver driver(backend.get(), kCluster, 1);
  driver.Submit("job-huge", ShellJob("true", 8000, 1024));  // Over the 4 vCPU per-group limit.
  ASSERT_TRUE(driver.RunUntil([&] { return driver.AllFinal() && driver.AllDeleted(); },
                              absl::Seconds(20)));
  const auto& failures = driver.jobs().at("job-huge").failures;
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(failures[0], "ResourceRequestsNotAvailable: ")) << failures[0];
  EXPECT_EQ(backend->stats().creates_sent, 1);  // Not retried.
}

TEST(AciEmulatorTest, CreateBudgetHoldsUnderASimulatedClock) {
  auto emulator = EmulatorProcess::Start({"--provisioning_min=50ms", "--provisioning_max=100ms"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  AciBackendConfig config = TestConfig((*emulator)->base_url());
  config.creates_per_5min = 3;
  SimulatedClock clock(RealClock::Get()->Now());
  auto backend = MakeBackend(config, &clock);
  CoreDriver driver(backend.get(), kCluster, 1);
  for (int i = 0; i < 5; ++i) driver.Submit(absl::StrCat("job-b", i), ShellJob("sleep 600"));
  auto groups_created = [&] { return (*emulator)->Counter("groups_created"); };
  ASSERT_TRUE(driver.RunUntil([&] { return groups_created() == 3; }, absl::Seconds(20)));
  // Every create that the budget allows has been answered; the other two wait for the window.
  ASSERT_TRUE(driver.RunUntil([&] { return backend->stats().groups_created == 3; },
                              absl::Seconds(20)));
  EXPECT_EQ(backend->stats().creates_sent, 3);
  clock.Advance(absl::Minutes(5) + absl::Seconds(1));
  ASSERT_TRUE(driver.RunUntil([&] { return groups_created() == 5; }, absl::Seconds(20)));
  for (const auto& [id, job] : driver.jobs()) {
    backend->Execute(DeleteAciGroup{id, 1, job.group, "test over"}, RealClock::Get()->Now());
  }
  ASSERT_TRUE(driver.RunUntil([&] { return driver.AllDeleted(); }, absl::Seconds(30)));
  EXPECT_TRUE((*emulator)->Stats()["live_groups"].empty());
}

}  // namespace
}  // namespace spillway
