// The task monitor: a small process between the agent and one job (like containerd's shim). The
// agent execs itself as `spillway-agent __monitor__ <task_dir> <log_cap_bytes> <cgroup_dir|->`
// in a new session; the monitor
//   1. reads and deletes <task_dir>/spec.pb (the StartTask),
//   2. forks the job in its own process group (pgid = its pid), joined to the cgroup if any,
//      working directory <task_dir>/work, environment = PATH + the job's env + SPILLWAY_* vars,
//      stdout/stderr piped back,
//   3. writes <task_dir>/pid, copies output to logs/stdout and logs/stderr up to the cap each
//      (then a "[log truncated]" line and the rest is dropped),
//   4. when the job ends writes <task_dir>/exit ("exited N", "signaled N", "failed <reason>").
// Because it outlives the agent, a restarted agent still learns exit codes. It ignores SIGTERM,
// SIGINT and SIGHUP: stops signal the job's process group, not the monitor.
#ifndef SPILLWAY_AGENT_TASK_MONITOR_H_
#define SPILLWAY_AGENT_TASK_MONITOR_H_

namespace spillway {

inline constexpr char kMonitorArg[] = "__monitor__";

// argv[1] == kMonitorArg. Returns the process exit code.
int RunTaskMonitor(int argc, char** argv);

}  // namespace spillway

#endif  // SPILLWAY_AGENT_TASK_MONITOR_H_
