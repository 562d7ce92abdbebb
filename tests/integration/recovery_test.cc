// Nothing accepted is lost across a restart: spillwayd replays its store, reconciles with what the
// backends really run before placing anything new, keeps job ids, idempotency keys, policy
// versions and revisions, and WatchJobs resumes from a revision.
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/event_store.h"
#include "tests/integration/test_cluster.h"
#include "tests/integration/watch_collector.h"

namespace spillway {
namespace {

using ::testing::HasSubstr;

std::string FreshDir(const std::string& name) {
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string dir = std::string(tmp ? tmp : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(RecoveryTest, RestartKeepsEverythingAndReconcilesWithTheBackends) {
  const std::string dir = FreshDir("recovery");
  std::vector<std::string> ids;
  std::string cancelled;
  int64_t revision_before = 0;
  absl::Time stopped_at;
  {
    auto store = EventStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    TestClusterOptions options;
    options.store = store->get();
    TestCluster cluster(options);
    ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
    for (int i = 0; i < 3; ++i) {
      std::string id;
      ASSERT_TRUE(cluster.Submit(SimJob("vm", 1000, 1024, absl::Hours(1), absl::Hours(1)), &id,
                                 "key-" + std::to_string(i))
                      .ok());
      ids.push_back(id);
    }
    auto aci = SimJob("aci", 1000, 1024, absl::Hours(1), absl::Hours(1));
    aci.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
    std::string aci_id;
    ASSERT_TRUE(cluster.Submit(aci, &aci_id).ok());
    ids.push_back(aci_id);
    ASSERT_TRUE(cluster.Submit(SimJob("gone", 100, 128, absl::Hours(1), absl::Hours(1)),
                               &cancelled)
                    .ok());
    cluster.Advance(absl::Seconds(30));
    {
      grpc::ClientContext ctx;
      spillway::v1::CancelJobRequest req;
      req.set_id(cancelled);
      spillway::v1::Job job;
      ASSERT_TRUE(cluster.jobs().CancelJob(&ctx, req, &job).ok());
    }
    {
      spillway::v1::GetPolicyResponse current;
      grpc::ClientContext get;
      ASSERT_TRUE(cluster.admin().GetPolicy(&get, {}, &current).ok());
      spillway::v1::UpdatePolicyRequest update;
      *update.mutable_policy() = current.policy();
      update.mutable_policy()->set_aci_max_groups(42);
      update.set_expected_version(current.policy().version());
      grpc::ClientContext set;
      spillway::v1::UpdatePolicyResponse resp;
      ASSERT_TRUE(cluster.admin().UpdatePolicy(&set, update, &resp).ok());
    }
    for (const auto& id : ids) {
      ASSERT_EQ(cluster.Get(id).state(), spillway::v1::JOB_STATE_RUNNING) << id;
    }
    revision_before = cluster.Revision();
    stopped_at = cluster.clock().Now();
  }  // spillwayd stops; the simulated backends (and what they ran) are gone with it.

  auto store = EventStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  TestClusterOptions options;
  options.store = store->get();
  options.start_time = stopped_at + absl::Minutes(1);
  TestCluster cluster(options);
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();

  // Same jobs, same ids; the cancelled one stays cancelled.
  EXPECT_EQ(cluster.Get(cancelled).state(), spillway::v1::JOB_STATE_CANCELLED);
  // What ran was lost with the old process: those attempts failed and are retried, never run
  // twice; nothing was placed before the backends reported.
  for (const auto& id : ids) {
    const spillway::v1::Job job = cluster.Get(id);
    EXPECT_EQ(job.state(), spillway::v1::JOB_STATE_PENDING) << id;
    EXPECT_THAT(job.reason(), HasSubstr("lost while spillwayd was down")) << id;
    EXPECT_EQ(job.attempts_size(), 1) << id;
  }
  // A retried submit with an old idempotency key returns the original job.
  std::string again;
  ASSERT_TRUE(cluster.Submit(SimJob("vm", 1000, 1024, absl::Hours(1), absl::Hours(1)), &again,
                             "key-1")
                  .ok());
  EXPECT_EQ(again, ids[1]);
  // The policy version and the revision counter continue.
  {
    spillway::v1::GetPolicyResponse policy;
    grpc::ClientContext ctx;
    ASSERT_TRUE(cluster.admin().GetPolicy(&ctx, {}, &policy).ok());
    EXPECT_EQ(policy.policy().version(), 2);
    EXPECT_EQ(policy.policy().aci_max_groups(), 42);
    EXPECT_EQ(policy.history_size(), 2);
  }
  EXPECT_GT(cluster.Revision(), revision_before);
  // A watcher resumes from a revision before the restart and sees the rest, without gaps.
  WatchCollector watch(cluster.jobs(), revision_before - 3);
  cluster.Advance(absl::Seconds(40));  // Back-off over: the jobs are placed again.
  for (const auto& id : ids) {
    const spillway::v1::Job job = cluster.Get(id);
    EXPECT_EQ(job.state(), spillway::v1::JOB_STATE_RUNNING) << id;
    EXPECT_EQ(job.attempts_size(), 2) << id;
  }
  EXPECT_EQ(cluster.pool().RunningTasks(), 3);
  EXPECT_EQ(cluster.aci().LiveGroups(), 1);  // The new attempt's group only.
  const int64_t head = cluster.Revision();
  ASSERT_TRUE(watch.WaitForRevision(head));
  const auto events = watch.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().revision(), revision_before - 2);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i].revision(), events[i - 1].revision() + 1);
  }
}

