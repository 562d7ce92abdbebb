// The last N duration samples, with nearest-rank quantiles. Deterministic and integer-only
// (quantiles are given in permille), as everything in the core.
#ifndef SPILLWAY_SCHEDULER_FEEDBACK_SAMPLE_WINDOW_H_
#define SPILLWAY_SCHEDULER_FEEDBACK_SAMPLE_WINDOW_H_

#include <algorithm>
#include <deque>
#include <vector>

#include "absl/time/time.h"

namespace spillway {

class SampleWindow {
 public:
  explicit SampleWindow(size_t capacity) : capacity_(capacity) {}

  void Add(absl::Duration sample) {
    samples_.push_back(sample);
    if (samples_.size() > capacity_) samples_.pop_front();
    sorted_.clear();  // Re-sorted on the next Quantile.
  }

  size_t size() const { return samples_.size(); }
  const std::deque<absl::Duration>& samples() const { return samples_; }

  // Nearest-rank quantile, `permille` in [0, 1000] (900 = p90). ZeroDuration when empty.
  // The sorted copy is kept until the next Add: the queue pass asks on every queued job.
  absl::Duration Quantile(int permille) const {
    if (samples_.empty()) return absl::ZeroDuration();
    if (sorted_.empty()) {
      sorted_.assign(samples_.begin(), samples_.end());
      std::sort(sorted_.begin(), sorted_.end());
    }
    const std::vector<absl::Duration>& sorted = sorted_;
    const size_t n = sorted.size();
    size_t rank = (static_cast<size_t>(std::clamp(permille, 0, 1000)) * n + 999) / 1000;
    rank = std::clamp<size_t>(rank, 1, n);
    return sorted[rank - 1];
  }

 private:
  size_t capacity_;
  std::deque<absl::Duration> samples_;
  mutable std::vector<absl::Duration> sorted_;  // Cache; empty = stale.
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_FEEDBACK_SAMPLE_WINDOW_H_
