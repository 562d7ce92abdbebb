// The store committer compacts the log, and the live core then forgets what the snapshot left
// out: a core restored from the store holds exactly what the live one does.
#include "server/store_committer.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scheduler/core/core_test_harness.h"
#include "store/event_store.h"

namespace spillway {
namespace {

TEST(StoreCommitterTest, CompactionMakesTheLiveCoreForgetWhatTheSnapshotLeftOut) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  auto store = EventStore::Open(std::string(tmp) + "/committer");
  ASSERT_TRUE(store.ok()) << store.status();
  const CoreConfig config = CoreHarness::MakeConfig({});
  Core core(config);
  CompactionOptions options;
  options.every_events = 6;
  options.retention = absl::Hours(24);
  StoreCommitter committer(store->get(), options);
  absl::Time now = config.start_time;
  std::vector<Event> pending;
  std::string next;  // ListJobs' page token (unused: one page).
  auto apply = [&](EventBody body) {
    Event e{now, std::move(body)};
    ASSERT_TRUE(core.Apply(e).status.ok());
    pending.push_back(std::move(e));
  };
  auto commit = [&] {
    ASSERT_TRUE(committer.Commit(pending, core).ok());
    pending.clear();
  };
  apply(NodeUp{"vm-1", Resources{2000, 4096}, {}});
  apply(JobSubmitted{MakeSpec("old", 100, 100), "key-old"});
  const std::string old_id = core.ListJobs({}, "", 10, &next).front()->id();
  apply(TaskRunning{old_id, 1});
  apply(TaskExited{old_id, 1, 0, ""});
  commit();  // 4 events: no compaction yet.
  ASSERT_NE(core.FindJob(old_id), nullptr);
  now += absl::Hours(48);
  apply(JobSubmitted{MakeSpec("new", 100, 100), ""});
  apply(Tick{});
  commit();  // 6 events: compacted, retention 24 h.
  EXPECT_EQ(core.FindJob(old_id), nullptr);
  EXPECT_EQ(core.ListJobs({}, "", 10, &next).size(), 1u);
  // The key of the forgotten job is free again, as after a restart.
  Event again{now, JobSubmitted{MakeSpec("other", 100, 100), "key-old"}};
  const ApplyResult r = core.Apply(again);
  EXPECT_TRUE(r.created);
  EXPECT_NE(r.job_id, old_id);
  pending.push_back(again);
  commit();
  // A core rebuilt from the store (snapshot, then the events after it) holds the same state.
  Core restored(config);
  auto snapshot = (*store)->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_TRUE(restored.Restore(*snapshot).ok());
  ASSERT_TRUE((*store)->Replay([&](const Event& e) { return restored.Apply(e).status; }).ok());
  EXPECT_EQ(restored.Snapshot().SerializeAsString().size(),
            core.Snapshot().SerializeAsString().size());
  EXPECT_EQ(restored.ListJobs({}, "", 10, &next).size(), 2u);
  EXPECT_EQ(restored.FindJob(old_id), nullptr);
}

}  // namespace
}  // namespace spillway
