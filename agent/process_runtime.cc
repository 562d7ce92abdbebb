#include "agent/process_runtime.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/task_files.h"

namespace spillway {
namespace {

using spillway::v1::TaskReport;

TaskReport MakeReport(const TaskKey& key, TaskReport::State state, int exit_code = 0,
                      const std::string& reason = "") {
  return MakeTaskReport(key, state, exit_code, reason);
}

// Alive and not a zombie.
bool ProcessAlive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  absl::StatusOr<std::string> stat = ReadSmallFile(absl::StrCat("/proc/", pid, "/stat"), 512);
  if (!stat.ok()) return false;
  const size_t paren = stat->rfind(')');
  return paren == std::string::npos || paren + 2 >= stat->size() || (*stat)[paren + 2] != 'Z';
}

int64_t ResidentMib(pid_t pid) {
  absl::StatusOr<std::string> statm = ReadSmallFile(absl::StrCat("/proc/", pid, "/statm"), 256);
  if (!statm.ok()) return 0;
  std::vector<std::string> fields = absl::StrSplit(*statm, ' ');
  int64_t pages = 0;
  if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &pages)) return 0;
  return pages * sysconf(_SC_PAGESIZE) / 1048576;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ProcessRuntime>> ProcessRuntime::Create(
    ProcessRuntimeOptions options) {
  if (options.work_dir.empty()) return absl::InvalidArgumentError("work_dir: empty");
  if (options.monitor_command.empty()) {
    return absl::InvalidArgumentError("monitor_command: empty");
  }
  if (options.clock == nullptr) options.clock = RealClock::Get();
  if (absl::Status s = MakeDirs(TasksRoot(options.work_dir)); !s.ok()) return s;
  std::unique_ptr<ProcessRuntime> runtime(new ProcessRuntime(std::move(options)));
  if (runtime->options_.use_cgroups) {
    absl::StatusOr<CgroupV2> cgroup = CgroupV2::Detect(runtime->options_.cgroup_root);
    if (cgroup.ok()) {
      runtime->cgroup_ = *cgroup;
    } else {
      runtime->limits_note_ =
          absl::StrCat("cpu/memory limits not enforced: ", cgroup.status().message());
    }
  } else {
    runtime->limits_note_ = "cpu/memory limits not enforced: cgroups disabled";
  }
  for (const std::string& name : ListDirs(TasksRoot(runtime->options_.work_dir))) {
    runtime->Adopt(TasksRoot(runtime->options_.work_dir) + "/" + name);
  }
  return runtime;
}

void ProcessRuntime::Adopt(const std::string& dir) {
  if (FileExists(dir + "/reported")) return;
  absl::StatusOr<TaskMeta> meta = ReadTaskMeta(dir);
  if (!meta.ok() || meta->runtime != "process") return;
  Task task;
  task.key = meta->key;
  task.dir = dir;
  task.monitor_pid = ReadPidFile(dir + "/monitor_pid");
  task.pid = ReadPidFile(dir + "/pid");
  if (absl::StatusOr<std::string> cg = ReadSmallFile(dir + "/cgroup"); cg.ok()) {
    task.cgroup_dir = std::string(absl::StripAsciiWhitespace(*cg));
  }
  if (absl::StatusOr<std::string> stop = ReadSmallFile(dir + "/stop"); stop.ok()) {
    task.stop_requested = true;
    task.term_sent = true;
    task.stop_reason = *stop;
  }
  if (task.monitor_pid == 0 && !FileExists(dir + "/exit")) {
    task.final = MakeReport(task.key, TaskReport::STATE_FAILED, 0,
                            "the agent restarted before the task started");
  }
  tasks_[task.key] = std::move(task);
}

