// absl::Time <-> int64 Unix nanoseconds for snapshots, keeping the infinite past and future
// (as INT64_MIN / INT64_MAX) that absl::ToUnixNanos would saturate away.
#ifndef SPILLWAY_SCHEDULER_MODEL_TIME_CODEC_H_
#define SPILLWAY_SCHEDULER_MODEL_TIME_CODEC_H_

#include <cstdint>
#include <limits>

#include "absl/time/time.h"

namespace spillway {

inline int64_t EncodeTime(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixNanos(t);
}

inline absl::Time DecodeTime(int64_t nanos) {
  if (nanos == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  if (nanos == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  return absl::FromUnixNanos(nanos);
}

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_MODEL_TIME_CODEC_H_
