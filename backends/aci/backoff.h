// Jittered exponential back-off for ARM retries. Retry-After, when ARM sends one, comes first.
//
//   1. With a Retry-After: wait exactly that, plus up to 10% jitter (never less than asked).
//   2. Otherwise: cap = min(max, initial * 2^retry); wait a uniform draw in [cap/2, cap]
//      ("equal jitter": spreads a burst of clients without ever retrying at once).
#ifndef SPILLWAY_BACKENDS_ACI_BACKOFF_H_
#define SPILLWAY_BACKENDS_ACI_BACKOFF_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"

namespace spillway {

struct BackoffPolicy {
  absl::Duration initial = absl::Seconds(1);
  absl::Duration max = absl::Seconds(60);
};

// The wait before retry number `retry` (0 = the first retry).
absl::Duration BackoffDelay(const BackoffPolicy& policy, int retry, absl::Duration retry_after,
                            absl::BitGenRef bitgen);

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_BACKOFF_H_
