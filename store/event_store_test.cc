#include "store/event_store.h"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/core/actions.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "store/event_codec.h"

namespace spillway {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

std::string TempDir(const std::string& name) {
  const std::string dir = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                          "/" + name + "-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

// One event of every kind, with every field set.
std::vector<Event> EveryKind() {
  spillway::v1::JobSpec spec;
  spec.set_name("x");
  spec.set_image("busybox");
  spec.set_cpu_millis(250);
  (*spec.mutable_labels())["team"] = "red";
  spillway::v1::Policy policy;
  policy.set_aci_max_groups(7);
  return {
      {kT0, JobSubmitted{spec, "key"}},
      {kT0 + absl::Seconds(1), JobCancelled{"job-1", "why"}},
      {kT0, PolicyChanged{policy, 3, "alice"}},
      {kT0, NodeCordoned{"vm-1", true}},
      {kT0, NodeDrainRequested{"vm-2"}},
      {kT0, NodeUp{"vm-3", Resources{2000, 4096}, {{"zone", "a"}}}},
      {kT0, NodeDown{"vm-3", "lost"}},
      {kT0, TaskStarting{"job-1", 2}},
      {kT0, TaskRunning{"job-1", 2}},
      {kT0, TaskExited{"job-1", 2, 137, "killed"}},
      {kT0, TaskFailed{"job-1", 3, "InsufficientCapacity"}},
      {kT0, AciGroupDeleted{"sw-a-1"}},
      {kT0 + absl::Nanoseconds(5), Tick{}},
      {kT0, RecoveryStarted{{spillway::v1::BACKEND_VM, spillway::v1::BACKEND_ACI},
                            kT0 + absl::Seconds(30)}},
      {kT0, BackendInventory{spillway::v1::BACKEND_VM, {{"job-1", 2, "vm-1"}}, {"g1", "g2"}}},
  };
}

TEST(EventCodecTest, EveryEventKindRoundTrips) {
  const std::vector<Event> events = EveryKind();
  ASSERT_EQ(events.size(), std::variant_size_v<EventBody>);  // A new kind needs a row here.
  for (const Event& e : events) {
    const auto encoded = EncodeEvent(e);
    absl::StatusOr<Event> back = DecodeEvent(encoded);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->time, e.time);
    EXPECT_EQ(back->body.index(), e.body.index()) << EventName(e.body);
    // Re-encoding the decoded event gives the same record: nothing was lost.
    std::string a, b;
    google::protobuf::io::StringOutputStream sa(&a), sb(&b);
    {
      google::protobuf::io::CodedOutputStream ca(&sa), cb(&sb);
      ca.SetSerializationDeterministic(true);
      cb.SetSerializationDeterministic(true);
      encoded.SerializeToCodedStream(&ca);
      EncodeEvent(*back).SerializeToCodedStream(&cb);
    }
    EXPECT_EQ(a, b) << EventName(e.body);
  }
  spillway::store::v1::WalEvent empty;
  EXPECT_EQ(DecodeEvent(empty).status().code(), absl::StatusCode::kDataLoss);
}

TEST(EventStoreTest, AppendsAndReplaysAcrossReopen) {
  const std::string dir = TempDir("append");
  {
    auto store = EventStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->LoadCoreConfig().status().code(), absl::StatusCode::kNotFound);
    spillway::store::v1::CoreConfigRec config;
    config.set_cluster_name("c1");
    ASSERT_TRUE((*store)->SaveCoreConfig(config).ok());
    const auto events = EveryKind();
    ASSERT_TRUE((*store)->Append({events.begin(), events.begin() + 5}).ok());
    ASSERT_TRUE((*store)->Append({events.begin() + 5, events.end()}).ok());
    EXPECT_EQ((*store)->event_count(), 15);
  }
  auto store = EventStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->event_count(), 15);
  EXPECT_EQ((*store)->LoadCoreConfig()->cluster_name(), "c1");
  std::vector<std::string> names;
  ASSERT_TRUE((*store)
                  ->Replay([&](const Event& e) {
                    names.push_back(EventName(e.body));
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_EQ(names.size(), 15u);
  EXPECT_EQ(names.front(), "JobSubmitted");
  EXPECT_EQ(names.back(), "BackendInventory");
  // Appends continue the sequence after a reopen.
  ASSERT_TRUE((*store)->Append({{kT0, Tick{}}}).ok());
  int n = 0;
  ASSERT_TRUE((*store)->Replay([&](const Event&) { ++n; return absl::OkStatus(); }).ok());
  EXPECT_EQ(n, 16);
}

TEST(EventStoreTest, ASecondOpenOfTheSameDirIsRefused) {
  const std::string dir = TempDir("lock");
  auto first = EventStore::Open(dir);
  ASSERT_TRUE(first.ok());
  auto second = EventStore::Open(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("another spillwayd"));
}

TEST(EventStoreTest, NewerSchemaIsRefused) {
  const std::string dir = TempDir("newer");
  { ASSERT_TRUE(EventStore::Open(dir).ok()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/spillway.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = 99 WHERE key = 'schema_version'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = EventStore::Open(dir);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("newer Spillway (schema 99"));
}

TEST(EventStoreTest, GarbageAndForeignFilesAreRefused) {
  const std::string dir = TempDir("garbage");
  std::filesystem::create_directories(dir);
  { std::ofstream(dir + "/spillway.db") << std::string(8192, 'x'); }
  auto store = EventStore::Open(dir);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();

  const std::string foreign = TempDir("foreign");
  std::filesystem::create_directories(foreign);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((foreign + "/spillway.db").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE accounts(id INTEGER)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  store = EventStore::Open(foreign);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("no Spillway schema"));
}

TEST(EventStoreTest, AnUnreadableRecordStopsReplayWithDataLoss) {
  const std::string dir = TempDir("badrecord");
  {
    auto store = EventStore::Open(dir);
    ASSERT_TRUE((*store)->Append({{kT0, Tick{}}, {kT0, Tick{}}}).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/spillway.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE events SET body = x'ffffffff' WHERE seq = 2", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = EventStore::Open(dir);
  ASSERT_TRUE(store.ok());
  int seen = 0;
  const absl::Status s = (*store)->Replay([&](const Event&) { ++seen; return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("event 2"));
  EXPECT_EQ(seen, 1);
}

TEST(EventStoreTest, AFullDiskFailsTheAppendAndKeepsWhatWasCommitted) {
  const std::string dir = TempDir("full");
  auto store = EventStore::Open(dir);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Append({{kT0, Tick{}}}).ok());
  // Cap the file at its current size: the next big append cannot fit.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/spillway.db").c_str(), &db), SQLITE_OK);
  sqlite3_close(db);
  spillway::v1::JobSpec spec;
  spec.set_name(std::string(60, 'a'));
  spec.add_args(std::string(4000, 'b'));
  std::vector<Event> big(20000, Event{kT0, JobSubmitted{spec, ""}});
  ASSERT_TRUE((*store)->SetMaxPagesForTest(64).ok());
  const absl::Status s = (*store)->Append(big);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ((*store)->event_count(), 1);
  int n = 0;
  ASSERT_TRUE((*store)->Replay([&](const Event&) { ++n; return absl::OkStatus(); }).ok());
  EXPECT_EQ(n, 1);  // The failed batch left nothing behind.
}

TEST(EventStoreTest, CompactionKeepsTheSnapshotAndOnlyLaterEvents) {
  const std::string dir = TempDir("compact");
  {
    auto store = EventStore::Open(dir);
    ASSERT_TRUE((*store)->Append({{kT0, Tick{}}, {kT0, Tick{}}}).ok());
    spillway::core::v1::CoreSnapshot snapshot;
    snapshot.set_cluster_name("c1");
    snapshot.set_revision(17);
    ASSERT_TRUE((*store)->Compact(snapshot).ok());
    EXPECT_EQ((*store)->event_count(), 0);
    ASSERT_TRUE((*store)->Append({{kT0 + absl::Seconds(1), NodeDown{"vm-1", "x"}}}).ok());
  }
  auto store = EventStore::Open(dir);
  ASSERT_TRUE(store.ok());
  auto snapshot = (*store)->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->revision(), 17);
  std::vector<std::string> names;
  ASSERT_TRUE((*store)
                  ->Replay([&](const Event& e) {
                    names.push_back(EventName(e.body));
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(names, std::vector<std::string>{"NodeDown"});
}

}  // namespace
}  // namespace spillway