TEST(RecoveryTest, CompactedStoresRecoverAndForgetOldFinishedJobs) {
  const std::string dir = FreshDir("compaction");
  std::string finished, live;
  absl::Time stopped_at;
  int64_t revision_before = 0;
  {
    auto store = EventStore::Open(dir);
    ASSERT_TRUE(store.ok());
    TestClusterOptions options;
    options.store = store->get();
    options.compaction.every_events = 10;  // Compact often.
    options.compaction.retention = absl::Hours(1);
    options.sync_step = absl::Minutes(1);
    TestCluster cluster(options);
    ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
    ASSERT_TRUE(cluster.Submit(SimJob("short", 500, 512, absl::Seconds(10), absl::Hours(1)),
                               &finished, "k-finished")
                    .ok());
    cluster.Advance(absl::Seconds(20));
    ASSERT_EQ(cluster.Get(finished).state(), spillway::v1::JOB_STATE_SUCCEEDED);
    cluster.Advance(absl::Hours(2));  // Past the retention.
    ASSERT_TRUE(cluster.Submit(SimJob("long", 500, 512, absl::Hours(5), absl::Hours(1)), &live,
                               "k-live")
                    .ok());
    cluster.Advance(absl::Seconds(5));
    for (int i = 0; i < 4; ++i) cluster.Advance(absl::Seconds(5));  // More events: compaction.
    EXPECT_LT((*store)->event_count(), 10);
    revision_before = cluster.Revision();
    stopped_at = cluster.clock().Now();
  }
  auto store = EventStore::Open(dir);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->LoadSnapshot().ok());
  TestClusterOptions options;
  options.store = store->get();
  options.start_time = stopped_at + absl::Minutes(1);
  TestCluster cluster(options);
  ASSERT_TRUE(cluster.start_status().ok()) << cluster.start_status();
  grpc::ClientContext ctx;
  spillway::v1::GetJobRequest req;
  req.set_id(finished);
  spillway::v1::Job job;
  EXPECT_EQ(cluster.jobs().GetJob(&ctx, req, &job).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(cluster.Get(live).state(), spillway::v1::JOB_STATE_PENDING);  // Lost with the process.
  std::string again;
  ASSERT_TRUE(cluster.Submit(SimJob("long", 500, 512, absl::Hours(5), absl::Hours(1)), &again,
                             "k-live")
                  .ok());
  EXPECT_EQ(again, live);
  EXPECT_GE(cluster.Revision(), revision_before);
  std::string next;
  ASSERT_TRUE(cluster.Submit(SimJob("new", 500, 512, absl::Hours(1), absl::Hours(1)), &next).ok());
  EXPECT_EQ(next, "job-00000003");  // Ids are never reused.
}

}  // namespace
}  // namespace spillway
