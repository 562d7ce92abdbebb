// Event dispatch and the handlers for commands and backend reports.
#include "scheduler/core/core.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

using spillway::v1::JobState;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

bool SameSpec(const spillway::v1::JobSpec& a, const spillway::v1::JobSpec& b) {
  std::string sa, sb;
  google::protobuf::io::StringOutputStream oa(&sa), ob(&sb);
  {
    google::protobuf::io::CodedOutputStream ca(&oa), cb(&ob);
    ca.SetSerializationDeterministic(true);
    cb.SetSerializationDeterministic(true);
    a.SerializeToCodedStream(&ca);
    b.SerializeToCodedStream(&cb);
  }
  return sa == sb;
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(t));
}

}  // namespace

Core::Core(CoreConfig config) : config_(std::move(config)) {
  // An empty policy means "the defaults"; otherwise unset fields take the defaults' values.
  policy_ = config_.policy.ByteSizeLong() == 0 ? DefaultPolicy() : config_.policy;
  FillPolicyDefaults(policy_);
  policy_.set_version(1);
  spillway::v1::PolicyChange initial;
  initial.set_version(1);
  *initial.mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(config_.start_time));
  initial.set_caller("startup");
  initial.add_diff("initial policy");
  audit_.push_back(std::move(initial));
}

ApplyResult Core::Apply(const Event& event) {
  ApplyResult result;
  const absl::Time now = event.time;
  std::vector<Action>& actions = result.actions;
  const int64_t enqueues_before = enqueues_;
  std::visit(Overloaded{
                 [&](const JobSubmitted& e) {
                   ApplyResult r = OnSubmit(e, now);
                   result.status = r.status;
                   result.job_id = r.job_id;
                   result.created = r.created;
                 },
                 [&](const JobCancelled& e) {
                   result.status = OnCancel(e, now, actions);
                   result.job_id = e.job_id;
                 },
                 [&](const PolicyChanged& e) { result.status = OnPolicy(e, now); },
                 [&](const NodeCordoned& e) { result.status = OnCordon(e, actions); },
                 [&](const NodeDrainRequested& e) { result.status = OnDrain(e, actions); },
                 [&](const NodeUp& e) { OnNodeUp(e); },
                 [&](const NodeDown& e) { OnNodeDown(e, now, actions); },
                 [&](const TaskStarting& e) { OnTaskStarting(e, now, actions); },
                 [&](const TaskRunning& e) { OnTaskRunning(e, now, actions); },
                 [&](const TaskExited& e) { OnTaskExited(e, now, actions); },
                 [&](const TaskFailed& e) { OnTaskFailed(e, now, actions); },
                 [&](const AciGroupDeleted& e) { OnAciGroupDeleted(e, now); },
                 [&](const Tick&) {},
                 [&](const RecoveryStarted& e) { OnRecoveryStarted(e); },
                 [&](const BackendInventory& e) { OnInventory(e, now, actions); },
             },
             event.body);
  if (std::holds_alternative<PolicyChanged>(event.body) && result.status.ok()) {
    RebuildQueueIndexes();  // Budgets may have changed.
  }
  if (!(std::holds_alternative<JobSubmitted>(event.body) ||
        std::holds_alternative<JobCancelled>(event.body) ||
        std::holds_alternative<Tick>(event.body) ||
        std::holds_alternative<TaskStarting>(event.body) ||
        std::holds_alternative<TaskRunning>(event.body) ||
        std::holds_alternative<TaskExited>(event.body) ||
        std::holds_alternative<TaskFailed>(event.body) ||
        std::holds_alternative<AciGroupDeleted>(event.body))) {
    visit_all_ = true;  // Nodes, policy or recovery: what can ever fit may have changed.
  }
  FlushDeletes(now, actions);
  if (!reconciling(now)) {  // Place nothing new before the backends said what they run.
    // What a short queue needs a full pass for at once: a job that entered the queue (its
    // first decision), or a change to the pool's nodes, ACI's usage, the policy or the queue
    // itself. A task that starts, runs or exits needs none: PlaceHead hands freed room to the
    // head of the queue, and backfill behind it waits for the next periodic pass.
    const bool changed =
        enqueues_ != enqueues_before || !(std::holds_alternative<Tick>(event.body) ||
                                          std::holds_alternative<TaskStarting>(event.body) ||
                                          std::holds_alternative<TaskRunning>(event.body) ||
                                          std::holds_alternative<TaskExited>(event.body));
    // An operator's policy change takes effect at once, whatever the queue.
    Schedule(now, changed, std::holds_alternative<PolicyChanged>(event.body) && result.status.ok(),
             actions);
    Rebalance(now, actions);
  }
  return result;
}

Core::JobRecord* Core::Find(const std::string& id) { return index_.Find(id); }