absl::Status ProcessRuntime::Start(const spillway::v1::StartTask& start) {
  const TaskKey key{start.job_id(), start.attempt()};
  if (tasks_.count(key) > 0) return absl::OkStatus();
  Task& task = tasks_[key];
  task.key = key;
  task.dir = TaskDir(options_.work_dir, key);
  task.memory_limit_mib = start.spec().memory_mib();
  auto fail = [&](const absl::Status& s) {
    task.final = MakeReport(key, TaskReport::STATE_FAILED, 0,
                            absl::StrCat("could not start: ", s.message()));
    return s;
  };
  if (FileExists(task.dir + "/meta")) {
    // The same attempt ran here before (its record was reported and forgotten): never twice.
    task.final = MakeReport(key, TaskReport::STATE_FAILED, 0, "this attempt already ran here");
    return absl::AlreadyExistsError(absl::StrCat(task.dir, " exists"));
  }
  for (const std::string& sub : {task.dir + "/work", task.dir + "/logs"}) {
    if (absl::Status s = MakeDirs(sub); !s.ok()) return fail(s);
  }
  if (absl::Status s = WriteTaskMeta(task.dir, TaskMeta{key, "process"}); !s.ok()) return fail(s);
  if (absl::Status s = WriteFileAtomic(task.dir + "/spec.pb", start.SerializeAsString(), 0600);
      !s.ok()) {
    return fail(s);
  }
  if (cgroup_.has_value()) {
    absl::StatusOr<std::string> group = cgroup_->CreateTaskGroup(
        TaskDirName(key), start.spec().cpu_millis(), start.spec().memory_mib());
    if (group.ok()) {
      task.cgroup_dir = *group;
      (void)WriteFileAtomic(task.dir + "/cgroup", task.cgroup_dir);
    }
  }
  // Everything the child needs is built before fork(): after it only async-signal-safe calls.
  std::vector<std::string> args = options_.monitor_command;
  args.push_back(task.dir);
  args.push_back(absl::StrCat(options_.log_cap_bytes));
  args.push_back(task.cgroup_dir.empty() ? "-" : task.cgroup_dir);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return fail(absl::InternalError(absl::StrCat("fork: ", strerror(errno))));
  if (pid == 0) {
    setsid();
    execv(argv[0], argv.data());
    _exit(127);
  }
  task.monitor_pid = pid;
  task.own_monitor = true;
  // Recorded at once (the monitor writes it too) so an agent restarting now still finds it.
  (void)WriteFileAtomic(task.dir + "/monitor_pid", absl::StrCat(pid, "\n"));
  return absl::OkStatus();
}

void ProcessRuntime::Signal(Task& task, int signal) {
  if (task.pid > 0) killpg(task.pid, signal);
  if (signal == SIGKILL && !task.cgroup_dir.empty()) CgroupV2::KillAll(task.cgroup_dir);
}

void ProcessRuntime::Stop(const TaskKey& key, absl::Duration grace, const std::string& reason) {
  auto it = tasks_.find(key);
  if (it == tasks_.end() || it->second.final.has_value()) return;
  Task& task = it->second;
  if (task.stop_requested) {
    task.kill_at = std::min(task.kill_at, options_.clock->Now() + grace);
    return;
  }
  task.stop_requested = true;
  task.stop_reason = reason;
  task.kill_at = options_.clock->Now() + grace;
  (void)WriteFileAtomic(task.dir + "/stop", reason);
  if (task.pid == 0) task.pid = ReadPidFile(task.dir + "/pid");
  if (task.pid > 0) {
    Signal(task, SIGTERM);
    task.term_sent = true;
  }
}

std::optional<TaskReport> ProcessRuntime::ReadExit(const Task& task) const {
  absl::StatusOr<std::string> text = ReadSmallFile(task.dir + "/exit", 8192);
  if (!text.ok()) return std::nullopt;
  std::string line(absl::StripTrailingAsciiWhitespace(*text));
  const std::string stopped =
      task.stop_requested ? absl::StrCat("stopped: ", task.stop_reason) : "";
  if (!task.cgroup_dir.empty() && CgroupV2::OomKills(task.cgroup_dir) > 0) {
    return MakeReport(task.key, TaskReport::STATE_FAILED, 0,
                      absl::StrCat("OOM killed: exceeded its memory limit",
                                   task.memory_limit_mib > 0
                                       ? absl::StrCat(" of ", task.memory_limit_mib, " MiB")
                                       : ""));
  }
  int n = 0;
  absl::string_view rest = line;
  if (absl::ConsumePrefix(&rest, "exited ") && absl::SimpleAtoi(rest, &n)) {
    return MakeReport(task.key, TaskReport::STATE_EXITED, n, stopped);
  }
  if (absl::ConsumePrefix(&rest, "signaled ") && absl::SimpleAtoi(rest, &n)) {
    return MakeReport(task.key, TaskReport::STATE_EXITED, 128 + n,
                      stopped.empty() ? absl::StrCat("killed by signal ", n) : stopped);
  }
  if (absl::ConsumePrefix(&rest, "failed ")) {
    return MakeReport(task.key, TaskReport::STATE_FAILED, 0, std::string(rest));
  }
  return MakeReport(task.key, TaskReport::STATE_FAILED, 0, "malformed exit record");
}

