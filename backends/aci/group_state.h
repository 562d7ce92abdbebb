// Reading a container group as ARM returns it, and mapping its states onto the core's events.
//
//   1. provisioningState Failed → failed (reason: the last Warning event / the operation error).
//   2. The container's currentState Terminated (with an exit code) → exited(code).
//   3. currentState Running, or instanceView.state Running → running.
//   4. Anything else (Pending, Creating, Succeeded without a container state yet) → starting.
//   A group's instanceView appears only in GET results, never in lists.
#ifndef SPILLWAY_BACKENDS_ACI_GROUP_STATE_H_
#define SPILLWAY_BACKENDS_ACI_GROUP_STATE_H_

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/time/time.h"

namespace spillway {

struct GroupView {
  std::string name;
  std::string provisioning_state;  // Pending, Creating, Succeeded, Failed, Deleting, ...
  std::string instance_state;      // instanceView.state: Pending, Running, Succeeded, Failed.
  std::string container_state;     // currentState.state: Waiting, Running, Terminated.
  bool has_exit_code = false;
  int exit_code = 0;
  std::string detail_status;
  absl::Time start_time = absl::InfinitePast();
  absl::Time finish_time = absl::InfinitePast();
  std::string last_warning;  // Message of the last Warning event (group or container).
  std::map<std::string, std::string> tags;
};

// Reads the fields above from a group (GET or list element); `container` picks the container.
GroupView ParseGroupView(const nlohmann::json& group, const std::string& container);

struct GroupVerdict {
  enum class Kind { kStarting, kRunning, kExited, kFailed };
  Kind kind = Kind::kStarting;
  int exit_code = 0;
  std::string reason;
};

GroupVerdict MapGroupState(const GroupView& view);

// RFC 3339 times as ARM writes them ("2026-01-01T00:00:05.123Z"); InfinitePast when unparsable.
absl::Time ParseArmTime(const std::string& text);

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_GROUP_STATE_H_
