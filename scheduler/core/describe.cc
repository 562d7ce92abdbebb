#include "absl/strings/str_cat.h"
#include "scheduler/core/actions.h"
#include "scheduler/core/events.h"

namespace spillway {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

const char* EventName(const EventBody& body) {
  static const char* const kNames[] = {
      "JobSubmitted", "JobCancelled", "PolicyChanged", "NodeCordoned", "NodeDrainRequested",
      "NodeUp",       "NodeDown",     "TaskStarting",  "TaskRunning",  "TaskExited",
      "TaskFailed",   "AciGroupDeleted", "Tick",        "RecoveryStarted", "BackendInventory"};
  return kNames[body.index()];
}

std::string DescribeAction(const Action& action) {
  return std::visit(
      Overloaded{
          [](const StartVmTask& a) {
            return absl::StrCat("StartVmTask ", a.job_id, "#", a.attempt, " on ", a.node_id);
          },
          [](const StopVmTask& a) {
            return absl::StrCat("StopVmTask ", a.job_id, "#", a.attempt, " on ", a.node_id, " (",
                                a.reason, ")");
          },
          [](const CreateAciGroup& a) {
            return absl::StrCat("CreateAciGroup ", a.group_name, " for ", a.job_id, "#", a.attempt,
                                " ", a.resources.ToString(), a.spot ? " spot" : "");
          },
          [](const DeleteAciGroup& a) {
            return absl::StrCat("DeleteAciGroup ", a.group_name, " (", a.reason, ")");
          },
          [](const SetNodeState& a) {
            return absl::StrCat("SetNodeState ", a.node_id, " ",
                                spillway::v1::NodeState_Name(a.state));
          },
      },
      action);
}

}  // namespace spillway
