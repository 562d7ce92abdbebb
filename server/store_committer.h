// Group commit: the event loop's batches go to the store, one transaction each.
#ifndef SPILLWAY_SERVER_STORE_COMMITTER_H_
#define SPILLWAY_SERVER_STORE_COMMITTER_H_

#include "server/event_loop.h"
#include "store/event_store.h"

namespace spillway {

struct CompactionOptions {
  // Compact once the log holds this many events (0 = never).
  int64_t every_events = 100000;
  // Finished jobs not updated for this long are dropped from the snapshot, with their
  // idempotency keys (history retention).
  absl::Duration retention = absl::Hours(24);
};

class StoreCommitter final : public BatchCommitter {
 public:
  StoreCommitter(EventStore* store, CompactionOptions options) : store_(store), options_(options) {}

  absl::Status Commit(const std::vector<Event>& applied, Core& core) override {
    if (absl::Status s = store_->Append(applied); !s.ok()) return s;
    if (options_.every_events > 0 && store_->event_count() >= options_.every_events &&
        !applied.empty()) {
      // The core's state is exactly "after every stored event" here: snapshot it. Then the live
      // core forgets what the snapshot left out (its memory stays bounded by the retention, and
      // it holds what a restart from the store would).
      const absl::Time before = applied.back().time - options_.retention;
      if (absl::Status s = store_->Compact(core.Snapshot(before)); !s.ok()) return s;
      core.ForgetFinished(before);
    }
    return absl::OkStatus();
  }

 private:
  EventStore* store_;
  CompactionOptions options_;
};

}  // namespace spillway

#endif  // SPILLWAY_SERVER_STORE_COMMITTER_H_
