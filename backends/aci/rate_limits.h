// Client-side budgets, so Spillway stays under ARM's and ACI's limits instead of discovering them
// through 429s. Time is passed in (the backend reads its injected Clock); not thread-safe (the
// backend guards them with its mutex).
#ifndef SPILLWAY_BACKENDS_ACI_RATE_LIMITS_H_
#define SPILLWAY_BACKENDS_ACI_RATE_LIMITS_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "absl/time/time.h"

namespace spillway {

// ARM's model: `capacity` tokens refilling at `per_second`; one request takes one token.
class TokenBucket {
 public:
  TokenBucket(double capacity, double per_second, absl::Time now);

  // How long until a token is available at `now` (zero = now).
  absl::Duration WaitFor(absl::Time now);
  // Takes a token if one is available at `now`.
  bool TryTake(absl::Time now);
  // Whole tokens left at `now` (ARM's x-ms-ratelimit-remaining-* headers).
  int64_t Remaining(absl::Time now);

 private:
  void Refill(absl::Time now);

  const double capacity_;
  const double per_second_;
  double tokens_;
  absl::Time last_;
};

// At most `max_events` in any sliding `window` (ACI's "100 creates per 5 minutes"): exact, unlike
// a token bucket, which allows up to twice its capacity within one window.
class SlidingWindowLimit {
 public:
  SlidingWindowLimit(int max_events, absl::Duration window);

  absl::Duration WaitFor(absl::Time now);
  bool TryTake(absl::Time now);

 private:
  void Expire(absl::Time now);

  const int max_events_;
  const absl::Duration window_;
  std::deque<absl::Time> events_;
};

// Several sliding windows that must all admit an event (5 minutes and 1 hour).
class MultiWindowLimit {
 public:
  void Add(int max_events, absl::Duration window);
  absl::Duration WaitFor(absl::Time now);
  bool TryTake(absl::Time now);  // Takes from all, or from none.

 private:
  std::vector<SlidingWindowLimit> limits_;
};

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_RATE_LIMITS_H_