ApplyResult Core::OnSubmit(const JobSubmitted& submitted, absl::Time now) {
  ApplyResult result;
  const JobSubmitted& e = submitted;
  if (!e.idempotency_key.empty()) {
    auto it = idempotency_.find(e.idempotency_key);
    if (it != idempotency_.end()) {
      spillway::v1::JobSpec normalized = e.spec;  // Stored specs are normalized.
      NormalizeJobSpec(normalized);
      if (!SameSpec(jobs_.at(it->second).job.spec(), normalized)) {
        result.status = absl::FailedPreconditionError(absl::StrCat(
            "idempotency_key: already used by ", it->second, " with a different spec"));
        return result;
      }
      result.job_id = it->second;
      return result;
    }
  }
  const std::string id = absl::StrFormat("job-%08d", next_job_number_++);
  JobRecord& rec = jobs_[id];
  index_.Insert(id, &rec);
  rec.job.set_id(id);
  spillway::v1::JobSpec& spec = *rec.job.mutable_spec();
  spec = e.spec;
  NormalizeJobSpec(spec);  // Stored and compared with explicit defaults.
  rec.job.set_idempotency_key(e.idempotency_key);
  *rec.job.mutable_create_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  rec.request = Resources{spec.cpu_millis(), spec.memory_mib()};
  rec.seq = next_seq_++;
  if (!e.idempotency_key.empty()) idempotency_[e.idempotency_key] = id;
  Transition(rec, spillway::v1::JOB_STATE_PENDING, "submitted", now);
  Enqueue(rec, now);
  result.job_id = id;
  result.created = true;
  return result;
}

absl::Status Core::OnCancel(const JobCancelled& e, absl::Time now, std::vector<Action>& actions) {
  JobRecord* rec = Find(e.job_id);
  if (rec == nullptr) return absl::NotFoundError(absl::StrCat("id: no job ", e.job_id));
  if (IsFinalState(rec->job.state())) {
    return absl::FailedPreconditionError(absl::StrCat("id: job ", e.job_id, " already ended (",
                                                      spillway::v1::JobState_Name(rec->job.state()),
                                                      ")"));
  }
  const std::string reason = e.reason.empty() ? "cancelled" : absl::StrCat("cancelled: ", e.reason);
  if (rec->migration_attempt != 0) {
    EndAttempt(*rec, rec->migration_attempt, spillway::v1::JOB_STATE_CANCELLED, reason, true, now,
               actions);
    rec->migration_attempt = 0;
  }
  if (rec->current_attempt != 0) {
    EndAttempt(*rec, rec->current_attempt, spillway::v1::JOB_STATE_CANCELLED, reason, true, now,
               actions);
  }
  Dequeue(*rec);
  Transition(*rec, spillway::v1::JOB_STATE_CANCELLED, reason, now);
  return absl::OkStatus();
}

absl::Status Core::OnPolicy(const PolicyChanged& e, absl::Time now) {
  if (e.expected_version != policy_.version()) {
    return absl::AbortedError(absl::StrCat("expected_version: policy is at version ",
                                           policy_.version(), ", not ", e.expected_version,
                                           "; read it again and retry"));
  }
  spillway::v1::Policy next = e.policy;
  next.set_version(policy_.version() + 1);
  spillway::v1::PolicyChange change;
  change.set_version(next.version());
  *change.mutable_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  change.set_caller(e.caller);
  for (auto& line : DiffPolicies(policy_, next)) change.add_diff(std::move(line));
  policy_ = std::move(next);
  audit_.push_back(std::move(change));
  return absl::OkStatus();
}

absl::Status Core::OnCordon(const NodeCordoned& e, std::vector<Action>& actions) {
  const NodeInfo* node = pool_.Find(e.node_id);
  if (node == nullptr) return absl::NotFoundError(absl::StrCat("node_id: no node ", e.node_id));
  if (node->state == spillway::v1::NODE_STATE_DOWN) {
    return absl::FailedPreconditionError(absl::StrCat("node_id: node ", e.node_id, " is down"));
  }
  const auto state =
      e.cordoned ? spillway::v1::NODE_STATE_CORDONED : spillway::v1::NODE_STATE_READY;
  pool_.SetState(e.node_id, state);
  actions.push_back(SetNodeState{e.node_id, state});
  return absl::OkStatus();
}

absl::Status Core::OnDrain(const NodeDrainRequested& e, std::vector<Action>& actions) {
  const NodeInfo* node = pool_.Find(e.node_id);
  if (node == nullptr) return absl::NotFoundError(absl::StrCat("node_id: no node ", e.node_id));
  if (node->state == spillway::v1::NODE_STATE_DOWN) {
    return absl::FailedPreconditionError(absl::StrCat("node_id: node ", e.node_id, " is down"));
  }
  pool_.SetState(e.node_id, spillway::v1::NODE_STATE_DRAINING);
  actions.push_back(SetNodeState{e.node_id, spillway::v1::NODE_STATE_DRAINING});
  return absl::OkStatus();
}

