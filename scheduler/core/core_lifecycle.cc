// Job lifecycle bookkeeping: transitions and the event log, attempts, the queue, restarts with
// back-off, and ACI deletes within the delete budget.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler/core/core.h"
#include "scheduler/model/aci_name.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

constexpr int kMaxHistory = 256;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

}  // namespace

bool IsFinalState(spillway::v1::JobState s) {
  return s == spillway::v1::JOB_STATE_SUCCEEDED || s == spillway::v1::JOB_STATE_FAILED ||
         s == spillway::v1::JOB_STATE_CANCELLED;
}

void Core::Transition(JobRecord& rec, spillway::v1::JobState state, const std::string& reason,
                      absl::Time now) {
  ++revision_;
  spillway::v1::Job& job = rec.job;
  job.set_state(state);
  job.set_reason(reason);
  *job.mutable_update_time() = ToTimestamp(now);
  job.set_revision(revision_);
  if (IsFinalState(state))
    finished_.emplace(absl::FromUnixSeconds(job.update_time().seconds()), job.id());
  spillway::v1::Transition* t = job.add_history();
  t->set_state(state);
  t->set_reason(reason);
  *t->mutable_time() = ToTimestamp(now);
  t->set_revision(revision_);
  t->set_attempt(rec.current_attempt);
  if (job.history_size() > kMaxHistory) job.mutable_history()->DeleteSubrange(0, 1);

  spillway::v1::JobEvent ev;
  ev.set_revision(revision_);
  ev.set_job_id(job.id());
  ev.set_state(state);
  ev.set_reason(reason);
  *ev.mutable_time() = ToTimestamp(now);
  ev.set_backend(job.backend());
  ev.set_node_id(job.node_id());
  ev.set_aci_group(job.aci_group());
  ev.set_attempt(rec.current_attempt);
  event_log_.push_back(std::move(ev));
  while (event_log_.size() > config_.event_log_capacity) event_log_.pop_front();
}

spillway::v1::Attempt& Core::AttemptOf(JobRecord& rec, int number) {
  return *rec.job.mutable_attempts(number - 1);
}

spillway::v1::Attempt& Core::NewAttempt(JobRecord& rec, spillway::v1::Backend backend,
                                        absl::Time now) {
  spillway::v1::Attempt* a = rec.job.add_attempts();
  a->set_number(rec.job.attempts_size());
  a->set_backend(backend);
  a->set_state(spillway::v1::JOB_STATE_PLACED);
  *a->mutable_placed_time() = ToTimestamp(now);
  return *a;
}

void Core::Enqueue(JobRecord& rec, absl::Time now) {
  if (rec.queued) return;
  rec.queued = true;
  ++enqueues_;
  rec.queued_since = std::max(now, rec.retry_at);
  rec.queue_key = KeyOf(rec);
  queue_.emplace(rec.queue_key, &rec);
  IndexQueued(rec);
}

void Core::Dequeue(JobRecord& rec) {
  if (!rec.queued) return;
  rec.queued = false;
  queue_.erase(rec.queue_key);
  UnindexQueued(rec);
}

void Core::AllocateTask(JobRecord& rec, const std::string& node_id, int attempt) {
  pool_.Allocate(node_id, FootprintOf(rec, attempt));
  NodeJobs& on_node = node_jobs_[node_id];
  on_node.jobs.push_back(&rec);
  ++on_node.version;
}

void Core::ReleaseTask(JobRecord& rec, const std::string& node_id, int attempt) {
  pool_.Release(node_id, FootprintOf(rec, attempt));
  auto it = node_jobs_.find(node_id);
  if (it == node_jobs_.end()) return;
  auto job = std::find(it->second.jobs.begin(), it->second.jobs.end(), &rec);
  if (job != it->second.jobs.end()) it->second.jobs.erase(job);
  ++it->second.version;
}

void Core::TouchNodesOf(const JobRecord& rec) {
  for (const spillway::v1::Attempt& a : rec.job.attempts()) {
    if (a.backend() != spillway::v1::BACKEND_VM || a.node_id().empty()) continue;
    auto it = node_jobs_.find(a.node_id());
    if (it != node_jobs_.end()) ++it->second.version;
  }
}

TaskFootprint Core::FootprintOf(const JobRecord& rec, int attempt) const {
  TaskFootprint f;
  f.task_id = absl::StrCat(rec.job.id(), "#", attempt);
  f.resources = rec.request;
  f.affinity_keys.assign(rec.job.spec().affinity().begin(), rec.job.spec().affinity().end());
  f.anti_affinity_keys.assign(rec.job.spec().anti_affinity().begin(),
                              rec.job.spec().anti_affinity().end());
  return f;
}

void Core::EndAttempt(JobRecord& rec, int number, spillway::v1::JobState state,
                      const std::string& reason, bool stop_task, absl::Time now,
                      std::vector<Action>& actions) {
  spillway::v1::Attempt& a = AttemptOf(rec, number);
  if (a.has_finish_time()) return;
  a.set_state(state);
  a.set_reason(reason);
  *a.mutable_finish_time() = ToTimestamp(now);
  if (a.backend() == spillway::v1::BACKEND_VM) {
    ReleaseTask(rec, a.node_id(), number);
    feedback_.ObserveVmRelease(now, rec.request.cpu_millis);
    if (stop_task) actions.push_back(StopVmTask{rec.job.id(), number, a.node_id(), reason});
  } else if (a.backend() == spillway::v1::BACKEND_ACI) {
    // Finished or failed, a group keeps billing until deleted: delete it at once.
    RequestDelete(a.aci_group(), reason, now, actions);
  }
}

