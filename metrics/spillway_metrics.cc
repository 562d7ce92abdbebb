#include "metrics/spillway_metrics.h"

#include <vector>

#include "absl/strings/match.h"
#include "google/protobuf/util/time_util.h"
#include "prometheus/text_serializer.h"
#include "scheduler/burst/burst_decision.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

const Histogram::BucketBoundaries kWaitBuckets = {1,   5,   15,  30,   60,   120,
                                                  300, 600, 1800, 3600, 7200};
const Histogram::BucketBoundaries kProvisioningBuckets = {5, 10, 15, 20, 30, 45, 60, 90, 120, 300};
const Histogram::BucketBoundaries kBatchBuckets = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
const Histogram::BucketBoundaries kLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                     0.005,  0.01,    0.025,  0.05,  0.1,
                                                     0.25,   0.5,     1,      2.5,   5};

// Pending-reason classes (bounded label values).
const char* const kPendingClasses[] = {
    kPendingWaitingForVm, kPendingVmOnly,     kPendingBurstDisabled, kPendingGroupTooLarge,
    kPendingMaxGroups,    kPendingMaxCores,   kPendingCreateRate,    kPendingSpendBudget,
    kPendingRetryBackoff, kPendingInfeasible, kPendingCircuitOpen};

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(t));
}

const char* BackendLabel(spillway::v1::Backend b) {
  return b == spillway::v1::BACKEND_ACI ? "aci" : b == spillway::v1::BACKEND_VM ? "vm" : "none";
}

// Why a job burst, from its decision message (bounded set).
const char* BurstReason(const std::string& message) {
  if (absl::StartsWith(message, "ACI-only")) return "aci_only";
  if (absl::StrContains(message, "no VM node can hold it")) return "vm_infeasible";
  if (absl::StrContains(message, "bursts when unschedulable")) return "unschedulable";
  if (absl::StrContains(message, "fixed-wait")) return "fixed_wait";
  return "wait_budget";
}

}  // namespace

