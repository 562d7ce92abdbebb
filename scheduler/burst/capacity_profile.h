// Free capacity of one VM node over time, as a step function: what is free now, plus what running
// tasks give back at their expected ends, minus what queued jobs have reserved. Used to predict
// when a queued job could start on the pool (its VM wait) and to keep backfilled jobs from
// delaying jobs ahead of them (conservative backfilling).
#ifndef SPILLWAY_SCHEDULER_BURST_CAPACITY_PROFILE_H_
#define SPILLWAY_SCHEDULER_BURST_CAPACITY_PROFILE_H_

#include <vector>

#include "absl/time/time.h"
#include "scheduler/model/resources.h"

namespace spillway {

class CapacityProfile {
 public:
  CapacityProfile(absl::Time now, Resources free_now);

  // `resources` come back at `at` (clamped to now). InfiniteFuture = never.
  void AddRelease(absl::Time at, Resources resources);

  // Earliest start t >= now at which `request` fits throughout [t, t + duration);
  // InfiniteFuture if never within the known releases, or if not before `before` (a caller
  // looking for the earliest start over many nodes passes the best so far).
  absl::Time EarliestFit(const Resources& request, absl::Duration duration,
                         absl::Time before = absl::InfiniteFuture()) const;

  // True if `request` fits throughout [start, start + duration).
  bool FitsDuring(absl::Time start, absl::Duration duration, const Resources& request) const;

  // Takes `request` away over [start, start + duration).
  void Reserve(absl::Time start, absl::Duration duration, const Resources& request);

  bool has_reservations() const { return reservations_ > 0; }
  // Free now, and when the free capacity first changes after now (InfiniteFuture: never).
  const Resources& free_now() const { return steps_.front().free; }
  absl::Time next_change() const {
    return steps_.size() > 1 ? steps_[1].from : absl::InfiniteFuture();
  }

 private:
  struct Step {
    absl::Time from;  // This step's free capacity holds from `from` to the next step's `from`.
    Resources free;
  };
  // Index of the step in force at `t` (steps_[0].from is now).
  size_t StepAt(absl::Time t) const;
  // Ensures a step boundary at `t`; returns its index.
  size_t SplitAt(absl::Time t);

  absl::Time now_;
  std::vector<Step> steps_;
  int reservations_ = 0;
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_BURST_CAPACITY_PROFILE_H_
