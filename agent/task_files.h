// The on-disk layout of one task under the agent's work dir, shared by the runtimes, the task
// monitor and a restarted agent (which finds its tasks again here):
//
//   <work_dir>/tasks/<job_id>.<attempt>/
//     meta          "job_id\nattempt\nruntime\n"           written by the agent before the start
//     spec.pb       StartTask (with secrets, mode 0600)   read and deleted by the monitor
//     monitor_pid   the monitor's pid                     written by the agent right after fork
//     pid           the job's pid = its process group     written by the monitor after fork
//     exit          "exited N" | "signaled N" | "failed <reason>"   written once, atomically
//     stop          "reason" when a stop was requested    written by the agent
//     reported      present once the final state reached spillwayd
//     work/         the job's working directory
//     logs/stdout, logs/stderr   size-capped
#ifndef SPILLWAY_AGENT_TASK_FILES_H_
#define SPILLWAY_AGENT_TASK_FILES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/task_runtime.h"

namespace spillway {

// "<job_id>.<attempt>" with every character outside [A-Za-z0-9_-] replaced by '_'.
std::string TaskDirName(const TaskKey& key);
std::string TaskDir(absl::string_view work_dir, const TaskKey& key);
std::string TasksRoot(absl::string_view work_dir);

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 65536);
// Writes `path`.tmp then renames it over `path`.
absl::Status WriteFileAtomic(const std::string& path, absl::string_view contents, int mode = 0644);
absl::Status MakeDirs(const std::string& path);
bool FileExists(const std::string& path);
// Names of the directories directly under `dir` (empty if it does not exist).
std::vector<std::string> ListDirs(const std::string& dir);

struct TaskMeta {
  TaskKey key;
  std::string runtime;
};
absl::Status WriteTaskMeta(const std::string& task_dir, const TaskMeta& meta);
absl::StatusOr<TaskMeta> ReadTaskMeta(const std::string& task_dir);

// The last `max_bytes` bytes of `path` (empty if it does not exist).
std::string ReadFileTail(const std::string& path, int64_t max_bytes);

// Reads a decimal pid file; 0 when absent or unreadable.
int ReadPidFile(const std::string& path);

}  // namespace spillway

#endif  // SPILLWAY_AGENT_TASK_FILES_H_
