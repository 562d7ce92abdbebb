// Actions out of the core, carried out by backends (which report back with events).
#ifndef SPILLWAY_SCHEDULER_CORE_ACTIONS_H_
#define SPILLWAY_SCHEDULER_CORE_ACTIONS_H_

#include <string>
#include <variant>

#include "proto/spillway/v1/admin.pb.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "scheduler/model/resources.h"

namespace spillway {

// Start attempt `attempt` of a job on a VM node (the node's agent runs it).
struct StartVmTask {
  std::string job_id;
  int attempt = 0;
  std::string node_id;
  spillway::v1::JobSpec spec;  // With secret values: backends need them.
};
struct StopVmTask {
  std::string job_id;
  int attempt = 0;
  std::string node_id;
  std::string reason;
};
// Create an ACI container group for an attempt. The name is deterministic from the job id and
// attempt, so a retried PUT is idempotent.
struct CreateAciGroup {
  std::string job_id;
  int attempt = 0;
  std::string group_name;
  spillway::v1::JobSpec spec;
  Resources resources;
  bool spot = false;
};
struct DeleteAciGroup {
  std::string job_id;
  int attempt = 0;
  std::string group_name;
  std::string reason;
};

// Tell a node's agent that an operator cordoned, uncordoned or drained it (for its own display
// and local decisions; the core already stopped placing work there).
struct SetNodeState {
  std::string node_id;
  spillway::v1::NodeState state = spillway::v1::NODE_STATE_READY;
};

using Action =
    std::variant<StartVmTask, StopVmTask, CreateAciGroup, DeleteAciGroup, SetNodeState>;

// One line describing an action, for logs and determinism tests (no secrets).
std::string DescribeAction(const Action& action);

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_CORE_ACTIONS_H_
