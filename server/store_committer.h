// Group commit: the event loop's batches go to the store, one transaction each.
#ifndef SPILLWAY_SERVER_STORE_COMMITTER_H_
#define SPILLWAY_SERVER_STORE_COMMITTER_H_

#include "server/event_loop.h"
#include "store/event_store.h"

namespace spillway {

class StoreCommitter final : public BatchCommitter {
 public:
  explicit StoreCommitter(EventStore* store) : store_(store) {}
  absl::Status Commit(const std::vector<Event>& applied, const Core&) override {
    return store_->Append(applied);
  }

 private:
  EventStore* store_;
};

}  // namespace spillway

#endif  // SPILLWAY_SERVER_STORE_COMMITTER_H_
