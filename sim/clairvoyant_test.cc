#include "sim/clairvoyant.h"

#include "gtest/gtest.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

TraceJob Job(absl::Duration submit, absl::Duration duration, absl::Duration budget) {
  TraceJob j;
  j.submit = submit;
  j.duration = duration;
  j.cpu_millis = 1000;
  j.memory_mib = 1024;
  j.max_wait = budget;
  return j;
}

ReferenceInput OneNode() {
  ReferenceInput in;
  in.nodes = 1;
  in.node_capacity = {1000, 4096};
  in.vm_start_delay = absl::Seconds(1);
  return in;
}

TEST(ClairvoyantTest, BurstsOnlyWhatCannotStartWithinItsBudget) {
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(100), absl::Seconds(10)),
                   Job(absl::Seconds(1), absl::Seconds(100), absl::Seconds(10))};
  const ClairvoyantSchedule s = GreedyClairvoyant(t, DefaultPolicy(), OneNode(), absl::Seconds(20));
  EXPECT_EQ(s.bursts, 1);
  EXPECT_EQ(s.aci_spend_micro_usd,
            AciCostMicroUsd(Resources{1000, 1024}, absl::Seconds(120), PricesOf(DefaultPolicy())));
}

TEST(ClairvoyantTest, WaitsWhenTheBudgetAllowsAndReusesFreedCapacity) {
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(100), absl::Seconds(10)),
                   Job(absl::Seconds(1), absl::Seconds(50), absl::Seconds(200)),
                   Job(absl::Seconds(500), absl::Seconds(50), absl::Seconds(10))};
  const ClairvoyantSchedule s = GreedyClairvoyant(t, DefaultPolicy(), OneNode(), absl::Seconds(20));
  EXPECT_EQ(s.bursts, 0);
  EXPECT_EQ(s.aci_spend_micro_usd, 0);
}

}  // namespace
}  // namespace sim
}  // namespace spillway