SpillwayMetrics::SpillwayMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      jobs_submitted_(BuildCounter()
                          .Name("spillway_jobs_submitted_total")
                          .Help("Jobs accepted by SubmitJob.")
                          .Register(*registry_)),
      jobs_finished_(BuildCounter()
                         .Name("spillway_jobs_finished_total")
                         .Help("Jobs that reached a final state, by outcome.")
                         .Register(*registry_)),
      placements_(BuildCounter()
                      .Name("spillway_placements_total")
                      .Help("Jobs placed from the queue, by backend (vm, aci); moves count as drain decisions.")
                      .Register(*registry_)),
      burst_decisions_(BuildCounter()
                           .Name("spillway_burst_decisions_total")
                           .Help("Jobs sent to ACI, by reason.")
                           .Register(*registry_)),
      drain_decisions_(BuildCounter()
                           .Name("spillway_drain_decisions_total")
                           .Help("Running jobs moved between backends or nodes, by reason.")
                           .Register(*registry_)),
      restarts_(BuildCounter()
                    .Name("spillway_job_retries_total")
                    .Help("Attempts that ended and were retried with back-off.")
                    .Register(*registry_)),
      wait_seconds_(BuildHistogram()
                        .Name("spillway_wait_seconds")
                        .Help("Time from queued to placed, by backend.")
                        .Register(*registry_)),
      aci_provisioning_seconds_(BuildHistogram()
                                    .Name("spillway_aci_provisioning_seconds")
                                    .Help("ACI container group create to running.")
                                    .Register(*registry_)),
      queue_depth_(BuildGauge()
                       .Name("spillway_queue_depth")
                       .Help("Pending jobs, by pending reason.")
                       .Register(*registry_)),
      vm_nodes_(BuildGauge()
                    .Name("spillway_vm_nodes")
                    .Help("VM pool nodes, by state.")
                    .Register(*registry_)),
      vm_cpu_cores_(BuildGauge()
                        .Name("spillway_vm_pool_cpu_cores")
                        .Help("VM pool cpu of nodes that are up: capacity or allocated.")
                        .Register(*registry_)),
      vm_memory_bytes_(BuildGauge()
                           .Name("spillway_vm_pool_memory_bytes")
                           .Help("VM pool memory of nodes that are up: capacity or allocated.")
                           .Register(*registry_)),
      vm_utilisation_(BuildGauge()
                          .Name("spillway_vm_pool_utilisation_ratio")
                          .Help("Allocated over capacity, by resource.")
                          .Register(*registry_)),
      aci_groups_(BuildGauge()
                      .Name("spillway_aci_groups")
                      .Help("ACI container groups, by state.")
                      .Register(*registry_)),
      aci_cpu_cores_(BuildGauge()
                         .Name("spillway_aci_cpu_cores")
                         .Help("vCPU requested by live ACI container groups.")
                         .Register(*registry_)),
      aci_spend_(BuildCounter()
                     .Name("spillway_aci_spend_dollars_total")
                     .Help("ACI spend (per-second billing on the requested size).")
                     .Register(*registry_)),
      aci_spend_rate_(BuildGauge()
                          .Name("spillway_aci_spend_rate_dollars_per_hour")
                          .Help("What the live ACI groups cost per hour.")
                          .Register(*registry_)),
      vm_cost_rate_(BuildGauge()
                        .Name("spillway_vm_pool_cost_rate_dollars_per_hour")
                        .Help("What the VM pool's nodes cost per hour (policy price).")
                        .Register(*registry_)),
      beliefs_(BuildGauge()
                   .Name("spillway_belief")
                   .Help("What the scheduler believes from what it measured, by belief.")
                   .Register(*registry_)),
      circuit_open_(BuildGauge()
                        .Name("spillway_aci_circuit_open")
                        .Help("1 while the ACI circuit breaker stops bursting.")
                        .Register(*registry_)),
      policy_version_(BuildGauge()
                          .Name("spillway_policy_version")
                          .Help("Version of the burst policy in force.")
                          .Register(*registry_)),
      batch_size_(BuildHistogram()
                      .Name("spillway_event_loop_batch_size")
                      .Help("Events applied per event-loop batch.")
                      .Register(*registry_)),
      apply_seconds_(BuildHistogram()
                         .Name("spillway_event_loop_apply_seconds")
                         .Help("Time to apply a batch (core, actions, backend polling).")
                         .Register(*registry_)),
      grpc_requests_(BuildCounter()
                         .Name("spillway_grpc_requests_total")
                         .Help("gRPC requests, by method and status code.")
                         .Register(*registry_)),
      grpc_seconds_(BuildHistogram()
                        .Name("spillway_grpc_request_duration_seconds")
                        .Help("gRPC request latency, by method.")
                        .Register(*registry_)),
      arm_requests_(BuildCounter()
                        .Name("spillway_arm_requests_total")
                        .Help("Azure Resource Manager requests, by operation and HTTP status.")
                        .Register(*registry_)),
      arm_throttled_(BuildCounter()
                         .Name("spillway_arm_throttled_total")
                         .Help("ARM requests answered 429 (throttled), by operation.")
                         .Register(*registry_)),
      agents_connected_(BuildGauge()
                            .Name("spillway_agents_connected")
                            .Help("VM agents connected now.")
                            .Register(*registry_)),
      agent_heartbeat_age_(BuildGauge()
                               .Name("spillway_agent_heartbeat_age_seconds")
                               .Help("Age of the oldest connected agent's last heartbeat.")
                               .Register(*registry_)),
      wait_budget_violations_(BuildCounter()
                                  .Name("spillway_wait_budget_violations_total")
                                  .Help("Jobs placed after waiting longer than their wait "
                                        "budget, by backend.")
                                  .Register(*registry_)),
      spend_budget_(BuildGauge()
                        .Name("spillway_policy_spend_budget_dollars_per_hour")
                        .Help("The policy's cap on the ACI spend rate.")
                        .Register(*registry_)),
      orphans_deleted_(BuildCounter()
                           .Name("spillway_aci_orphans_deleted_total")
                           .Help("ACI container groups found without a live job and deleted.")
                           .Register(*registry_)) {
  // Series that should exist from the start (at zero), so rates and alerts work at once.
  jobs_submitted_.Add({});
  for (const char* outcome : {"succeeded", "failed", "cancelled"}) {
    jobs_finished_.Add({{"outcome", outcome}});
  }
  for (const char* backend : {"vm", "aci"}) placements_.Add({{"backend", backend}});
  for (const char* reason : {"wait_budget", "aci_only", "vm_infeasible", "unschedulable",
                             "fixed_wait"}) {
    burst_decisions_.Add({{"reason", reason}});
  }
  for (const char* reason : {"drain_back", "node_drain"}) drain_decisions_.Add({{"reason", reason}});
  restarts_.Add({});
  for (const char* backend : {"vm", "aci"}) wait_budget_violations_.Add({{"backend", backend}});
  orphans_deleted_.Add({});
  aci_spend_.Add({});
  agents_connected_.Add({});
}

