// The `docker` runtime: drives the docker CLI for image-based jobs.
//   start: docker run -d --name spillway-<job>.<attempt> --cpus C --memory Mm --env-file F
//          --label spillway.job=ID --label spillway.attempt=N [--entrypoint CMD0] IMAGE [CMD1.. ARGS..]
//   state: docker inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}'
//   stop:  docker stop --time <grace seconds> (the engine sends SIGTERM, then SIGKILL)
//   after the final state is known: docker rm
// Limits are enforced by the engine (--cpus, --memory); an OOM kill is reported FAILED. Logs stay
// with the engine (docker logs). Secrets go through a 0600 env file, never the command line.
// Containers outlive the agent; a restarted agent finds them through its task dirs.
#ifndef SPILLWAY_AGENT_DOCKER_RUNTIME_H_
#define SPILLWAY_AGENT_DOCKER_RUNTIME_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/task_runtime.h"

namespace spillway {

struct DockerRuntimeOptions {
  std::string work_dir;
  std::string docker_binary = "docker";  // Searched in PATH.
};

class DockerRuntime final : public TaskRuntime {
 public:
  static absl::StatusOr<std::unique_ptr<DockerRuntime>> Create(DockerRuntimeOptions options);
  ~DockerRuntime() override;

  std::string name() const override { return "docker"; }
  bool limits_enforced() const override { return true; }

  absl::Status Start(const spillway::v1::StartTask& start) override;
  void Stop(const TaskKey& key, absl::Duration grace, const std::string& reason) override;
  std::vector<spillway::v1::TaskReport> Check() override;
  void Forget(const TaskKey& key) override;
  // `docker logs --tail` of the container while it exists (removed once finished).
  absl::StatusOr<std::string> Logs(const TaskKey& key, int64_t max_bytes) override;

  static std::string ContainerName(const TaskKey& key);

 private:
  struct Task {
    TaskKey key;
    std::string dir;
    bool stop_requested = false;
    std::string stop_reason;
    std::optional<spillway::v1::TaskReport> final;
  };

  explicit DockerRuntime(DockerRuntimeOptions options) : options_(std::move(options)) {}
  void Spawn(std::vector<std::string> argv);

  const DockerRuntimeOptions options_;
  std::map<TaskKey, Task> tasks_;
  std::vector<pid_t> helpers_;  // docker stop / rm still running; reaped by Check().
};

}  // namespace spillway

#endif  // SPILLWAY_AGENT_DOCKER_RUNTIME_H_
