#include "store/event_store.h"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "store/event_codec.h"

namespace spillway {
namespace {

constexpr char kFileName[] = "spillway.db";

// Migrations: kMigrations[v] brings schema v to v + 1.
const char* const kMigrations[] = {
    // 0 -> 1: the event log and its metadata.
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE events(seq INTEGER PRIMARY KEY, body BLOB NOT NULL);",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == EventStore::kSchemaVersion);

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status EventStore::Error(const std::string& what) const {
  const int rc = sqlite3_extended_errcode(db_);
  std::string hint;
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    hint = " (is another spillwayd using this data_dir?)";
  } else if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
    hint = " (the store is corrupt or not a Spillway store; refusing to start)";
  } else if ((rc & 0xff) == SQLITE_FULL) {
    hint = " (disk full)";
  }
  return absl::Status(CodeFor(rc), absl::StrCat("store ", path_, ": ", what, ": ",
                                                sqlite3_errmsg(db_), hint));
}

absl::Status EventStore::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);
    return Error(sql);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("store: cannot create data_dir ", data_dir, ": ", ec.message()));
  }
  const std::string path = (std::filesystem::path(data_dir) / kFileName).string();
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<EventStore> store(new EventStore(db, path));
  if (rc != SQLITE_OK) return store->Error("open");
  sqlite3_busy_timeout(db, 0);
  for (const char* pragma : {"PRAGMA locking_mode=EXCLUSIVE", "PRAGMA journal_mode=WAL",
                             "PRAGMA synchronous=FULL"}) {
    if (absl::Status s = store->Exec(pragma); !s.ok()) return s;
  }
  if (absl::Status s = store->Exec("BEGIN IMMEDIATE"); !s.ok()) return s;  // Takes the lock.
  if (absl::Status s = store->Migrate(); !s.ok()) {
    store->Exec("ROLLBACK").IgnoreError();
    return s;
  }
  if (absl::Status s = store->Exec("COMMIT"); !s.ok()) return s;
  sqlite3_stmt* count = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM events", -1, &count,
                         nullptr) != SQLITE_OK ||
      sqlite3_step(count) != SQLITE_ROW) {
    sqlite3_finalize(count);
    return store->Error("count events");
  }
  store->event_count_ = sqlite3_column_int64(count, 0);
  store->next_seq_ = sqlite3_column_int64(count, 1) + 1;
  sqlite3_finalize(count);
  if (sqlite3_prepare_v2(db, "INSERT INTO events(seq, body) VALUES(?, ?)", -1, &store->insert_,
                         nullptr) != SQLITE_OK) {
    return store->Error("prepare insert");
  }
  return store;
}

absl::Status EventStore::Migrate() {
  int version = 0;
  sqlite3_stmt* stmt = nullptr;
  const bool has_meta =
      sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &stmt,
                         nullptr) == SQLITE_OK;
  if (!has_meta) {
    // No meta table: a new file, unless it already holds something else.
    sqlite3_finalize(stmt);
    sqlite3_stmt* tables = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM sqlite_master", -1, &tables, nullptr) !=
            SQLITE_OK ||
        sqlite3_step(tables) != SQLITE_ROW) {
      sqlite3_finalize(tables);
      return Error("read schema");
    }
    const int64_t n = sqlite3_column_int64(tables, 0);
    sqlite3_finalize(tables);
    if (n != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store ", path_, ": the file holds tables but no Spillway schema; refusing to use it"));
    }
  } else {
    if (sqlite3_step(stmt) == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
  }
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store ", path_, " was written by a newer Spillway (schema ", version,
        " > supported ", kSchemaVersion, "); refusing to start rather than lose data"));
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    if (absl::Status s = Exec(kMigrations[v]); !s.ok()) return s;
  }
  if (version != kSchemaVersion) {
    const std::string sql =
        absl::StrCat("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ",
                     kSchemaVersion, ")");
    if (absl::Status s = Exec(sql.c_str()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status EventStore::Compact(const spillway::core::v1::CoreSnapshot& snapshot) {
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  sqlite3_stmt* put = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES('snapshot', ?)", -1,
                         &put, nullptr) != SQLITE_OK) {
    absl::Status s = Error("prepare snapshot");
    Exec("ROLLBACK").IgnoreError();
    return s;
  }
  const std::string bytes = snapshot.SerializeAsString();
  sqlite3_bind_blob(put, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(put);
  sqlite3_finalize(put);
  if (rc != SQLITE_DONE) {
    absl::Status s = Error("write snapshot");
    Exec("ROLLBACK").IgnoreError();
    return s;
  }
  if (absl::Status s = Exec("DELETE FROM events"); !s.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return s;
  }
  if (absl::Status s = Exec("COMMIT"); !s.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return s;
  }
  event_count_ = 0;  // Sequence numbers keep growing (next_seq_ unchanged).
  return absl::OkStatus();
}

absl::StatusOr<spillway::core::v1::CoreSnapshot> EventStore::LoadSnapshot() {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = 'snapshot'", -1, &stmt,
                         nullptr) != SQLITE_OK) {
    return Error("read snapshot");
  }
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) {
    sqlite3_finalize(stmt);
    return absl::NotFoundError("store: no snapshot");
  }
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(stmt);
    return Error("read snapshot");
  }
  spillway::core::v1::CoreSnapshot snapshot;
  const bool ok =
      snapshot.ParseFromArray(sqlite3_column_blob(stmt, 0), sqlite3_column_bytes(stmt, 0));
  sqlite3_finalize(stmt);
  if (!ok) {
    return absl::DataLossError(absl::StrCat("store ", path_, ": the snapshot is unreadable"));
  }
  return snapshot;
}

