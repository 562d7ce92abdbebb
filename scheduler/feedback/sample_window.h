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
    sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), sample), sample);
    if (samples_.size() > capacity_) {
      sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), samples_.front()));
      samples_.pop_front();
    }
  }

  size_t size() const { return samples_.size(); }
  const std::deque<absl::Duration>& samples() const { return samples_; }

  // Nearest-rank quantile, `permille` in [0, 1000] (900 = p90). ZeroDuration when empty.
  absl::Duration Quantile(int permille) const {
    if (samples_.empty()) return absl::ZeroDuration();
    const std::vector<absl::Duration>& sorted = sorted_;
    const size_t n = sorted.size();
    size_t rank = (static_cast<size_t>(std::clamp(permille, 0, 1000)) * n + 999) / 1000;
    rank = std::clamp<size_t>(rank, 1, n);
    return sorted[rank - 1];
  }

 private:
  size_t capacity_;
  std::deque<absl::Duration> samples_;
  std::vector<absl::Duration> sorted_;  // The same samples, in order (kept on every Add).
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_FEEDBACK_SAMPLE_WINDOW_H_
