// Events into the core. Time arrives inside every event; the core never reads a clock.
#ifndef SPILLWAY_SCHEDULER_CORE_EVENTS_H_
#define SPILLWAY_SCHEDULER_CORE_EVENTS_H_

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "proto/spillway/v1/admin.pb.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "scheduler/model/resources.h"

namespace spillway {

// --- Commands from clients and operators (may be refused with a Status) ---
struct JobSubmitted {
  spillway::v1::JobSpec spec;   // Already validated at the edge.
  std::string idempotency_key;  // Empty = none.
};
struct JobCancelled {
  std::string job_id;
  std::string reason;
};
struct PolicyChanged {
  spillway::v1::Policy policy;  // Already validated; version is ignored.
  int64_t expected_version = 0;
  std::string caller;
};
struct NodeCordoned {
  std::string node_id;
  bool cordoned = true;  // false = uncordon
};
struct NodeDrainRequested {
  std::string node_id;
};

// --- Reports from backends ---
struct NodeUp {  // Registers a node or brings it back; capacity and labels replace the old ones.
  std::string node_id;
  Resources capacity;
  std::map<std::string, std::string> labels;
};
struct NodeDown {
  std::string node_id;
  std::string reason;
};
struct TaskStarting {  // The backend is starting the attempt (image pull, provisioning).
  std::string job_id;
  int attempt = 0;
};
struct TaskRunning {
  std::string job_id;
  int attempt = 0;
};
struct TaskExited {  // The job's process ended with an exit code.
  std::string job_id;
  int attempt = 0;
  int exit_code = 0;
  std::string reason;
};
struct TaskFailed {  // The infrastructure failed the attempt (create error, node lost, OOM kill...).
  std::string job_id;
  int attempt = 0;
  std::string reason;
};
struct AciGroupDeleted {  // The container group is gone (billing stopped).
  std::string group_name;
};
struct Tick {};  // Time passed; lets back-offs, windows and budgets move on.

// --- Recovery (after spillwayd restarted and replayed its log) ---
// The core places nothing new until every listed backend reported its inventory, or until
// `deadline` (then backends that stayed silent are trusted as they were).
struct RecoveryStarted {
  std::vector<spillway::v1::Backend> backends;
  absl::Time deadline;
};
// What a backend really runs. Live attempts missing from it were lost while spillwayd was down
// (they are retried); tasks and groups the core does not run anymore are stopped or deleted.
struct TaskRef {
  std::string job_id;
  int attempt = 0;
  std::string node_id;  // VM tasks.
};
struct BackendInventory {
  spillway::v1::Backend backend = spillway::v1::BACKEND_UNSPECIFIED;
  std::vector<TaskRef> tasks;            // BACKEND_VM
  std::vector<std::string> aci_groups;   // BACKEND_ACI: container groups tagged as this cluster's
};

using EventBody = std::variant<JobSubmitted, JobCancelled, PolicyChanged, NodeCordoned,
                               NodeDrainRequested, NodeUp, NodeDown, TaskStarting, TaskRunning,
                               TaskExited, TaskFailed, AciGroupDeleted, Tick, RecoveryStarted,
                               BackendInventory>;

struct Event {
  absl::Time time;
  EventBody body;
};

// A short name for logs and tests ("JobSubmitted", "Tick", ...).
const char* EventName(const EventBody& body);

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_CORE_EVENTS_H_
