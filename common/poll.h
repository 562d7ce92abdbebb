// Waiting on a condition with a deadline, for code that watches something outside the process
// (a child process, a socket, a file) and so cannot be told when it changes. The condition is
// re-checked every `interval` until it holds or `timeout` passes; no caller sleeps blindly.
#ifndef SPILLWAY_COMMON_POLL_H_
#define SPILLWAY_COMMON_POLL_H_

#include <algorithm>
#include <functional>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace spillway {
namespace poll_internal {
inline bool Never(void*) { return false; }
}  // namespace poll_internal

// True as soon as `condition()` holds; false when `timeout` passed first.
inline bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout,
                      absl::Duration interval = absl::Milliseconds(20)) {
  const absl::Time deadline = RealClock::Get()->Now() + timeout;
  absl::Mutex mu;
  absl::MutexLock lock(&mu);
  for (;;) {
    if (condition()) return true;
    const absl::Time now = RealClock::Get()->Now();
    if (now >= deadline) return false;
    // A timed wait on a condition nobody signals: the re-check cadence, bounded by the deadline.
    mu.AwaitWithDeadline(absl::Condition(&poll_internal::Never, static_cast<void*>(nullptr)), std::min(deadline, now + interval));
  }
}

}  // namespace spillway

#endif  // SPILLWAY_COMMON_POLL_H_