int Core::MaxRestarts(const JobRecord& rec) const {
  return rec.job.spec().max_restarts() > 0 ? rec.job.spec().max_restarts()
                                           : policy_.default_max_restarts();
}

void Core::AfterAttempt(JobRecord& rec, bool infrastructure, int exit_code,
                        const std::string& reason, absl::Time now) {
  const auto restart = rec.job.spec().restart_policy();
  bool again = false;
  if (infrastructure) {
    // The job did not fail; the platform did. Retry whatever the restart policy, up to a limit.
    again = ++rec.infra_failures <= MaxRestarts(rec);
  } else if (restart == spillway::v1::RESTART_POLICY_ALWAYS ||
             (restart == spillway::v1::RESTART_POLICY_ON_FAILURE && exit_code != 0)) {
    again = ++rec.restarts <= MaxRestarts(rec);
  }
  rec.current_attempt = 0;
  TouchNodesOf(rec);
  if (!again) {
    spillway::v1::JobState final_state = exit_code == 0 && !infrastructure
                                             ? spillway::v1::JOB_STATE_SUCCEEDED
                                             : spillway::v1::JOB_STATE_FAILED;
    Transition(rec, final_state, reason, now);
    return;
  }
  const int n = rec.restarts + rec.infra_failures;
  absl::Duration backoff = ToAbslDuration(policy_.retry_backoff_initial());
  for (int i = 1; i < n && backoff < ToAbslDuration(policy_.retry_backoff_max()); ++i) {
    backoff *= 2;
  }
  backoff = std::min(backoff, ToAbslDuration(policy_.retry_backoff_max()));
  rec.retry_at = now + backoff;
  rec.pending_class = kPendingRetryBackoff;
  Transition(rec, spillway::v1::JOB_STATE_PENDING,
             absl::StrCat(reason, "; retrying in ", absl::FormatDuration(backoff)), now);
  Enqueue(rec, now);
}

void Core::RequestDelete(const std::string& group, const std::string& reason, absl::Time now,
                         std::vector<Action>& actions) {
  auto it = groups_.find(group);
  if (it == groups_.end() || it->second.delete_requested) return;
  it->second.delete_requested = true;
  it->second.delete_reason = reason;
  pending_deletes_.push_back(group);
  FlushDeletes(now, actions);
}

void Core::FlushDeletes(absl::Time now, std::vector<Action>& actions) {
  while (!pending_deletes_.empty()) {
    if (deletes_.CountWithin(now, absl::Minutes(5)) >= policy_.aci_deletes_per_5min() ||
        deletes_.CountWithin(now, absl::Hours(1)) >= policy_.aci_deletes_per_hour()) {
      return;  // Retried on the next event (ticks come at least every tick interval).
    }
    const std::string name = pending_deletes_.front();
    pending_deletes_.pop_front();
    auto it = groups_.find(name);
    if (it == groups_.end()) continue;
    deletes_.Record(now);
    actions.push_back(
        DeleteAciGroup{it->second.job_id, it->second.attempt, name, it->second.delete_reason});
  }
}

void Core::StopStale(const std::string& job_id, int attempt, std::vector<Action>& actions) {
  JobRecord* rec = Find(job_id);
  if (rec == nullptr || attempt < 1 || attempt > rec->job.attempts_size()) return;
  const spillway::v1::Attempt& a = rec->job.attempts(attempt - 1);
  if (a.backend() == spillway::v1::BACKEND_VM) {
    actions.push_back(StopVmTask{job_id, attempt, a.node_id(), "stale attempt"});
  } else if (a.backend() == spillway::v1::BACKEND_ACI && groups_.count(a.aci_group()) > 0 &&
             !groups_.at(a.aci_group()).delete_requested) {
    groups_.at(a.aci_group()).delete_requested = true;
    groups_.at(a.aci_group()).delete_reason = "stale attempt";
    pending_deletes_.push_back(a.aci_group());
  }
}

CreateAciGroup Core::StartAciAttempt(JobRecord& rec, absl::Time now) {
  spillway::v1::Attempt& a = NewAttempt(rec, spillway::v1::BACKEND_ACI, now);
  const std::string name = AciGroupName(config_.cluster_name, rec.job.id(), a.number());
  a.set_aci_group(name);
  const Resources size = RoundToAciGranularity(rec.request);
  groups_[name] = AciGroup{rec.job.id(), a.number(), size, now, false, ""};
  ++groups_version_;
  creates_.Record(now);
  last_burst_ = now;
  return CreateAciGroup{rec.job.id(), a.number(),
                        name,         rec.job.spec(),
                        size,         policy_.aci_priority() == spillway::v1::ACI_PRIORITY_SPOT};
}

}  // namespace spillway
