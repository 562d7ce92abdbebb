// The product's promise end to end, over real gRPC: the VM pool fills first, only jobs whose wait
// would break their budget burst to ACI, and as load falls bursting stops, migratable work returns
// to the pool and every ACI group is deleted. WatchJobs sees every transition, in order.
#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_cluster.h"
#include "tests/integration/watch_collector.h"

namespace spillway {
namespace {

using spillway::v1::BACKEND_ACI;
using spillway::v1::BACKEND_VM;
using ::testing::HasSubstr;

spillway::v1::Policy DrainFriendlyPolicy() {
  spillway::v1::Policy p = DefaultPolicy();
  *p.mutable_drain_stable_window() = ToProtoDuration(absl::Seconds(60));
  *p.mutable_burst_cooldown() = ToProtoDuration(absl::Seconds(30));
  p.set_drain_moves_per_minute(10);
  return p;
}

TEST(BurstDrainTest, PoolFirstThenBudgetBreakersBurstThenWorkDrainsBack) {
  TestClusterOptions options;
  options.policy = DrainFriendlyPolicy();
  TestCluster cluster(options);
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
  WatchCollector watch(cluster.jobs(), 0);

  // Three times the pool's capacity: 3 nodes x 2 slots of 1 vCPU = 6 slots, 18 jobs.
  // Even jobs are urgent (30 s budget, 30 min long, migratable); odd ones patient (1 h budget).
  std::vector<std::string> ids;
  std::set<std::string> urgent;
  for (int i = 0; i < 18; ++i) {
    const bool is_urgent = i % 2 == 0;
    auto spec = SimJob(is_urgent ? "urgent" : "patient", 1000, 1024,
                       is_urgent ? absl::Minutes(30) : absl::Minutes(5),
                       is_urgent ? absl::Seconds(30) : absl::Hours(1));
    spec.set_migratable(is_urgent);
    std::string id;
    ASSERT_TRUE(cluster.Submit(spec, &id).ok());
    ids.push_back(id);
    if (is_urgent) urgent.insert(id);
  }
  cluster.loop().Sync();

  // The pool filled first: the first six submissions run on VMs.
  for (int i = 0; i < 6; ++i) EXPECT_EQ(cluster.Get(ids[i]).backend(), BACKEND_VM) << i;
  // Of the rest, exactly the urgent ones burst; the patient ones wait for the pool.
  int burst = 0;
  for (int i = 6; i < 18; ++i) {
    const spillway::v1::Job job = cluster.Get(ids[i]);
    if (urgent.count(ids[i])) {
      EXPECT_EQ(job.backend(), BACKEND_ACI) << ids[i];
      EXPECT_EQ(job.last_decision().outcome(), "burst");
      EXPECT_THAT(job.last_decision().message(), HasSubstr("> budget 30s"));
      ++burst;
    } else {
      EXPECT_EQ(job.state(), spillway::v1::JOB_STATE_PENDING) << ids[i];
      EXPECT_THAT(job.reason(), HasSubstr("within budget"));
    }
  }
  EXPECT_EQ(burst, 6);
  EXPECT_EQ(cluster.aci().LiveGroups(), 6);
  spillway::v1::GetClusterResponse c = cluster.Cluster();
  EXPECT_EQ(c.aci_instances_size(), 6);
  EXPECT_EQ(c.queue_depth(), 6);
  EXPECT_GT(c.aci_spend_rate_micro_usd_per_hour(), 0);

  // Patient jobs run on the pool as it frees up; no further burst happens.
  cluster.Advance(absl::Minutes(20));
  EXPECT_EQ(cluster.aci().CreatesSeen(), 6);
  for (const auto& id : ids) {
    if (!urgent.count(id)) {
      EXPECT_EQ(cluster.Get(id).state(), spillway::v1::JOB_STATE_SUCCEEDED) << id;
      EXPECT_EQ(cluster.Get(id).backend(), BACKEND_VM) << id;
    }
  }
  // Load fell: migratable ACI work came back to the pool as far as it has room. Three slots
  // still run the first three urgent jobs (30 min each), so three of the six moved back.
  EXPECT_EQ(cluster.aci().LiveGroups(), 3);
  int moved_back = 0;
  for (const auto& id : urgent) {
    const spillway::v1::Job job = cluster.Get(id);
    if (job.attempts_size() > 1 && job.attempts(0).backend() == BACKEND_ACI) {
      ++moved_back;
      EXPECT_EQ(job.backend(), BACKEND_VM) << id;
      EXPECT_EQ(job.state(), spillway::v1::JOB_STATE_RUNNING) << id;
      EXPECT_THAT(job.reason(), HasSubstr("migrated to vm node"));
    }
  }
  EXPECT_EQ(moved_back, 3);
  EXPECT_GT(cluster.Cluster().aci_spend_micro_usd(), 0);

  // Everything finishes; the rest ended on ACI (too close to their end to be worth a move) and
  // their groups were deleted at once: nothing keeps billing.
  cluster.Advance(absl::Minutes(40));
  EXPECT_EQ(cluster.aci().LiveGroups(), 0);
  EXPECT_EQ(cluster.Cluster().aci_spend_rate_micro_usd_per_hour(), 0);
  EXPECT_EQ(cluster.Cluster().aci_spend_micro_usd(), cluster.aci().SpendMicroUsd(cluster.clock().Now()));
  for (const auto& id : ids) {
    EXPECT_EQ(cluster.Get(id).state(), spillway::v1::JOB_STATE_SUCCEEDED) << id;
  }
  EXPECT_EQ(cluster.pool().RunningTasks(), 0);

  // WatchJobs saw every transition of every job, in order, without gaps.
  const int64_t head = cluster.Revision();
  ASSERT_TRUE(watch.WaitForRevision(head));
  const auto events = watch.events();
  {
    std::string missing;
    int64_t expect = 1;
    for (const auto& e : events) {
      for (; expect < e.revision(); ++expect) missing += std::to_string(expect) + " ";
      expect = e.revision() + 1;
    }
    EXPECT_EQ(missing, "") << "revisions missing from the watch stream";
  }
  ASSERT_EQ(static_cast<int64_t>(events.size()), head);
  std::map<std::string, std::vector<int64_t>> seen;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].revision(), static_cast<int64_t>(i) + 1);
    seen[events[i].job_id()].push_back(events[i].revision());
  }
  for (const auto& id : ids) {
    std::vector<int64_t> history;
    const spillway::v1::Job job = cluster.Get(id);
    for (const auto& t : job.history()) history.push_back(t.revision());
    EXPECT_EQ(seen[id], history) << id;
  }
}

TEST(BurstDrainTest, NoBurstWhileThePoolHasRoom) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(cluster.Submit(SimJob("fits", 1000, 1024, absl::Minutes(1), absl::Seconds(0)),
                               nullptr)
                    .ok());
  }
  cluster.loop().Sync();
  EXPECT_EQ(cluster.aci().CreatesSeen(), 0);
  EXPECT_EQ(cluster.pool().RunningTasks(), 6);
}

}  // namespace
}  // namespace spillway