void ProcessRuntime::Update(Task& task, absl::Time now) {
  if (task.final.has_value()) return;
  if (task.own_monitor && !task.monitor_gone) {
    int status = 0;
    const pid_t r = waitpid(task.monitor_pid, &status, WNOHANG);
    if (r == task.monitor_pid || (r < 0 && errno == ECHILD)) task.monitor_gone = true;
  } else if (!task.own_monitor && !task.monitor_gone) {
    task.monitor_gone = !ProcessAlive(task.monitor_pid);
  }
  if (task.pid == 0) task.pid = ReadPidFile(task.dir + "/pid");
  if (std::optional<TaskReport> exit = ReadExit(task); exit.has_value()) {
    task.final = std::move(exit);
  } else if (task.monitor_gone) {
    // The monitor died without a record: make sure nothing of the job is left.
    Signal(task, SIGKILL);
    task.final = MakeReport(task.key, TaskReport::STATE_FAILED, 0, "the task monitor died");
  }
  if (task.final.has_value()) {
    if (!task.cgroup_dir.empty()) CgroupV2::Remove(task.cgroup_dir);
    return;
  }
  if (task.stop_requested) {
    if (!task.term_sent && task.pid > 0) {
      Signal(task, SIGTERM);
      task.term_sent = true;
    }
    if (!task.killed && now >= task.kill_at) {
      Signal(task, SIGKILL);
      task.killed = task.pid > 0 || !task.cgroup_dir.empty();
    }
  }
}

std::vector<TaskReport> ProcessRuntime::Check() {
  const absl::Time now = options_.clock->Now();
  std::vector<TaskReport> reports;
  for (auto& [key, task] : tasks_) {
    Update(task, now);
    if (task.final.has_value()) {
      reports.push_back(*task.final);
      continue;
    }
    TaskReport report =
        MakeReport(key, task.pid > 0 ? TaskReport::STATE_RUNNING : TaskReport::STATE_STARTING);
    report.mutable_usage()->set_limits_enforced(!task.cgroup_dir.empty());
    if (task.pid > 0) {
      report.mutable_usage()->set_memory_mib(task.cgroup_dir.empty()
                                                 ? ResidentMib(task.pid)
                                                 : CgroupV2::MemoryCurrentMib(task.cgroup_dir));
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

void ProcessRuntime::Forget(const TaskKey& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  Task& task = it->second;
  (void)WriteFileAtomic(task.dir + "/reported", "");
  if (task.own_monitor && !task.monitor_gone && task.monitor_pid > 0) {
    // It exits right after writing the exit record; reap it so no zombie stays behind.
    int status = 0;
    waitpid(task.monitor_pid, &status, 0);
  }
  tasks_.erase(it);
}

absl::StatusOr<std::string> ProcessRuntime::Logs(const TaskKey& key, int64_t max_bytes) {
  const std::string dir = TaskDir(options_.work_dir, key);
  if (!FileExists(dir + "/logs")) {
    return absl::NotFoundError(absl::StrCat("no logs for ", key.first, " attempt ", key.second));
  }
  std::string out = ReadFileTail(dir + "/logs/stdout", max_bytes / 2);
  const std::string err = ReadFileTail(dir + "/logs/stderr", max_bytes / 2);
  if (!err.empty()) absl::StrAppend(&out, out.empty() || out.back() == '\n' ? "" : "\n",
                                    "[stderr]\n", err);
  return out;
}

int ProcessRuntime::JobPid(const TaskKey& key) const {
  auto it = tasks_.find(key);
  return it == tasks_.end() ? 0 : it->second.pid;
}

}  // namespace spillway