void Core::OnNodeUp(const NodeUp& e) {
  const NodeInfo* before = pool_.Find(e.node_id);
  const bool was_down = before != nullptr && before->state == spillway::v1::NODE_STATE_DOWN;
  pool_.Upsert(e.node_id, e.capacity, e.labels);
  if (was_down) pool_.SetState(e.node_id, spillway::v1::NODE_STATE_READY);
}

void Core::OnNodeDown(const NodeDown& e, absl::Time now, std::vector<Action>& actions) {
  const NodeInfo* node = pool_.Find(e.node_id);
  if (node == nullptr || node->state == spillway::v1::NODE_STATE_DOWN) return;
  const std::set<std::string> tasks = node->tasks;  // Copy: ending attempts edits the node.
  pool_.SetState(e.node_id, spillway::v1::NODE_STATE_DOWN);
  const std::string reason =
      absl::StrCat("node ", e.node_id, " down", e.reason.empty() ? "" : ": ", e.reason);
  for (const std::string& task : tasks) {
    const size_t hash = task.rfind('#');
    const std::string job_id = task.substr(0, hash);
    const int attempt = std::stoi(task.substr(hash + 1));
    // The node is gone: there is nothing to stop there.
    TaskFailed failed{job_id, attempt, reason};
    JobRecord* rec = Find(job_id);
    if (rec == nullptr) continue;
    if (attempt == rec->migration_attempt) {
      EndAttempt(*rec, attempt, spillway::v1::JOB_STATE_FAILED, reason, false, now, actions);
      rec->migration_attempt = 0;
    } else if (attempt == rec->current_attempt) {
      OnTaskFailed(failed, now, actions);
    }
  }
}

void Core::OnTaskStarting(const TaskStarting& e, absl::Time now, std::vector<Action>& actions) {
  JobRecord* rec = Find(e.job_id);
  if (rec == nullptr || IsFinalState(rec->job.state()) ||
      (e.attempt != rec->current_attempt && e.attempt != rec->migration_attempt)) {
    StopStale(e.job_id, e.attempt, actions);
    return;
  }
  spillway::v1::Attempt& attempt = AttemptOf(*rec, e.attempt);
  if (attempt.state() != spillway::v1::JOB_STATE_PLACED) return;
  attempt.set_state(spillway::v1::JOB_STATE_STARTING);
  if (e.attempt == rec->current_attempt) {
    Transition(*rec, spillway::v1::JOB_STATE_STARTING, "starting", now);
  }
}

void Core::OnTaskRunning(const TaskRunning& e, absl::Time now, std::vector<Action>& actions) {
  JobRecord* rec = Find(e.job_id);
  if (rec == nullptr || IsFinalState(rec->job.state()) ||
      (e.attempt != rec->current_attempt && e.attempt != rec->migration_attempt)) {
    StopStale(e.job_id, e.attempt, actions);
    return;
  }
  spillway::v1::Attempt& attempt = AttemptOf(*rec, e.attempt);
  if (attempt.state() == spillway::v1::JOB_STATE_RUNNING) return;
  attempt.set_state(spillway::v1::JOB_STATE_RUNNING);
  *attempt.mutable_start_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  rec->cached_start_attempt = 0;  // ExpectedEnd counts from the start now.
  TouchNodesOf(*rec);
  if (attempt.backend() == spillway::v1::BACKEND_ACI) {
    feedback_.ObserveAciStart(now - TimeOf(attempt.placed_time()));
    feedback_.ObserveAciCreateOutcome(now, /*failed=*/false, "", policy_);
  }
  if (e.attempt == rec->migration_attempt) {
    // The copy runs: retire the old attempt, then the copy becomes the job's attempt.
    const int old = rec->current_attempt;
    const std::string where = attempt.backend() == spillway::v1::BACKEND_VM
                                  ? absl::StrCat("vm node ", attempt.node_id())
                                  : absl::StrCat("ACI group ", attempt.aci_group());
    rec->current_attempt = e.attempt;
    rec->migration_attempt = 0;
    TouchNodesOf(*rec);
    EndAttempt(*rec, old, spillway::v1::JOB_STATE_CANCELLED, absl::StrCat("migrated to ", where),
               true, now, actions);
    rec->job.set_backend(attempt.backend());
    rec->job.set_node_id(attempt.node_id());
    rec->job.set_aci_group(attempt.aci_group());
    Transition(*rec, spillway::v1::JOB_STATE_RUNNING, absl::StrCat("migrated to ", where), now);
    return;
  }
  Transition(*rec, spillway::v1::JOB_STATE_RUNNING, "running", now);
}

