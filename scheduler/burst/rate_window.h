// Sliding-window counters for ACI's create/delete limits and the drain budget
// (e.g. "at most 100 creates per 5 minutes and 300 per hour").
#ifndef SPILLWAY_SCHEDULER_BURST_RATE_WINDOW_H_
#define SPILLWAY_SCHEDULER_BURST_RATE_WINDOW_H_

#include <deque>

#include "absl/time/time.h"

namespace spillway {

class RateWindow {
 public:
  explicit RateWindow(absl::Duration longest_window) : longest_(longest_window) {}

  void Record(absl::Time t) { times_.push_back(t); }

  // The recorded times (oldest first), for snapshots.
  const std::deque<absl::Time>& times() const { return times_; }
  void Restore(std::deque<absl::Time> times) { times_ = std::move(times); }

  // Events in (now - window, now].
  int CountWithin(absl::Time now, absl::Duration window) {
    Forget(now);
    int n = 0;
    for (auto it = times_.rbegin(); it != times_.rend() && *it > now - window; ++it) {
      if (*it <= now) ++n;  // Events recorded ahead of `now` are not in the window yet.
    }
    return n;
  }

 private:
  void Forget(absl::Time now) {
    while (!times_.empty() && times_.front() <= now - longest_) times_.pop_front();
  }

  absl::Duration longest_;
  std::deque<absl::Time> times_;
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_BURST_RATE_WINDOW_H_
