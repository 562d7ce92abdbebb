#include "sim/clairvoyant.h"

#include "sim/clairvoyant_scheduler.h"

namespace spillway {
namespace sim {

ClairvoyantSchedule ScheduleClairvoyant(const Trace& trace, const spillway::v1::Policy& policy,
                                        const ReferenceInput& input,
                                        const ClairvoyantOptions& options) {
  ClairvoyantScheduler scheduler(trace, policy, input, options);
  scheduler.Greedy(scheduler.GreedyOrder());
  int64_t moves = 0;
  int rounds = 0;
  if (options.improve) moves = scheduler.Improve(options.max_rounds, &rounds);
  ClairvoyantSchedule out = scheduler.Summary();
  out.moves = moves;
  out.rounds = rounds;
  return out;
}

}  // namespace sim
}  // namespace spillway
