// The one interface every backend implements: the VM pool (agents) and ACI (ARM REST), and
// their simulated stand-ins. Backends receive actions and report back with events.
#ifndef SPILLWAY_BACKENDS_BACKEND_H_
#define SPILLWAY_BACKENDS_BACKEND_H_

#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "scheduler/core/actions.h"
#include "scheduler/core/events.h"

namespace spillway {

class Backend {
 public:
  virtual ~Backend() = default;

  // True if this backend carries out `action` (VM actions go to the pool, ACI ones to ACI).
  virtual bool Handles(const Action& action) const = 0;

  // Carries out `action` without blocking: real backends hand the I/O to their own threads.
  virtual void Execute(const Action& action, absl::Time now) = 0;

  // Events that happened up to `now`, oldest first. Called by the event loop's thread only.
  virtual std::vector<Event> Poll(absl::Time now) = 0;

  // The earliest time at which Poll may have something new; InfiniteFuture when only Execute or
  // an outside report can produce events. The event loop uses it to sleep no longer than needed.
  virtual absl::Time NextEventTime() const = 0;

  // The event loop hands every backend a thread-safe `wakeup` before it starts: a backend whose
  // own threads (an agent stream, an ARM poller) have new events calls it so the loop polls at
  // once instead of at the next tick. Simulated backends need not keep it.
  virtual void SetWakeup(std::function<void()> wakeup) { (void)wakeup; }
};

// Handles(), Execute(), Poll() and NextEventTime() are called on the event loop's thread only.

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_BACKEND_H_
