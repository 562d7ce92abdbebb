// Sliding-window counters for ACI's create/delete limits and the drain budget
// (e.g. "at most 100 creates per 5 minutes and 300 per hour").
#ifndef SPILLWAY_SCHEDULER_BURST_RATE_WINDOW_H_
#define SPILLWAY_SCHEDULER_BURST_RATE_WINDOW_H_

#include <algorithm>
#include <deque>

#include "absl/time/time.h"

namespace spillway {

class RateWindow {
 public:
  explicit RateWindow(absl::Duration longest_window) : longest_(longest_window) {}

  // Kept in time order (a clock that stepped back inserts in place), so counts are two searches.
  void Record(absl::Time t) {
    if (times_.empty() || times_.back() <= t) {
      times_.push_back(t);
    } else {
      times_.insert(std::upper_bound(times_.begin(), times_.end(), t), t);
    }
  }

  // The recorded times (oldest first), for snapshots.
  const std::deque<absl::Time>& times() const { return times_; }
  void Restore(std::deque<absl::Time> times) { times_ = std::move(times); }

  // Events in (now - window, now].
  int CountWithin(absl::Time now, absl::Duration window) {
    Forget(now);
    // Events recorded ahead of `now` are not in the window yet.
    const auto end = std::upper_bound(times_.begin(), times_.end(), now);
    const auto begin = std::upper_bound(times_.begin(), end, now - window);
    return static_cast<int>(end - begin);
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