void Core::OnTaskExited(const TaskExited& e, absl::Time now, std::vector<Action>& actions) {
  JobRecord* rec = Find(e.job_id);
  if (rec == nullptr) return;
  if (e.attempt == rec->migration_attempt && !IsFinalState(rec->job.state())) {
    // The copy ended before taking over: keep the original.
    EndAttempt(*rec, e.attempt, spillway::v1::JOB_STATE_FAILED,
               absl::StrCat("migration copy exited with ", e.exit_code), false, now, actions);
    rec->migration_attempt = 0;
    return;
  }
  if (e.attempt != rec->current_attempt || IsFinalState(rec->job.state()) ||
      AttemptOf(*rec, e.attempt).has_finish_time()) {
    // A stopped or stale attempt finishing: make sure its resources are gone.
    if (e.attempt >= 1 && e.attempt <= rec->job.attempts_size() &&
        !AttemptOf(*rec, e.attempt).has_finish_time()) {
      EndAttempt(*rec, e.attempt, spillway::v1::JOB_STATE_CANCELLED, "stale attempt exited", false,
                 now, actions);
    }
    return;
  }
  AttemptOf(*rec, e.attempt).set_exit_code(e.exit_code);
  if (e.exit_code == 0 && AttemptOf(*rec, e.attempt).has_start_time()) {
    feedback_.ObserveRunTime(rec->job.spec(),
                             now - TimeOf(AttemptOf(*rec, e.attempt).start_time()));
  }
  const std::string code = absl::StrCat("exited with code ", e.exit_code);
  const std::string reason = e.reason.empty() || absl::StartsWith(e.reason, code)
                                 ? (e.reason.empty() ? code : e.reason)
                                 : absl::StrCat(code, ": ", e.reason);
  if (rec->migration_attempt != 0) {
    EndAttempt(*rec, rec->migration_attempt, spillway::v1::JOB_STATE_CANCELLED,
               "original attempt ended", true, now, actions);
    rec->migration_attempt = 0;
  }
  EndAttempt(*rec, e.attempt,
             e.exit_code == 0 ? spillway::v1::JOB_STATE_SUCCEEDED : spillway::v1::JOB_STATE_FAILED,
             reason, false, now, actions);
  AfterAttempt(*rec, /*infrastructure=*/false, e.exit_code, reason, now);
}

void Core::OnTaskFailed(const TaskFailed& e, absl::Time now, std::vector<Action>& actions) {
  JobRecord* rec = Find(e.job_id);
  if (rec == nullptr) return;
  if (e.attempt >= 1 && e.attempt <= rec->job.attempts_size()) {
    const spillway::v1::Attempt& a = rec->job.attempts(e.attempt - 1);
    if (a.backend() == spillway::v1::BACKEND_ACI && !a.has_start_time() && !a.has_finish_time()) {
      feedback_.ObserveAciCreateOutcome(now, /*failed=*/true, e.reason, policy_);
    }
  }
  if (e.attempt == rec->migration_attempt && !IsFinalState(rec->job.state())) {
    EndAttempt(*rec, e.attempt, spillway::v1::JOB_STATE_FAILED,
               absl::StrCat("migration copy failed: ", e.reason), true, now, actions);
    rec->migration_attempt = 0;
    return;
  }
  if (e.attempt != rec->current_attempt || IsFinalState(rec->job.state()) ||
      AttemptOf(*rec, e.attempt).has_finish_time()) {
    StopStale(e.job_id, e.attempt, actions);
    return;
  }
  // A copy being started elsewhere goes too: the job restarts cleanly, with one live attempt.
  if (rec->migration_attempt != 0) {
    EndAttempt(*rec, rec->migration_attempt, spillway::v1::JOB_STATE_CANCELLED,
               "original attempt failed", true, now, actions);
    rec->migration_attempt = 0;
  }
  // The failed attempt's task (or ACI group) may still exist: stop it so nothing leaks.
  EndAttempt(*rec, e.attempt, spillway::v1::JOB_STATE_FAILED, e.reason, true, now, actions);
  AfterAttempt(*rec, /*infrastructure=*/true, -1, e.reason, now);
}

void Core::OnAciGroupDeleted(const AciGroupDeleted& e, absl::Time now) {
  auto it = groups_.find(e.group_name);
  if (it == groups_.end()) return;
  const AciGroup& group = it->second;
  const int64_t cost = AciCostMicroUsd(group.size, now - group.created, PricesOf(policy_));
  finished_spend_micro_usd_ += cost;
  if (JobRecord* rec = Find(group.job_id);
      rec != nullptr && group.attempt >= 1 && group.attempt <= rec->job.attempts_size()) {
    AttemptOf(*rec, group.attempt).set_cost_micro_usd(cost);
  }
  groups_.erase(it);
  ++groups_version_;
}

}  // namespace spillway
