// Read-only views of the core's state: jobs, the cluster, limits and the job event log.
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler/core/core.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

bool Matches(const spillway::v1::Job& job, const JobFilter& f) {
  if (f.state != spillway::v1::JOB_STATE_UNSPECIFIED && job.state() != f.state) return false;
  if (f.backend != spillway::v1::BACKEND_UNSPECIFIED && job.backend() != f.backend) return false;
  for (const auto& [k, v] : f.labels) {
    auto it = job.spec().labels().find(k);
    if (it == job.spec().labels().end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

const spillway::v1::Job* Core::FindJob(const std::string& id) const {
  const JobRecord* rec = index_.Find(id);
  return rec == nullptr ? nullptr : &rec->job;
}

std::vector<const spillway::v1::Job*> Core::ListJobs(const JobFilter& filter,
                                                     const std::string& after_id, int limit,
                                                     std::string* next) const {
  std::vector<const spillway::v1::Job*> out;
  next->clear();
  for (auto it = jobs_.upper_bound(after_id); it != jobs_.end(); ++it) {
    if (!Matches(it->second.job, filter)) continue;
    if (static_cast<int>(out.size()) == limit) {
      *next = out.back()->id();
      break;
    }
    out.push_back(&it->second.job);
  }
  return out;
}

CapacityLimits Core::Limits() const {
  CapacityLimits l;
  l.vm_node_sizes = pool_.NodeSizes();
  l.max_aci_group =
      Resources{policy_.aci_max_group_cpu_millis(), policy_.aci_max_group_memory_mib()};
  l.burst_enabled = policy_.burst_enabled();
  return l;
}

absl::Status Core::EventsSince(int64_t after, size_t max,
                               std::vector<spillway::v1::JobEvent>* out) const {
  if (after >= revision_) return absl::OkStatus();
  if (event_log_.empty() || event_log_.front().revision() > after + 1) {
    return absl::OutOfRangeError(
        absl::StrCat("from_revision: events after ", after, " are no longer kept (oldest kept: ",
                     event_log_.empty() ? revision_ : event_log_.front().revision(), ")"));
  }
  // Revisions in the log are consecutive: index directly.
  size_t i = static_cast<size_t>(after + 1 - event_log_.front().revision());
  for (; i < event_log_.size() && out->size() < max; ++i) out->push_back(event_log_[i]);
  return absl::OkStatus();
}

int64_t Core::AciSpendMicroUsd(absl::Time now) const {
  int64_t total = finished_spend_micro_usd_;
  const AciPrices prices = PricesOf(policy_);
  for (const auto& [name, g] : groups_) total += AciCostMicroUsd(g.size, now - g.created, prices);
  return total;
}

spillway::v1::GetClusterResponse Core::Cluster(absl::Time now) const {
  spillway::v1::GetClusterResponse out;
  ClusterInto(now, &out);
  return out;
}

void Core::ClusterInto(absl::Time now, spillway::v1::GetClusterResponse* out) const {
  int64_t vm_rate = 0;
  for (const auto& [id, node] : pool_.nodes()) {
    spillway::v1::Node* n = out->add_nodes();
    n->set_id(id);
    n->set_state(node.state);
    n->mutable_capacity()->set_cpu_millis(node.capacity.cpu_millis);
    n->mutable_capacity()->set_memory_mib(node.capacity.memory_mib);
    n->mutable_allocated()->set_cpu_millis(node.allocated.cpu_millis);
    n->mutable_allocated()->set_memory_mib(node.allocated.memory_mib);
    for (const auto& [k, v] : node.labels) (*n->mutable_labels())[k] = v;
    for (const auto& task : node.tasks) n->add_job_ids(task.substr(0, task.rfind('#')));
    if (node.state != spillway::v1::NODE_STATE_DOWN) vm_rate += policy_.vm_node_hour_micro_usd();
  }
  const AciPrices prices = PricesOf(policy_);
  int64_t rate = 0;
  for (const auto& [name, g] : groups_) {
    spillway::v1::AciInstance* a = out->add_aci_instances();
    a->set_group(name);
    a->set_job_id(g.job_id);
    a->set_attempt(g.attempt);
    std::string state = "creating";
    if (g.delete_requested) {
      state = "deleting";
    } else if (auto it = jobs_.find(g.job_id);
               it != jobs_.end() && g.attempt <= it->second.job.attempts_size() &&
               it->second.job.attempts(g.attempt - 1).state() == spillway::v1::JOB_STATE_RUNNING) {
      state = "running";
    }
    a->set_state(state);
    a->mutable_resources()->set_cpu_millis(g.size.cpu_millis);
    a->mutable_resources()->set_memory_mib(g.size.memory_mib);
    a->set_cost_micro_usd(AciCostMicroUsd(g.size, now - g.created, prices));
    *a->mutable_create_time() = ToTimestamp(g.created);
    rate += AciHourlyRateMicroUsd(g.size, prices);
  }
  std::string blocked;
  for (const auto& [key, queued] : queue_) {
    const JobRecord& rec = *queued;
    const std::string cls = rec.pending_class.empty() ? kPendingWaitingForVm : rec.pending_class;
    (*out->mutable_queue_by_reason())[cls]++;
    if (blocked.empty() && cls.rfind("aci-", 0) == 0) blocked = rec.job.reason();
    if (blocked.empty() && cls == kPendingSpendBudget) blocked = rec.job.reason();
  }
  out->set_queue_depth(static_cast<int>(queue_.size()));
  out->set_aci_spend_micro_usd(AciSpendMicroUsd(now));
  out->set_aci_spend_rate_micro_usd_per_hour(rate);
  out->set_vm_pool_cost_rate_micro_usd_per_hour(vm_rate);
  if (feedback_.CircuitOpen(now)) blocked = feedback_.CircuitReason(now);
  out->set_burst_status(!policy_.burst_enabled() ? "disabled by policy"
                       : blocked.empty()        ? "ok"
                                                : absl::StrCat("blocked: ", blocked));
  feedback_.Describe(now, policy_, out->mutable_beliefs());
  *out->mutable_time() = ToTimestamp(now);
  out->set_policy_version(policy_.version());
}

}  // namespace spillway
