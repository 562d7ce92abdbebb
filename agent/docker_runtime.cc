#include "agent/docker_runtime.h"

#include <sys/wait.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/subprocess.h"
#include "agent/task_files.h"

namespace spillway {
namespace {

using spillway::v1::TaskReport;

// Docker enforces --cpus / --memory itself.
TaskReport MakeReport(const TaskKey& key, TaskReport::State state, int exit_code = 0,
                      const std::string& reason = "") {
  TaskReport report = MakeTaskReport(key, state, exit_code, reason);
  report.mutable_usage()->set_limits_enforced(true);
  return report;
}

}  // namespace

std::string DockerRuntime::ContainerName(const TaskKey& key) {
  return absl::StrCat("spillway-", TaskDirName(key));
}

absl::StatusOr<std::unique_ptr<DockerRuntime>> DockerRuntime::Create(
    DockerRuntimeOptions options) {
  if (options.work_dir.empty()) return absl::InvalidArgumentError("work_dir: empty");
  if (absl::Status s = MakeDirs(TasksRoot(options.work_dir)); !s.ok()) return s;
  std::unique_ptr<DockerRuntime> runtime(new DockerRuntime(std::move(options)));
  const std::string root = TasksRoot(runtime->options_.work_dir);
  for (const std::string& name : ListDirs(root)) {
    const std::string dir = root + "/" + name;
    if (FileExists(dir + "/reported")) continue;
    absl::StatusOr<TaskMeta> meta = ReadTaskMeta(dir);
    if (!meta.ok() || meta->runtime != "docker") continue;
    Task task;
    task.key = meta->key;
    task.dir = dir;
    if (absl::StatusOr<std::string> stop = ReadSmallFile(dir + "/stop"); stop.ok()) {
      task.stop_requested = true;
      task.stop_reason = *stop;
    }
    runtime->tasks_[task.key] = std::move(task);
  }
  return runtime;
}

DockerRuntime::~DockerRuntime() {
  for (pid_t pid : helpers_) {
    int status = 0;
    waitpid(pid, &status, 0);
  }
}

void DockerRuntime::Spawn(std::vector<std::string> argv) {
  absl::StatusOr<pid_t> pid = SpawnCommand(argv);
  if (pid.ok()) helpers_.push_back(*pid);
}

absl::Status DockerRuntime::Start(const spillway::v1::StartTask& start) {
  const TaskKey key{start.job_id(), start.attempt()};
  if (tasks_.count(key) > 0) return absl::OkStatus();
  Task& task = tasks_[key];
  task.key = key;
  task.dir = TaskDir(options_.work_dir, key);
  auto fail = [&](const std::string& why) {
    task.final = MakeReport(key, TaskReport::STATE_FAILED, 0, absl::StrCat("could not start: ", why));
    return absl::FailedPreconditionError(why);
  };
  const auto& spec = start.spec();
  if (spec.image().empty()) return fail("the docker runtime needs an image");
  if (absl::Status s = MakeDirs(task.dir); !s.ok()) return fail(std::string(s.message()));
  if (absl::Status s = WriteTaskMeta(task.dir, TaskMeta{key, "docker"}); !s.ok()) {
    return fail(std::string(s.message()));
  }
  std::string env;
  for (const auto& e : spec.env()) absl::StrAppend(&env, e.name(), "=", e.value(), "\n");
  const std::string env_file = task.dir + "/env";
  if (absl::Status s = WriteFileAtomic(env_file, env, 0600); !s.ok()) {
    return fail(std::string(s.message()));
  }
  std::vector<std::string> argv = {
      options_.docker_binary, "run", "-d", "--name", ContainerName(key),
      "--cpus", absl::StrFormat("%d.%03d", spec.cpu_millis() / 1000, spec.cpu_millis() % 1000),
      "--memory", absl::StrCat(spec.memory_mib(), "m"),
      "--env-file", env_file,
      "--label", absl::StrCat("spillway.job=", key.first),
      "--label", absl::StrCat("spillway.attempt=", key.second)};
  if (spec.command_size() > 0) {
    argv.push_back("--entrypoint");
    argv.push_back(spec.command(0));
  }
  argv.push_back(spec.image());
  for (int i = 1; i < spec.command_size(); ++i) argv.push_back(spec.command(i));
  for (const auto& a : spec.args()) argv.push_back(a);
  absl::StatusOr<CommandResult> run = RunCommand(argv);
  if (!run.ok()) return fail(std::string(run.status().message()));
  if (run->exit_code != 0) {
    return fail(absl::StrCat("docker run exited with ", run->exit_code, ": ",
                             absl::StripAsciiWhitespace(run->output)));
  }
  return absl::OkStatus();
}

void DockerRuntime::Stop(const TaskKey& key, absl::Duration grace, const std::string& reason) {
  auto it = tasks_.find(key);
  if (it == tasks_.end() || it->second.final.has_value() || it->second.stop_requested) return;
  it->second.stop_requested = true;
  it->second.stop_reason = reason;
  (void)WriteFileAtomic(it->second.dir + "/stop", reason);
  Spawn({options_.docker_binary, "stop", "--time",
         absl::StrCat(std::max<int64_t>(0, absl::ToInt64Seconds(grace))), ContainerName(key)});
}

std::vector<TaskReport> DockerRuntime::Check() {
  helpers_.erase(std::remove_if(helpers_.begin(), helpers_.end(), ReapIfDone), helpers_.end());
  std::vector<TaskReport> reports;
  for (auto& [key, task] : tasks_) {
    if (task.final.has_value()) {
      reports.push_back(*task.final);
      continue;
    }
    absl::StatusOr<CommandResult> inspect = RunCommand(
        {options_.docker_binary, "inspect", "--format",
         "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}", ContainerName(key)});
    if (!inspect.ok()) {
      reports.push_back(MakeReport(key, TaskReport::STATE_RUNNING));  // Try again later.
      continue;
    }
    std::vector<std::string> fields =
        absl::StrSplit(absl::StripAsciiWhitespace(inspect->output), ' ', absl::SkipEmpty());
    int exit_code = 0;
    if (inspect->exit_code != 0 || fields.size() < 3 ||
        !absl::SimpleAtoi(fields[1], &exit_code)) {
      task.final = MakeReport(key, TaskReport::STATE_FAILED, 0,
                              absl::StrCat("container ", ContainerName(key), " vanished"));
    } else if (fields[0] == "exited" || fields[0] == "dead") {
      const std::string stopped =
          task.stop_requested ? absl::StrCat("stopped: ", task.stop_reason) : "";
      task.final = fields[2] == "true"
                       ? MakeReport(key, TaskReport::STATE_FAILED, 0,
                                    "OOM killed: exceeded its memory limit")
                       : MakeReport(key, TaskReport::STATE_EXITED, exit_code, stopped);
      Spawn({options_.docker_binary, "rm", ContainerName(key)});
    } else {
      reports.push_back(MakeReport(key, fields[0] == "created" ? TaskReport::STATE_STARTING
                                                              : TaskReport::STATE_RUNNING));
      continue;
    }
    reports.push_back(*task.final);
  }
  return reports;
}

absl::StatusOr<std::string> DockerRuntime::Logs(const TaskKey& key, int64_t max_bytes) {
  absl::StatusOr<CommandResult> logs =
      RunCommand({options_.docker_binary, "logs", "--tail", "1000", ContainerName(key)});
  if (!logs.ok()) return logs.status();
  if (logs->exit_code != 0) {
    return absl::NotFoundError(absl::StrCat("docker logs: ", absl::StripAsciiWhitespace(logs->output)));
  }
  std::string out = std::move(logs->output);
  if (static_cast<int64_t>(out.size()) > max_bytes) out = out.substr(out.size() - max_bytes);
  return out;
}

void DockerRuntime::Forget(const TaskKey& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  (void)WriteFileAtomic(it->second.dir + "/reported", "");
  tasks_.erase(it);
}

}  // namespace spillway
