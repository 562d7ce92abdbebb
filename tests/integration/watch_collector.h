// Reads a WatchJobs stream on its own thread and keeps every event, so a test can wait (with a
// deadline, never a sleep) until the stream has caught up with a revision.
#ifndef SPILLWAY_TESTS_INTEGRATION_WATCH_COLLECTOR_H_
#define SPILLWAY_TESTS_INTEGRATION_WATCH_COLLECTOR_H_

#include <grpcpp/grpcpp.h>

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"

namespace spillway {

class WatchCollector {
 public:
  WatchCollector(spillway::v1::JobService::Stub& stub, int64_t from_revision) {
    spillway::v1::WatchJobsRequest req;
    req.set_from_revision(from_revision);
    reader_ = stub.WatchJobs(&ctx_, req);
    thread_ = std::thread([this] {
      spillway::v1::JobEvent ev;
      while (reader_->Read(&ev)) {
        absl::MutexLock lock(&mu_);
        events_.push_back(ev);
      }
      grpc::Status s = reader_->Finish();
      absl::MutexLock lock(&mu_);
      finished_ = true;
      status_ = s;
    });
  }

  ~WatchCollector() {
    ctx_.TryCancel();
    thread_.join();
  }

  // True once an event with revision >= `revision` arrived, false at the deadline.
  bool WaitForRevision(int64_t revision, absl::Duration timeout = absl::Seconds(30)) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return finished_ || (!events_.empty() && events_.back().revision() >= revision);
    };
    mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
    return !events_.empty() && events_.back().revision() >= revision;
  }

  std::vector<spillway::v1::JobEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<spillway::v1::JobEvent>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<spillway::v1::JobEvent> events_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spillway

#endif  // SPILLWAY_TESTS_INTEGRATION_WATCH_COLLECTOR_H_
