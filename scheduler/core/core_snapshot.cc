// Core::Snapshot and Core::Restore: the whole state as a proto, and back. Derived structures (the
// queue, node allocations) are rebuilt from the records rather than stored, so a snapshot cannot
// contradict itself.
#include <iterator>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "scheduler/core/core.h"
#include "scheduler/model/time_codec.h"

namespace spillway {

bool Core::Forgettable(const JobRecord& rec, absl::Time before) {
  return IsFinalState(rec.job.state()) && rec.job.has_update_time() &&
         absl::FromUnixSeconds(rec.job.update_time().seconds()) < before;
}

int Core::ForgetFinished(absl::Time before) {
  std::set<std::string> forgotten;
  while (!finished_.empty() && finished_.begin()->first < before) {
    const std::string id = std::move(finished_.begin()->second);
    finished_.erase(finished_.begin());
    auto it = jobs_.find(id);
    if (it == jobs_.end() || !Forgettable(it->second, before)) continue;  // Gone, or moved on.
    index_.Erase(id);
    forgotten.insert(id);
    jobs_.erase(it);
  }
  if (!forgotten.empty()) {
    for (auto it = idempotency_.begin(); it != idempotency_.end();) {
      it = forgotten.count(it->second) > 0 ? idempotency_.erase(it) : std::next(it);
    }
  }
  return static_cast<int>(forgotten.size());
}

spillway::core::v1::CoreSnapshot Core::Snapshot(absl::Time forget_finished_before) const {
  spillway::core::v1::CoreSnapshot out;
  out.set_cluster_name(config_.cluster_name);
  *out.mutable_policy() = policy_;
  for (const auto& change : audit_) *out.add_audit() = change;
  for (const auto& [id, rec] : jobs_) {
    if (Forgettable(rec, forget_finished_before)) continue;
    auto* j = out.add_jobs();
    *j->mutable_job() = rec.job;
    j->set_seq(rec.seq);
    j->set_queued_since(EncodeTime(rec.queued_since));
    j->set_retry_at(EncodeTime(rec.retry_at));
    j->set_current_attempt(rec.current_attempt);
    j->set_migration_attempt(rec.migration_attempt);
    j->set_restarts(rec.restarts);
    j->set_infra_failures(rec.infra_failures);
    j->set_pending_class(rec.pending_class);
    j->set_queued(rec.queued);
  }
  std::set<std::string> kept;
  for (const auto& j : out.jobs()) kept.insert(j.job().id());
  for (const auto& [key, id] : idempotency_) {
    if (kept.count(id) > 0) (*out.mutable_idempotency())[key] = id;
  }
  for (const auto& [id, node] : pool_.nodes()) {
    auto* n = out.add_nodes();
    n->set_id(id);
    n->set_cpu_millis(node.capacity.cpu_millis);
    n->set_memory_mib(node.capacity.memory_mib);
    for (const auto& [k, v] : node.labels) (*n->mutable_labels())[k] = v;
    n->set_state(node.state);
  }
  for (const auto& [name, g] : groups_) {
    auto* a = out.add_groups();
    a->set_name(name);
    a->set_job_id(g.job_id);
    a->set_attempt(g.attempt);
    a->set_cpu_millis(g.size.cpu_millis);
    a->set_memory_mib(g.size.memory_mib);
    a->set_created(EncodeTime(g.created));
    a->set_delete_requested(g.delete_requested);
    a->set_delete_reason(g.delete_reason);
  }
  for (const auto& name : pending_deletes_) out.add_pending_deletes(name);
  for (absl::Time t : creates_.times()) out.add_creates(EncodeTime(t));
  for (absl::Time t : deletes_.times()) out.add_deletes(EncodeTime(t));
  for (absl::Time t : drain_moves_.times()) out.add_drain_moves(EncodeTime(t));
  out.set_last_burst(EncodeTime(last_burst_));
  out.set_room_since(EncodeTime(room_since_));
  out.set_last_full_pass(EncodeTime(last_full_pass_));
  out.set_last_drain_back_check(EncodeTime(last_drain_back_check_));
  out.set_finished_spend_micro_usd(finished_spend_micro_usd_);
  out.set_next_job_number(next_job_number_);
  out.set_next_seq(next_seq_);
  out.set_revision(revision_);
  for (const auto& ev : event_log_) *out.add_event_log() = ev;
  feedback_.SaveTo(out.mutable_feedback());
  for (int b : awaiting_inventory_) out.add_awaiting_inventory(b);
  out.set_recovery_deadline(EncodeTime(recovery_deadline_));
  return out;
}

absl::Status Core::Restore(const spillway::core::v1::CoreSnapshot& in) {
  if (in.cluster_name() != config_.cluster_name) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot of cluster ", in.cluster_name(), ", not ", config_.cluster_name));
  }
  policy_ = in.policy();
  audit_.assign(in.audit().begin(), in.audit().end());
  jobs_.clear();
  finished_.clear();
  index_.Clear();
  queue_.clear();
  for (const auto& j : in.jobs()) {
    JobRecord& rec = jobs_[j.job().id()];
    index_.Insert(j.job().id(), &rec);
    rec.job = j.job();
    rec.request = Resources{j.job().spec().cpu_millis(), j.job().spec().memory_mib()};
    rec.seq = j.seq();
    rec.queued_since = DecodeTime(j.queued_since());
    rec.retry_at = DecodeTime(j.retry_at());
    rec.current_attempt = j.current_attempt();
    rec.migration_attempt = j.migration_attempt();
    rec.restarts = j.restarts();
    rec.infra_failures = j.infra_failures();
    rec.pending_class = j.pending_class();
    rec.queued = j.queued();
    if (IsFinalState(rec.job.state()) && rec.job.has_update_time()) {
      finished_.emplace(absl::FromUnixSeconds(rec.job.update_time().seconds()), rec.job.id());
    }
  }
  RebuildQueueIndexes();
  idempotency_.clear();
  for (const auto& [key, id] : in.idempotency()) idempotency_[key] = id;
  pool_ = NodePool();
  node_jobs_.clear();
  for (const auto& n : in.nodes()) {
    std::map<std::string, std::string> labels(n.labels().begin(), n.labels().end());
    pool_.Upsert(n.id(), Resources{n.cpu_millis(), n.memory_mib()}, std::move(labels));
    pool_.SetState(n.id(), static_cast<spillway::v1::NodeState>(n.state()));
  }
  // Node allocations: every live VM attempt holds its footprint on its node.
  for (auto& [id, rec] : jobs_) {
    for (int n : {rec.current_attempt, rec.migration_attempt}) {
      if (n == 0 || n > rec.job.attempts_size()) continue;
      const auto& a = rec.job.attempts(n - 1);
      if (a.backend() == spillway::v1::BACKEND_VM && !a.has_finish_time() &&
          pool_.Find(a.node_id()) != nullptr) {
        AllocateTask(rec, a.node_id(), n);
      }
    }
  }
  groups_.clear();
  ++groups_version_;
  for (const auto& g : in.groups()) {
    groups_[g.name()] = AciGroup{g.job_id(),
                                 g.attempt(),
                                 Resources{g.cpu_millis(), g.memory_mib()},
                                 DecodeTime(g.created()),
                                 g.delete_requested(),
                                 g.delete_reason()};
  }
  pending_deletes_.assign(in.pending_deletes().begin(), in.pending_deletes().end());
  auto times = [](const google::protobuf::RepeatedField<int64_t>& in) {
    std::deque<absl::Time> out;
    for (int64_t n : in) out.push_back(DecodeTime(n));
    return out;
  };
  creates_.Restore(times(in.creates()));
  deletes_.Restore(times(in.deletes()));
  drain_moves_.Restore(times(in.drain_moves()));
  last_burst_ = DecodeTime(in.last_burst());
  room_since_ = DecodeTime(in.room_since());
  last_full_pass_ = DecodeTime(in.last_full_pass());
  last_drain_back_check_ = DecodeTime(in.last_drain_back_check());
  finished_spend_micro_usd_ = in.finished_spend_micro_usd();
  next_job_number_ = in.next_job_number();
  next_seq_ = in.next_seq();
  revision_ = in.revision();
  event_log_.assign(in.event_log().begin(), in.event_log().end());
  feedback_ = Feedback();
  feedback_.RestoreFrom(in.feedback());
  awaiting_inventory_.clear();
  for (int b : in.awaiting_inventory()) awaiting_inventory_.insert(b);
  recovery_deadline_ = DecodeTime(in.recovery_deadline());
  return absl::OkStatus();
}

}  // namespace spillway
