#include "metrics/spillway_metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/grpc_metrics_interceptor.h"
#include "scheduler/core/core_test_harness.h"

namespace spillway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A burst and a drain-back through the real core, observed batch by batch.
class MetricsScenario {
 public:
  MetricsScenario() : h_(Policy()) {}

  static spillway::v1::Policy Policy() {
    spillway::v1::Policy p = DefaultPolicy();
    *p.mutable_drain_stable_window() = ToProtoDuration(absl::Seconds(30));
    *p.mutable_burst_cooldown() = ToProtoDuration(absl::Seconds(10));
    return p;
  }

  void Observe() { metrics_.OnBatch(h_.core(), h_.now(), BatchStats{1, 1, absl::Milliseconds(1)}); }

  void Run() {
    h_.AddNode("vm-1", 1000, 2048);
    auto filler = MakeSpec("filler", 1000, 1024);
    SetDurations(filler, absl::Minutes(5), absl::Minutes(1));
    filler_ = h_.Submit(filler);
    h_.Run(filler_, 1);
    auto worker = MakeSpec("worker", 1000, 1024);
    worker.set_migratable(true);
    SetDurations(worker, absl::Hours(1), absl::Seconds(30));
    worker_ = h_.Submit(worker);  // Bursts: VM wait 5 min > 30 s.
    Observe();
    h_.Advance(absl::Seconds(20));
    h_.Run(worker_, 1);  // ACI took 20 s.
    Observe();
    h_.Advance(absl::Minutes(5));
    h_.Do(TaskExited{filler_, 1, 0, ""});
    h_.Advance(absl::Seconds(1));   // The next tick sees the room (drain-back looks once a second).
    h_.Advance(absl::Seconds(30));  // Room stable: drain-back starts.
    h_.Run(worker_, 2);
    Observe();
  }

  CoreHarness& harness() { return h_; }
  SpillwayMetrics& metrics() { return metrics_; }

 private:
  CoreHarness h_;
  SpillwayMetrics metrics_;
  std::string filler_, worker_;
};