void SpillwayMetrics::CountJobEvents(const Core& core) {
  std::vector<spillway::v1::JobEvent> events;
  if (!core.EventsSince(cursor_, 100000, &events).ok()) {
    cursor_ = core.revision();  // Fell behind the log (cannot happen at one call per batch).
    return;
  }
  for (const auto& ev : events) {
    cursor_ = ev.revision();
    const spillway::v1::Job* job = core.FindJob(ev.job_id());
    switch (ev.state()) {
      case spillway::v1::JOB_STATE_PENDING:
        if (ev.reason() == "submitted") {
          jobs_submitted_.Add({}).Increment();
        } else {
          restarts_.Add({}).Increment();
        }
        break;
      case spillway::v1::JOB_STATE_PLACED: {
        placements_.Add({{"backend", BackendLabel(ev.backend())}}).Increment();
        if (ev.backend() == spillway::v1::BACKEND_ACI && job != nullptr) {
          burst_decisions_.Add({{"reason", BurstReason(job->last_decision().message())}})
              .Increment();
        }
        // Queued since the last PENDING transition before this one.
        if (job != nullptr) {
          absl::Time queued = absl::InfinitePast();
          for (const auto& t : job->history()) {
            if (t.revision() >= ev.revision()) break;
            if (t.state() == spillway::v1::JOB_STATE_PENDING) queued = TimeOf(t.time());
          }
          if (queued != absl::InfinitePast()) {
            const absl::Duration waited = TimeOf(ev.time()) - queued;
            wait_seconds_.Add({{"backend", BackendLabel(ev.backend())}}, kWaitBuckets)
                .Observe(Seconds(waited));
            if (waited > EffectiveMaxWait(job->spec(), core.policy())) {
              wait_budget_violations_.Add({{"backend", BackendLabel(ev.backend())}}).Increment();
            }
          }
        }
        break;
      }
      case spillway::v1::JOB_STATE_RUNNING: {
        if (absl::StrContains(ev.reason(), "moving back from ACI")) {
          drain_decisions_.Add({{"reason", "drain_back"}}).Increment();
        } else if (absl::StrContains(ev.reason(), "draining: moving")) {
          drain_decisions_.Add({{"reason", "node_drain"}}).Increment();
        }
        if (job != nullptr && ev.attempt() >= 1 && ev.attempt() <= job->attempts_size() &&
            ev.reason() == "running") {
          const auto& a = job->attempts(ev.attempt() - 1);
          if (a.backend() == spillway::v1::BACKEND_ACI && a.has_start_time()) {
            aci_provisioning_seconds_.Add({}, kProvisioningBuckets)
                .Observe(Seconds(TimeOf(a.start_time()) - TimeOf(a.placed_time())));
          }
        }
        break;
      }
      case spillway::v1::JOB_STATE_SUCCEEDED:
        jobs_finished_.Add({{"outcome", "succeeded"}}).Increment();
        break;
      case spillway::v1::JOB_STATE_FAILED:
        jobs_finished_.Add({{"outcome", "failed"}}).Increment();
        break;
      case spillway::v1::JOB_STATE_CANCELLED:
        jobs_finished_.Add({{"outcome", "cancelled"}}).Increment();
        break;
      default:
        break;
    }
  }
}

