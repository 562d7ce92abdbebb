#include "backends/aci/backoff.h"

#include <algorithm>
#include <cstdint>

#include "absl/random/distributions.h"

namespace spillway {

absl::Duration BackoffDelay(const BackoffPolicy& policy, int retry, absl::Duration retry_after,
                            absl::BitGenRef bitgen) {
  if (retry_after > absl::ZeroDuration()) {
    const int64_t jitter_ms = absl::ToInt64Milliseconds(retry_after) / 10;
    return retry_after +
           absl::Milliseconds(jitter_ms > 0 ? absl::Uniform<int64_t>(
                                                  absl::IntervalClosedClosed, bitgen, 0, jitter_ms)
                                            : 0);
  }
  absl::Duration cap = policy.initial;
  for (int i = 0; i < retry && cap < policy.max; ++i) cap *= 2;
  cap = std::min(cap, policy.max);
  const int64_t cap_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(cap));
  return absl::Milliseconds(
      absl::Uniform<int64_t>(absl::IntervalClosedClosed, bitgen, cap_ms / 2, cap_ms));
}

}  // namespace spillway
