#include "sim/reference.h"

#include "gtest/gtest.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

TraceJob Job(absl::Duration submit, absl::Duration duration, int64_t cpu, int64_t mem,
             absl::Duration budget) {
  TraceJob j;
  j.submit = submit;
  j.duration = duration;
  j.cpu_millis = cpu;
  j.memory_mib = mem;
  j.max_wait = budget;
  return j;
}

ReferenceInput OneNode() {
  ReferenceInput in;
  in.nodes = 1;
  in.node_capacity = {1000, 100000};
  in.vm_start_delay = absl::Seconds(1);
  in.aci_min_start_latency = absl::Seconds(20);
  return in;
}

TEST(ReferenceTest, ExcessOfCompulsoryPartsIsPricedPerSecond) {
  // Two 1-vCPU jobs of 100 s, budget 10 s, on one 1-vCPU node: both compulsory parts are
  // [9 s, 101 s), so 1 vCPU must be on ACI for 92 s (memory has room).
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(100), 1000, 1024, absl::Seconds(10)),
                   Job(absl::ZeroDuration(), absl::Seconds(100), 1000, 1024, absl::Seconds(10))};
  const Reference r = AciSpendLowerBound(t, DefaultPolicy(), OneNode());
  EXPECT_EQ(r.jobs_with_compulsory_part, 2);
  EXPECT_EQ(r.aci_spend_lower_bound_micro_usd, 40500 * 92 / 3600);  // 1035
}

TEST(ReferenceTest, NoExcessNoSpendAndLongBudgetsHaveNoCompulsoryPart) {
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(100), 1000, 1024, absl::Seconds(10)),
                   Job(absl::Seconds(200), absl::Seconds(100), 1000, 1024, absl::Seconds(10)),
                   Job(absl::ZeroDuration(), absl::Seconds(30), 1000, 1024, absl::Minutes(5))};
  const Reference r = AciSpendLowerBound(t, DefaultPolicy(), OneNode());
  EXPECT_EQ(r.jobs_with_compulsory_part, 2);
  EXPECT_EQ(r.aci_spend_lower_bound_micro_usd, 0);
}

TEST(ReferenceTest, JobsNoNodeHoldsPayTheirWholeRunAndStartLatency) {
  const Trace t = {Job(absl::ZeroDuration(), absl::Seconds(340), 2000, 1024, absl::Seconds(60))};
  const Reference r = AciSpendLowerBound(t, DefaultPolicy(), OneNode());
  EXPECT_EQ(r.must_burst_jobs, 1);
  EXPECT_EQ(r.aci_spend_lower_bound_micro_usd,
            AciCostMicroUsd(Resources{2000, 1024}, absl::Seconds(360), PricesOf(DefaultPolicy())));
}

}  // namespace
}  // namespace sim
}  // namespace spillway
