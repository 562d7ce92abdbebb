#include "store/event_codec.h"

#include <utility>

namespace spillway {
namespace {

using spillway::store::v1::TaskRec;
using spillway::store::v1::WalEvent;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void SetTask(TaskRec* rec, const std::string& job_id, int attempt, int exit_code,
             const std::string& reason) {
  rec->set_job_id(job_id);
  rec->set_attempt(attempt);
  rec->set_exit_code(exit_code);
  rec->set_reason(reason);
}

}  // namespace

WalEvent EncodeEvent(const Event& event) {
  WalEvent out;
  out.set_time_unix_nanos(absl::ToUnixNanos(event.time));
  std::visit(
      Overloaded{
          [&](const JobSubmitted& e) {
            auto* r = out.mutable_job_submitted();
            *r->mutable_spec() = e.spec;
            r->set_idempotency_key(e.idempotency_key);
          },
          [&](const JobCancelled& e) {
            out.mutable_job_cancelled()->set_job_id(e.job_id);
            out.mutable_job_cancelled()->set_reason(e.reason);
          },
          [&](const PolicyChanged& e) {
            auto* r = out.mutable_policy_changed();
            *r->mutable_policy() = e.policy;
            r->set_expected_version(e.expected_version);
            r->set_caller(e.caller);
          },
          [&](const NodeCordoned& e) {
            out.mutable_node_cordoned()->set_node_id(e.node_id);
            out.mutable_node_cordoned()->set_cordoned(e.cordoned);
          },
          [&](const NodeDrainRequested& e) {
            out.mutable_node_drain_requested()->set_node_id(e.node_id);
          },
          [&](const NodeUp& e) {
            auto* r = out.mutable_node_up();
            r->set_node_id(e.node_id);
            r->mutable_capacity()->set_cpu_millis(e.capacity.cpu_millis);
            r->mutable_capacity()->set_memory_mib(e.capacity.memory_mib);
            for (const auto& [k, v] : e.labels) (*r->mutable_labels())[k] = v;
          },
          [&](const NodeDown& e) {
            out.mutable_node_down()->set_node_id(e.node_id);
            out.mutable_node_down()->set_reason(e.reason);
          },
          [&](const TaskStarting& e) { SetTask(out.mutable_task_starting(), e.job_id, e.attempt, 0, ""); },
          [&](const TaskRunning& e) { SetTask(out.mutable_task_running(), e.job_id, e.attempt, 0, ""); },
          [&](const TaskExited& e) {
            SetTask(out.mutable_task_exited(), e.job_id, e.attempt, e.exit_code, e.reason);
          },
          [&](const TaskFailed& e) {
            SetTask(out.mutable_task_failed(), e.job_id, e.attempt, 0, e.reason);
          },
          [&](const AciGroupDeleted& e) {
            out.mutable_aci_group_deleted()->set_group_name(e.group_name);
          },
          [&](const Tick&) { out.mutable_tick(); },
          [&](const RecoveryStarted& e) {
            auto* r = out.mutable_recovery_started();
            for (auto b : e.backends) r->add_backends(static_cast<int>(b));
            r->set_deadline_unix_nanos(absl::ToUnixNanos(e.deadline));
          },
          [&](const BackendInventory& e) {
            auto* r = out.mutable_backend_inventory();
            r->set_backend(static_cast<int>(e.backend));
            for (const TaskRef& t : e.tasks) {
              auto* tr = r->add_tasks();
              tr->set_job_id(t.job_id);
              tr->set_attempt(t.attempt);
              tr->set_node_id(t.node_id);
            }
            for (const std::string& g : e.aci_groups) r->add_aci_groups(g);
          },
      },
      event.body);
  return out;
}

absl::StatusOr<Event> DecodeEvent(const WalEvent& r) {
  Event e;
  e.time = absl::FromUnixNanos(r.time_unix_nanos());
  switch (r.body_case()) {
    case WalEvent::kJobSubmitted:
      e.body = JobSubmitted{r.job_submitted().spec(), r.job_submitted().idempotency_key()};
      break;
    case WalEvent::kJobCancelled:
      e.body = JobCancelled{r.job_cancelled().job_id(), r.job_cancelled().reason()};
      break;
    case WalEvent::kPolicyChanged:
      e.body = PolicyChanged{r.policy_changed().policy(), r.policy_changed().expected_version(),
                             r.policy_changed().caller()};
      break;
    case WalEvent::kNodeCordoned:
      e.body = NodeCordoned{r.node_cordoned().node_id(), r.node_cordoned().cordoned()};
      break;
    case WalEvent::kNodeDrainRequested:
      e.body = NodeDrainRequested{r.node_drain_requested().node_id()};
      break;
    case WalEvent::kNodeUp: {
      NodeUp up;
      up.node_id = r.node_up().node_id();
      up.capacity = Resources{r.node_up().capacity().cpu_millis(),
                              r.node_up().capacity().memory_mib()};
      for (const auto& [k, v] : r.node_up().labels()) up.labels[k] = v;
      e.body = std::move(up);
      break;
    }
    case WalEvent::kNodeDown:
      e.body = NodeDown{r.node_down().node_id(), r.node_down().reason()};
      break;
    case WalEvent::kTaskStarting:
      e.body = TaskStarting{r.task_starting().job_id(), r.task_starting().attempt()};
      break;
    case WalEvent::kTaskRunning:
      e.body = TaskRunning{r.task_running().job_id(), r.task_running().attempt()};
      break;
    case WalEvent::kTaskExited:
      e.body = TaskExited{r.task_exited().job_id(), r.task_exited().attempt(),
                          r.task_exited().exit_code(), r.task_exited().reason()};
      break;
    case WalEvent::kTaskFailed:
      e.body = TaskFailed{r.task_failed().job_id(), r.task_failed().attempt(),
                          r.task_failed().reason()};
      break;
    case WalEvent::kAciGroupDeleted:
      e.body = AciGroupDeleted{r.aci_group_deleted().group_name()};
      break;
    case WalEvent::kTick:
      e.body = Tick{};
      break;
    case WalEvent::kRecoveryStarted: {
      RecoveryStarted rs;
      for (int b : r.recovery_started().backends()) {
        rs.backends.push_back(static_cast<spillway::v1::Backend>(b));
      }
      rs.deadline = absl::FromUnixNanos(r.recovery_started().deadline_unix_nanos());
      e.body = std::move(rs);
      break;
    }
    case WalEvent::kBackendInventory: {
      BackendInventory inv;
      inv.backend = static_cast<spillway::v1::Backend>(r.backend_inventory().backend());
      for (const auto& t : r.backend_inventory().tasks()) {
        inv.tasks.push_back(TaskRef{t.job_id(), t.attempt(), t.node_id()});
      }
      inv.aci_groups.assign(r.backend_inventory().aci_groups().begin(),
                            r.backend_inventory().aci_groups().end());
      e.body = std::move(inv);
      break;
    }
    default:
      return absl::DataLossError("store: an event record has no body this version understands");
  }
  return e;
}

}  // namespace spillway
