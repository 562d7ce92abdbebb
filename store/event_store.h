// The embedded store: SQLite in WAL mode under --data_dir, holding the core's event log. State is
// the core replayed from the log (the core is deterministic), so everything the core knows — jobs
// with their specs, states, placements, attempts and history, policy versions and their audit
// records, ACI groups in flight, node membership, the revision counter WatchJobs resumes from,
// idempotency keys — is durable exactly when the events that made it are.
//
//   - Append() writes one batch in one transaction (group commit); synchronous=FULL, so a
//     returned OK survives a crash or power loss.
//   - The file is opened in exclusive locking mode: a second spillwayd on the same data_dir is
//     refused.
//   - The schema is versioned (meta.schema_version); older stores are migrated in a transaction,
//     newer ones are refused with a clear error; unreadable or corrupt files are refused too.
#ifndef SPILLWAY_STORE_EVENT_STORE_H_
#define SPILLWAY_STORE_EVENT_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "scheduler/core/events.h"
#include "scheduler/core/core_snapshot.pb.h"
#include "store/wal.pb.h"

struct sqlite3;
struct sqlite3_stmt;

namespace spillway {

class EventStore {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens or creates `data_dir`/spillway.db.
  static absl::StatusOr<std::unique_ptr<EventStore>> Open(const std::string& data_dir);
  ~EventStore();

  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // The core configuration the log starts from; NOT_FOUND for a new store.
  absl::StatusOr<spillway::store::v1::CoreConfigRec> LoadCoreConfig();
  absl::Status SaveCoreConfig(const spillway::store::v1::CoreConfigRec& config);

  // Calls `fn` for every stored event, oldest first; stops at the first error (DATA_LOSS for an
  // unreadable record, naming its sequence number).
  absl::Status Replay(const std::function<absl::Status(const Event&)>& fn);

  // Appends `events` in one transaction.
  absl::Status Append(const std::vector<Event>& events);

  // Compaction: stores `snapshot` (the core's state after every event stored so far) and drops
  // those events, in one transaction.
  absl::Status Compact(const spillway::core::v1::CoreSnapshot& snapshot);
  // The latest snapshot, or NOT_FOUND; Replay() then yields only the events after it.
  absl::StatusOr<spillway::core::v1::CoreSnapshot> LoadSnapshot();

  int64_t event_count() const { return event_count_; }
  // Tests: caps the database size (PRAGMA max_page_count) to simulate a full disk.
  absl::Status SetMaxPagesForTest(int pages);
  const std::string& path() const { return path_; }

 private:
  EventStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Exec(const char* sql);
  absl::Status Error(const std::string& what) const;
  absl::Status Migrate();

  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* insert_ = nullptr;
  int64_t event_count_ = 0;
  int64_t next_seq_ = 1;
};

}  // namespace spillway

#endif  // SPILLWAY_STORE_EVENT_STORE_H_