absl::Status EventStore::SetMaxPagesForTest(int pages) {
  const std::string sql = absl::StrCat("PRAGMA max_page_count=", pages);
  return Exec(sql.c_str());
}

EventStore::~EventStore() {
  sqlite3_finalize(insert_);
  sqlite3_close(db_);
}

absl::StatusOr<spillway::store::v1::CoreConfigRec> EventStore::LoadCoreConfig() {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = 'core_config'", -1, &stmt,
                         nullptr) != SQLITE_OK) {
    return Error("read core_config");
  }
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) {
    sqlite3_finalize(stmt);
    return absl::NotFoundError("store: no core configuration yet (a new store)");
  }
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(stmt);
    return Error("read core_config");
  }
  spillway::store::v1::CoreConfigRec config;
  const bool ok = config.ParseFromArray(sqlite3_column_blob(stmt, 0), sqlite3_column_bytes(stmt, 0));
  sqlite3_finalize(stmt);
  if (!ok) return absl::DataLossError(absl::StrCat("store ", path_, ": unreadable core_config"));
  return config;
}

absl::Status EventStore::SaveCoreConfig(const spillway::store::v1::CoreConfigRec& config) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES('core_config', ?)",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return Error("prepare core_config");
  }
  const std::string bytes = config.SerializeAsString();
  sqlite3_bind_blob(stmt, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  return rc == SQLITE_DONE ? absl::OkStatus() : Error("write core_config");
}

absl::Status EventStore::Replay(const std::function<absl::Status(const Event&)>& fn) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT seq, body FROM events ORDER BY seq", -1, &stmt, nullptr) !=
      SQLITE_OK) {
    return Error("read events");
  }
  spillway::store::v1::WalEvent record;
  absl::Status status;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const int64_t seq = sqlite3_column_int64(stmt, 0);
    if (!record.ParseFromArray(sqlite3_column_blob(stmt, 1), sqlite3_column_bytes(stmt, 1))) {
      status = absl::DataLossError(
          absl::StrCat("store ", path_, ": event ", seq, " is unreadable; refusing to start"));
      break;
    }
    absl::StatusOr<Event> event = DecodeEvent(record);
    if (!event.ok()) {
      status = absl::DataLossError(
          absl::StrCat("store ", path_, ": event ", seq, ": ", event.status().message()));
      break;
    }
    status = fn(*event);
    if (!status.ok()) break;
  }
  if (status.ok() && rc != SQLITE_DONE) status = Error("read events");
  sqlite3_finalize(stmt);
  return status;
}

absl::Status EventStore::Append(const std::vector<Event>& events) {
  if (events.empty()) return absl::OkStatus();
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  std::string bytes;
  int64_t seq = next_seq_;
  for (const Event& event : events) {
    bytes.clear();
    EncodeEvent(event).SerializeToString(&bytes);
    sqlite3_reset(insert_);
    sqlite3_bind_int64(insert_, 1, seq);
    sqlite3_bind_blob(insert_, 2, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    if (sqlite3_step(insert_) != SQLITE_DONE) {
      absl::Status s = Error("append event");
      Exec("ROLLBACK").IgnoreError();
      return s;
    }
    ++seq;
  }
  if (absl::Status s = Exec("COMMIT"); !s.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return s;
  }
  event_count_ += static_cast<int64_t>(events.size());
  next_seq_ = seq;
  return absl::OkStatus();
}

}  // namespace spillway
