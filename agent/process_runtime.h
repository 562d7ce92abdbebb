// The `process` runtime: each task runs as a child process under a task monitor (task_monitor.h)
// in its own session and process group, with its working directory, environment and size-capped
// logs under <work_dir>/tasks/<job>.<attempt>/ (task_files.h).
//
//   - Limits: with cgroup v2 available (cgroup_v2.h) each task gets cpu.max and memory.max; a task
//     killed by the OOM killer is reported FAILED "OOM killed: ...". Without it limits are NOT
//     enforced and limits_enforced() says so (limits_note() says why).
//   - Stop: SIGTERM to the job's process group now, SIGKILL to the group (and cgroup.kill) once
//     the grace period has passed. Descendants that leave the process group (setsid) escape
//     unless cgroups are in use.
//   - Restart: Create() finds the tasks of a previous agent on disk; their monitors keep running
//     and still write exit codes, so nothing is lost while the agent is away.
#ifndef SPILLWAY_AGENT_PROCESS_RUNTIME_H_
#define SPILLWAY_AGENT_PROCESS_RUNTIME_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/cgroup_v2.h"
#include "agent/task_runtime.h"
#include "common/clock.h"

namespace spillway {

struct ProcessRuntimeOptions {
  std::string work_dir;
  // How to start a task monitor; the task dir, log cap and cgroup dir are appended. The default
  // re-executes the running binary (spillway-agent) in monitor mode.
  std::vector<std::string> monitor_command = {"/proc/self/exe", "__monitor__"};
  int64_t log_cap_bytes = 8 << 20;  // Per stream (stdout, stderr).
  bool use_cgroups = true;          // Still only if CgroupV2::Detect succeeds.
  std::string cgroup_root = "/sys/fs/cgroup";
  Clock* clock = nullptr;  // Null = RealClock.
};

class ProcessRuntime final : public TaskRuntime {
 public:
  // Creates the work dir if needed and adopts the unreported tasks found there.
  static absl::StatusOr<std::unique_ptr<ProcessRuntime>> Create(ProcessRuntimeOptions options);

  std::string name() const override { return "process"; }
  bool limits_enforced() const override { return cgroup_.has_value(); }
  const std::string& limits_note() const { return limits_note_; }

  absl::Status Start(const spillway::v1::StartTask& start) override;
  void Stop(const TaskKey& key, absl::Duration grace, const std::string& reason) override;
  std::vector<spillway::v1::TaskReport> Check() override;
  void Forget(const TaskKey& key) override;
  absl::StatusOr<std::string> Logs(const TaskKey& key, int64_t max_bytes) override;

  // The job's process group id (0 until the monitor has forked it); for tests.
  int JobPid(const TaskKey& key) const;

 private:
  struct Task {
    TaskKey key;
    std::string dir;
    pid_t monitor_pid = 0;
    bool own_monitor = false;  // Our child (reap with waitpid) or adopted from a previous agent.
    bool monitor_gone = false;
    pid_t pid = 0;
    std::string cgroup_dir;
    bool stop_requested = false;
    bool term_sent = false;
    bool killed = false;
    std::string stop_reason;
    absl::Time kill_at = absl::InfiniteFuture();
    std::optional<spillway::v1::TaskReport> final;
    int64_t memory_limit_mib = 0;
  };

  explicit ProcessRuntime(ProcessRuntimeOptions options) : options_(std::move(options)) {}
  void Adopt(const std::string& dir);
  void Update(Task& task, absl::Time now);
  // The final report from <dir>/exit, if it is there.
  std::optional<spillway::v1::TaskReport> ReadExit(const Task& task) const;
  void Signal(Task& task, int signal);

  const ProcessRuntimeOptions options_;
  std::optional<CgroupV2> cgroup_;
  std::string limits_note_;
  std::map<TaskKey, Task> tasks_;
};

}  // namespace spillway

#endif  // SPILLWAY_AGENT_PROCESS_RUNTIME_H_