void SpillwayMetrics::SetStateGauges(const Core& core, absl::Time now) {
  const spillway::v1::GetClusterResponse c = core.Cluster(now);
  for (const char* cls : kPendingClasses) {
    auto it = c.queue_by_reason().find(cls);
    queue_depth_.Add({{"reason", cls}}).Set(it == c.queue_by_reason().end() ? 0 : it->second);
  }
  std::map<std::string, int> node_states = {
      {"ready", 0}, {"cordoned", 0}, {"draining", 0}, {"down", 0}};
  double cap_cpu = 0, alloc_cpu = 0, cap_mem = 0, alloc_mem = 0;
  for (const auto& n : c.nodes()) {
    switch (n.state()) {
      case spillway::v1::NODE_STATE_READY: node_states["ready"]++; break;
      case spillway::v1::NODE_STATE_CORDONED: node_states["cordoned"]++; break;
      case spillway::v1::NODE_STATE_DRAINING: node_states["draining"]++; break;
      default: node_states["down"]++; continue;
    }
    cap_cpu += n.capacity().cpu_millis() / 1000.0;
    alloc_cpu += n.allocated().cpu_millis() / 1000.0;
    cap_mem += n.capacity().memory_mib() * 1048576.0;
    alloc_mem += n.allocated().memory_mib() * 1048576.0;
  }
  for (const auto& [state, count] : node_states) vm_nodes_.Add({{"state", state}}).Set(count);
  vm_cpu_cores_.Add({{"kind", "capacity"}}).Set(cap_cpu);
  vm_cpu_cores_.Add({{"kind", "allocated"}}).Set(alloc_cpu);
  vm_memory_bytes_.Add({{"kind", "capacity"}}).Set(cap_mem);
  vm_memory_bytes_.Add({{"kind", "allocated"}}).Set(alloc_mem);
  vm_utilisation_.Add({{"resource", "cpu"}}).Set(cap_cpu > 0 ? alloc_cpu / cap_cpu : 0);
  vm_utilisation_.Add({{"resource", "memory"}}).Set(cap_mem > 0 ? alloc_mem / cap_mem : 0);

  std::map<std::string, int> group_states = {{"creating", 0}, {"running", 0}, {"deleting", 0}};
  double aci_cores = 0;
  for (const auto& g : c.aci_instances()) {
    group_states[g.state()]++;
    aci_cores += g.resources().cpu_millis() / 1000.0;
  }
  for (const auto& [state, count] : group_states) aci_groups_.Add({{"state", state}}).Set(count);
  aci_cpu_cores_.Add({}).Set(aci_cores);
  if (c.aci_spend_micro_usd() > spend_counted_micro_usd_) {
    // Increment to the exact total (a counter only goes up; spend never goes down).
    prometheus::Counter& spend = aci_spend_.Add({});
    spend.Increment(c.aci_spend_micro_usd() / 1e6 - spend.Value());
    spend_counted_micro_usd_ = c.aci_spend_micro_usd();
  }
  aci_spend_rate_.Add({}).Set(c.aci_spend_rate_micro_usd_per_hour() / 1e6);
  vm_cost_rate_.Add({}).Set(c.vm_pool_cost_rate_micro_usd_per_hour() / 1e6);

  const spillway::v1::Beliefs& b = c.beliefs();
  auto secs = [](const google::protobuf::Duration& d) { return d.seconds() + d.nanos() / 1e9; };
  beliefs_.Add({{"belief", "aci_start_latency_p50_seconds"}}).Set(secs(b.aci_start_latency_p50()));
  beliefs_.Add({{"belief", "aci_start_latency_p90_seconds"}}).Set(secs(b.aci_start_latency_p90()));
  beliefs_.Add({{"belief", "aci_start_latency_used_seconds"}})
      .Set(secs(b.aci_start_latency_used()));
  beliefs_.Add({{"belief", "aci_start_samples"}}).Set(b.aci_start_samples());
  beliefs_.Add({{"belief", "vm_release_cpu_cores_per_second"}})
      .Set(b.vm_release_millicores_per_minute() / 60000.0);
  beliefs_.Add({{"belief", "aci_failure_ratio"}}).Set(b.aci_failure_percent() / 100.0);
  beliefs_.Add({{"belief", "job_classes_measured"}}).Set(b.run_times_size());
  circuit_open_.Add({}).Set(b.aci_circuit_open() ? 1 : 0);
  policy_version_.Add({}).Set(static_cast<double>(c.policy_version()));
  spend_budget_.Add({}).Set(core.policy().spend_budget_micro_usd_per_hour() / 1e6);
}

