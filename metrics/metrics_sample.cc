// Prints the metrics exposition after a small scenario through the real core (burst, run,
// finish), for `promtool check metrics` and for checking that dashboards and rules only name
// series that exist.
#include <iostream>

#include "metrics/spillway_metrics.h"
#include "scheduler/core/core_test_harness.h"

int main() {
  using namespace spillway;
  CoreHarness h;
  SpillwayMetrics metrics;
  h.AddNode("vm-1", 1000, 2048);
  auto filler = MakeSpec("filler", 1000, 1024);
  SetDurations(filler, absl::Minutes(5), absl::Minutes(1));
  const std::string f = h.Submit(filler);
  h.Run(f, 1);
  auto worker = MakeSpec("worker", 1000, 1024);
  SetDurations(worker, absl::Minutes(5), absl::Seconds(10));
  const std::string w = h.Submit(worker);
  h.Advance(absl::Seconds(20));
  h.Run(w, 1);
  h.Do(TaskExited{w, 1, 0, ""});
  metrics.OnBatch(h.core(), h.now(), BatchStats{1, 3, absl::Milliseconds(2)});
  metrics.RecordGrpc("spillway.v1.JobService/SubmitJob", "OK", 0.001);
  metrics.RecordArmRequest("create", 201);
  metrics.RecordArmRequest("create", 429);
  metrics.SetAgents(1, 0.5);
  std::cout << metrics.SerializeText();
  return 0;
}