TEST(SpillwayMetricsTest, CountsTheScenario) {
  MetricsScenario s;
  s.Run();
  const std::string text = s.metrics().SerializeText();
  EXPECT_THAT(text, HasSubstr("spillway_jobs_submitted_total 2\n"));
  EXPECT_THAT(text, HasSubstr("spillway_jobs_finished_total{outcome=\"succeeded\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_placements_total{backend=\"vm\"} 1\n"));  // The move
                                                                                    // is a drain.
  EXPECT_THAT(text, HasSubstr("spillway_placements_total{backend=\"aci\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_burst_decisions_total{reason=\"wait_budget\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_drain_decisions_total{reason=\"drain_back\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_aci_provisioning_seconds_sum 20\n"));
  EXPECT_THAT(text, HasSubstr("spillway_aci_provisioning_seconds_count 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_vm_nodes{state=\"ready\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_vm_pool_cpu_cores{kind=\"allocated\"} 1\n"));
  // The ACI group was asked to be deleted once the VM copy ran.
  EXPECT_THAT(text, HasSubstr("spillway_aci_groups{state=\"deleting\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_belief{belief=\"aci_start_samples\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_event_loop_batch_size_count 3\n"));
  // Spend so far: 1 vCPU + 1 GiB for 5m51s = 351 s at 44950 micro-USD/h = 4383 micro-USD.
  const size_t at = text.find("\nspillway_aci_spend_dollars_total ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NEAR(std::stod(text.substr(at + 34)), 0.004383, 1e-12);
  // Never a job id as a label.
  EXPECT_THAT(text, Not(HasSubstr("job-0000")));
}

// Fills the one-node pool of the tests below for 2 minutes; its budget is 30 s.
spillway::v1::JobSpec TwoMinuteVmOnlyJob() {
  auto spec = MakeSpec("vm", 1000, 1024);
  spec.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  SetDurations(spec, absl::Minutes(2), absl::Seconds(30));
  return spec;
}

TEST(SpillwayMetricsTest, CountsWaitBudgetViolations) {
  CoreHarness h;
  SpillwayMetrics m;
  h.AddNode("vm-1", 1000, 2048);
  const spillway::v1::JobSpec spec = TwoMinuteVmOnlyJob();
  const std::string first = h.Submit(spec);
  const std::string second = h.Submit(spec);  // Waits 2 min with a 30 s budget.
  h.Run(first, 1);
  h.Advance(absl::Minutes(2));
  h.Do(TaskExited{first, 1, 0, ""});
  ASSERT_EQ(h.StateOf(second), spillway::v1::JOB_STATE_PLACED);
  m.OnBatch(h.core(), h.now(), BatchStats{});
  const std::string text = m.SerializeText();
  EXPECT_THAT(text, HasSubstr("spillway_wait_budget_violations_total{backend=\"vm\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_policy_spend_budget_dollars_per_hour 5\n"));
}

TEST(SpillwayMetricsTest, StateGaugesRefreshOncePerInterval) {
  CoreHarness h;
  SpillwayMetrics m;
  h.AddNode("vm-1", 1000, 2048);
  const spillway::v1::JobSpec spec = TwoMinuteVmOnlyJob();
  h.Submit(spec);
  m.OnBatch(h.core(), h.now(), BatchStats{});
  EXPECT_THAT(m.SerializeText(), HasSubstr("spillway_queue_depth{reason=\"vm-only\"} 0\n"));
  h.Submit(spec);  // Queues behind the first.
  m.OnBatch(h.core(), h.now(), BatchStats{});
  // Within the interval the gauges keep the last walk's values; job events still count.
  EXPECT_THAT(m.SerializeText(), HasSubstr("spillway_queue_depth{reason=\"vm-only\"} 0\n"));
  EXPECT_THAT(m.SerializeText(), HasSubstr("spillway_jobs_submitted_total 2\n"));
  h.Advance(SpillwayMetrics::kGaugeInterval);
  m.OnBatch(h.core(), h.now(), BatchStats{});
  EXPECT_THAT(m.SerializeText(), HasSubstr("spillway_queue_depth{reason=\"vm-only\"} 1\n"));
}

TEST(SpillwayMetricsTest, GrpcAndBackendFeeds) {
  SpillwayMetrics m;
  m.RecordGrpc("spillway.v1.JobService/SubmitJob", "OK", 0.002);
  m.RecordGrpc("spillway.v1.JobService/SubmitJob", "INVALID_ARGUMENT", 0.001);
  m.RecordArmRequest("create", 429);
  m.SetAgents(3, 1.5);
  m.RecordArmTotals({5, 2, 7, 1, 4, 1});
  m.RecordArmTotals({6, 2, 7, 1, 4, 1});  // Totals: only the difference counts.
  const std::string text = m.SerializeText();
  EXPECT_THAT(text,
              HasSubstr("spillway_arm_requests_total{code=\"all\",operation=\"create\"} 6\n"));
  EXPECT_THAT(text, HasSubstr("spillway_arm_throttled_total{operation=\"all\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("spillway_aci_orphans_deleted_total 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_grpc_requests_total{code=\"OK\",method=\"spillway.v1."
                              "JobService/SubmitJob\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_grpc_request_duration_seconds_count{method=\"spillway.v1."
                              "JobService/SubmitJob\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("spillway_arm_throttled_total{operation=\"create\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("spillway_agents_connected 3\n"));
}

TEST(MethodLabelTest, KeepsKnownMethodsOnly) {
  EXPECT_EQ(MethodLabel("/spillway.v1.JobService/GetJob"), "spillway.v1.JobService/GetJob");
  EXPECT_EQ(MethodLabel("/grpc.health.v1.Health/Check"), "grpc.health.v1.Health/Check");
  EXPECT_EQ(MethodLabel("/evil.Service/xxxxxxxxxx"), "other");
  EXPECT_EQ(MethodLabel(nullptr), "other");
}

}  // namespace
}  // namespace spillway