void SpillwayMetrics::OnBatch(const Core& core, absl::Time now, const BatchStats& stats) {
  CountJobEvents(core);
  if (gauges_set_ == absl::InfinitePast() || now < gauges_set_ ||
      now - gauges_set_ >= kGaugeInterval) {
    SetStateGauges(core, now);
    gauges_set_ = now;
  }
  batch_size_.Add({}, kBatchBuckets).Observe(static_cast<double>(stats.events_applied));
  apply_seconds_.Add({}, kLatencyBuckets).Observe(Seconds(stats.apply_time));
}

void SpillwayMetrics::RecordGrpc(const std::string& method, const std::string& code,
                                 double seconds) {
  grpc_requests_.Add({{"method", method}, {"code", code}}).Increment();
  prometheus::Histogram* h;
  {
    absl::MutexLock lock(&grpc_mu_);
    auto it = grpc_latency_.find(method);
    if (it == grpc_latency_.end()) {
      it = grpc_latency_.emplace(method, &grpc_seconds_.Add({{"method", method}}, kLatencyBuckets))
               .first;
    }
    h = it->second;
  }
  h->Observe(seconds);
}

void SpillwayMetrics::RecordArmRequest(const std::string& operation, int http_status) {
  arm_requests_.Add({{"operation", operation}, {"code", std::to_string(http_status)}}).Increment();
  if (http_status == 429) arm_throttled_.Add({{"operation", operation}}).Increment();
}

void SpillwayMetrics::RecordArmTotals(const ArmTotals& t) {
  absl::MutexLock lock(&arm_mu_);
  auto bump = [](prometheus::Counter& c, int64_t now, int64_t& seen) {
    if (now > seen) c.Increment(static_cast<double>(now - seen));
    seen = std::max(seen, now);
  };
  // The backend counts requests by operation; status codes other than 429 are not broken out.
  bump(arm_requests_.Add({{"operation", "create"}, {"code", "all"}}), t.creates, arm_seen_.creates);
  bump(arm_requests_.Add({{"operation", "delete"}, {"code", "all"}}), t.deletes, arm_seen_.deletes);
  bump(arm_requests_.Add({{"operation", "get"}, {"code", "all"}}), t.gets, arm_seen_.gets);
  bump(arm_requests_.Add({{"operation", "list"}, {"code", "all"}}), t.lists, arm_seen_.lists);
  bump(arm_throttled_.Add({{"operation", "all"}}), t.throttled, arm_seen_.throttled);
  bump(orphans_deleted_.Add({}), t.orphans_deleted, arm_seen_.orphans_deleted);
}

void SpillwayMetrics::RecordOrphansDeleted(int count) {
  orphans_deleted_.Add({}).Increment(count);
}

void SpillwayMetrics::SetAgents(int connected, double oldest_heartbeat_age_seconds) {
  agents_connected_.Add({}).Set(connected);
  agent_heartbeat_age_.Add({}).Set(oldest_heartbeat_age_seconds);
}

std::string SpillwayMetrics::SerializeText() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace spillway
