// How the agent runs tasks. The agent's one driver thread calls every method (no locking needed
// inside a runtime); none blocks for long (stops are signalled, not awaited).
#ifndef SPILLWAY_AGENT_TASK_RUNTIME_H_
#define SPILLWAY_AGENT_TASK_RUNTIME_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/spillway/v1/agent.pb.h"

namespace spillway {

using TaskKey = std::pair<std::string, int>;  // (job id, attempt)

// A task report with its identity, state, exit code and reason filled in.
inline spillway::v1::TaskReport MakeTaskReport(const TaskKey& key,
                                               spillway::v1::TaskReport::State state,
                                               int exit_code = 0, const std::string& reason = "") {
  spillway::v1::TaskReport report;
  report.set_job_id(key.first);
  report.set_attempt(key.second);
  report.set_state(state);
  report.set_exit_code(exit_code);
  report.set_reason(reason);
  return report;
}

class TaskRuntime {
 public:
  virtual ~TaskRuntime() = default;

  // "process" or "docker".
  virtual std::string name() const = 0;
  // Whether cpu/memory limits are enforced on this machine.
  virtual bool limits_enforced() const = 0;

  // Starts a task. A start for a task the runtime already has is a no-op (OK). An error means
  // the task could not even be set up; it is then reported FAILED by Check() as well.
  virtual absl::Status Start(const spillway::v1::StartTask& start) = 0;
  // Asks the task to stop: SIGTERM (or equivalent) now, SIGKILL once `grace` has passed (applied
  // by Check()). Unknown tasks are ignored.
  virtual void Stop(const TaskKey& key, absl::Duration grace, const std::string& reason) = 0;
  // The state of every task not yet forgotten (starting, running, or final with exit code or
  // failure reason), with usage for live ones. Also escalates overdue stops and reaps.
  virtual std::vector<spillway::v1::TaskReport> Check() = 0;
  // The task's output: stdout, then "[stderr]" and stderr, each the last max_bytes/2 bytes.
  // Also for tasks already forgotten, as long as their logs are on disk.
  virtual absl::StatusOr<std::string> Logs(const TaskKey& key, int64_t max_bytes) = 0;
  // The final state of `key` reached spillwayd: stop reporting it (its logs stay on disk).
  virtual void Forget(const TaskKey& key) = 0;
};

}  // namespace spillway

#endif  // SPILLWAY_AGENT_TASK_RUNTIME_H_
