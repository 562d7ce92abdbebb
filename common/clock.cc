#include "common/clock.h"

namespace spillway {

// --- RealClock: the one call to absl::Now() in the project. ---

Clock* RealClock::Get() {
  static RealClock* const clock = new RealClock();
  return clock;
}

absl::Time RealClock::Now() const { return absl::Now(); }

// --- SimulatedClock ---

SimulatedClock::SimulatedClock(absl::Time start) : now_(start) {}

absl::Time SimulatedClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

absl::Time SimulatedClock::Advance(absl::Duration delta) {
  absl::MutexLock lock(&mu_);
  now_ += delta;
  return now_;
}

void SimulatedClock::SetTime(absl::Time time) {
  absl::MutexLock lock(&mu_);
  now_ = time;
}

}  // namespace spillway
