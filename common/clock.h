// Time is injected: code that needs "now" takes a Clock (or, in the core, receives time inside
// events). RealClock is the only place in Spillway that reads the wall clock; tests and the
// simulator use SimulatedClock and move time explicitly, so nothing ever sleeps to synchronise.
#ifndef SPILLWAY_COMMON_CLOCK_H_
#define SPILLWAY_COMMON_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace spillway {

// A source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() const = 0;
};

// The wall clock (absl::Now()). Stateless; use the shared instance.
class RealClock final : public Clock {
 public:
  // The process-wide instance; never destroyed.
  static Clock* Get();

  absl::Time Now() const override;

 private:
  RealClock() = default;
};

// A clock that moves only when told to. Thread-safe: one thread may advance it while others read.
class SimulatedClock final : public Clock {
 public:
  // 2026-01-01T00:00:00Z: a fixed, recognisable start for tests and simulations.
  static constexpr absl::Time kDefaultStart = absl::FromUnixSeconds(1767225600);

  explicit SimulatedClock(absl::Time start = kDefaultStart);

  SimulatedClock(const SimulatedClock&) = delete;
  SimulatedClock& operator=(const SimulatedClock&) = delete;

  absl::Time Now() const override;

  // Moves the clock by `delta` (a negative delta moves it back) and returns the new time.
  absl::Time Advance(absl::Duration delta);

  // Sets the clock to `time`, which may be earlier than the current time (e.g. to test skew).
  void SetTime(absl::Time time);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spillway

#endif  // SPILLWAY_COMMON_CLOCK_H_
