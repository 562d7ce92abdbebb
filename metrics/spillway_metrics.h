// Spillway's Prometheus metric families (prometheus-cpp) and how they are fed: after every event
// loop batch from the core (new job events and the current state), by the gRPC interceptor, and by
// backends (ARM requests, agents). Names follow Prometheus conventions: one `spillway_` prefix,
// base units (seconds, bytes, cores, dollars), `_total` counters, bounded label values only —
// never a job id.
#ifndef SPILLWAY_METRICS_SPILLWAY_METRICS_H_
#define SPILLWAY_METRICS_SPILLWAY_METRICS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/event_loop.h"

namespace spillway {

class SpillwayMetrics final : public BatchObserver {
 public:
  SpillwayMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // BatchObserver (loop thread). Job events are counted on every batch; the state gauges (queue,
  // pool, ACI groups, spend, beliefs: a walk over every node, group and queued job) are refreshed
  // at most once per kGaugeInterval of loop time, so a busy loop does not pay that walk on each
  // of its many small batches (Prometheus scrapes every 15 s or so).
  static constexpr absl::Duration kGaugeInterval = absl::Seconds(1);
  void OnBatch(const Core& core, absl::Time now, const BatchStats& stats) override;

  // gRPC interceptor (any thread).
  void RecordGrpc(const std::string& method, const std::string& code, double seconds);
  // ACI backend (any thread): one ARM request and its HTTP status ("429", "200", ...).
  void RecordArmRequest(const std::string& operation, int http_status);
  // ACI backend totals since start (any thread); the counters advance by the difference.
  struct ArmTotals {
    int64_t creates = 0, deletes = 0, gets = 0, lists = 0, throttled = 0, orphans_deleted = 0;
  };
  void RecordArmTotals(const ArmTotals& totals);
  // VM pool backend (any thread).
  void SetAgents(int connected, double oldest_heartbeat_age_seconds);
  // ACI reconciler (any thread): container groups it found without a live job and deleted.
  void RecordOrphansDeleted(int count);

  // The text exposition format of everything registered (tests, `--metrics_dump`).
  std::string SerializeText() const;

 private:
  void CountJobEvents(const Core& core);
  void SetStateGauges(const Core& core, absl::Time now);

  std::shared_ptr<prometheus::Registry> registry_;
  int64_t cursor_ = 0;  // Last job-event revision counted (loop thread).
  int64_t spend_counted_micro_usd_ = 0;
  absl::Time gauges_set_ = absl::InfinitePast();  // When SetStateGauges last ran (loop thread).

  prometheus::Family<prometheus::Counter>& jobs_submitted_;
  prometheus::Family<prometheus::Counter>& jobs_finished_;
  prometheus::Family<prometheus::Counter>& placements_;
  prometheus::Family<prometheus::Counter>& burst_decisions_;
  prometheus::Family<prometheus::Counter>& drain_decisions_;
  prometheus::Family<prometheus::Counter>& restarts_;
  prometheus::Family<prometheus::Histogram>& wait_seconds_;
  prometheus::Family<prometheus::Histogram>& aci_provisioning_seconds_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& vm_nodes_;
  prometheus::Family<prometheus::Gauge>& vm_cpu_cores_;
  prometheus::Family<prometheus::Gauge>& vm_memory_bytes_;
  prometheus::Family<prometheus::Gauge>& vm_utilisation_;
  prometheus::Family<prometheus::Gauge>& aci_groups_;
  prometheus::Family<prometheus::Gauge>& aci_cpu_cores_;
  prometheus::Family<prometheus::Counter>& aci_spend_;
  prometheus::Family<prometheus::Gauge>& aci_spend_rate_;
  prometheus::Family<prometheus::Gauge>& vm_cost_rate_;
  prometheus::Family<prometheus::Gauge>& beliefs_;
  prometheus::Family<prometheus::Gauge>& circuit_open_;
  prometheus::Family<prometheus::Gauge>& policy_version_;
  prometheus::Family<prometheus::Histogram>& batch_size_;
  prometheus::Family<prometheus::Histogram>& apply_seconds_;
  prometheus::Family<prometheus::Counter>& grpc_requests_;
  prometheus::Family<prometheus::Histogram>& grpc_seconds_;
  prometheus::Family<prometheus::Counter>& arm_requests_;
  prometheus::Family<prometheus::Counter>& arm_throttled_;
  prometheus::Family<prometheus::Gauge>& agents_connected_;
  prometheus::Family<prometheus::Gauge>& agent_heartbeat_age_;
  prometheus::Family<prometheus::Counter>& wait_budget_violations_;
  prometheus::Family<prometheus::Gauge>& spend_budget_;
  prometheus::Family<prometheus::Counter>& orphans_deleted_;

  absl::Mutex arm_mu_;
  ArmTotals arm_seen_ ABSL_GUARDED_BY(arm_mu_);
  absl::Mutex grpc_mu_;  // Histogram::Add on a family is thread-safe; this guards the cache.
  std::map<std::string, prometheus::Histogram*> grpc_latency_ ABSL_GUARDED_BY(grpc_mu_);
};

}  // namespace spillway

#endif  // SPILLWAY_METRICS_SPILLWAY_METRICS_H_
