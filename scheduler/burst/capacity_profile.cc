#include "scheduler/burst/capacity_profile.h"

#include <algorithm>

namespace spillway {

CapacityProfile::CapacityProfile(absl::Time now, Resources free_now) : now_(now) {
  steps_.push_back({now, free_now});
}

size_t CapacityProfile::StepAt(absl::Time t) const {
  // Last step with from <= t.
  auto it = std::upper_bound(steps_.begin(), steps_.end(), t,
                             [](absl::Time v, const Step& s) { return v < s.from; });
  return it == steps_.begin() ? 0 : static_cast<size_t>(it - steps_.begin()) - 1;
}

size_t CapacityProfile::SplitAt(absl::Time t) {
  const size_t i = StepAt(t);
  if (steps_[i].from == t) return i;
  steps_.insert(steps_.begin() + i + 1, Step{t, steps_[i].free});
  return i + 1;
}

void CapacityProfile::AddRelease(absl::Time at, Resources resources) {
  if (at == absl::InfiniteFuture()) return;
  at = std::max(at, now_);
  // Releases come in time order (ProfileOf): each extends or adds the last step.
  if (at > steps_.back().from) {
    steps_.push_back({at, steps_.back().free + resources});
    return;
  }
  for (size_t i = SplitAt(at); i < steps_.size(); ++i) steps_[i].free += resources;
}

bool CapacityProfile::FitsDuring(absl::Time start, absl::Duration duration,
                                 const Resources& request) const {
  const absl::Time end = start + duration;
  for (size_t i = StepAt(start); i < steps_.size() && steps_[i].from < end; ++i) {
    if (!steps_[i].free.Fits(request)) return false;
  }
  return true;
}

absl::Time CapacityProfile::EarliestFit(const Resources& request, absl::Duration duration,
                                        absl::Time before) const {
  // Candidate starts are step boundaries: capacity only ever changes there.
  for (const Step& s : steps_) {
    if (s.from >= before) break;
    if (s.free.Fits(request) && FitsDuring(s.from, duration, request)) return s.from;
  }
  return absl::InfiniteFuture();
}

void CapacityProfile::Reserve(absl::Time start, absl::Duration duration,
                              const Resources& request) {
  start = std::max(start, now_);
  const absl::Time end = start + duration;
  const size_t first = SplitAt(start);
  const size_t last = end == absl::InfiniteFuture() ? steps_.size() : SplitAt(end);
  for (size_t i = first; i < last; ++i) steps_[i].free -= request;
  ++reservations_;
}

}  // namespace spillway
