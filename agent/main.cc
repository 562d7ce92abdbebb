// spillway-agent: runs on each VM of the pool, connects to spillwayd and runs what it is given.
// See README.md. `spillway-agent __monitor__ ...` is the per-task monitor (task_monitor.h).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/agent_client.h"
#include "agent/docker_runtime.h"
#include "agent/machine_resources.h"
#include "agent/process_runtime.h"
#include "agent/task_monitor.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "spillwayd's gRPC address (host:port)");
ABSL_FLAG(std::string, node_id, "", "Stable node id, [a-z0-9][a-z0-9.-]{0,62}; default: hostname");
ABSL_FLAG(int64_t, cpu_millis, 0, "Declared capacity in millicores; 0 = detect (nproc x 1000)");
ABSL_FLAG(int64_t, memory_mib, 0, "Declared capacity in MiB; 0 = detect (/proc/meminfo)");
ABSL_FLAG(std::string, labels, "", "Node labels: key=value,key2=value2");
ABSL_FLAG(std::string, work_dir, "/var/lib/spillway-agent",
          "Task state, working directories and logs (tasks/<job>.<attempt>/)");
ABSL_FLAG(std::string, runtime, "process", "process | docker");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(5),
          "Heartbeat period until spillwayd sends its own");
ABSL_FLAG(int64_t, log_cap_bytes, 8 << 20, "process runtime: size cap of each of stdout/stderr");
ABSL_FLAG(bool, cgroups, true, "process runtime: enforce limits with cgroup v2 when available");
ABSL_FLAG(std::string, docker_binary, "docker", "docker runtime: the docker CLI");

namespace {

std::string DefaultNodeId() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::string id = absl::AsciiStrToLower(host);
  for (char& c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '-';
  }
  return id.empty() ? "node" : id.substr(0, 63);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == spillway::kMonitorArg) {
    return spillway::RunTaskMonitor(argc, argv);
  }
  absl::SetProgramUsageMessage("spillway-agent --server HOST:PORT --node_id ID [flags]");
  absl::ParseCommandLine(argc, argv);

  // SIGTERM / SIGINT stop the agent (not its tasks); handled by a thread with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  spillway::AgentClientOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  options.node_id = absl::GetFlag(FLAGS_node_id).empty() ? DefaultNodeId()
                                                         : absl::GetFlag(FLAGS_node_id);
  options.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  options.capacity.cpu_millis = absl::GetFlag(FLAGS_cpu_millis) > 0
                                    ? absl::GetFlag(FLAGS_cpu_millis)
                                    : spillway::DetectCpuMillis();
  if (absl::GetFlag(FLAGS_memory_mib) > 0) {
    options.capacity.memory_mib = absl::GetFlag(FLAGS_memory_mib);
  } else {
    absl::StatusOr<int64_t> memory = spillway::DetectMemoryMib();
    if (!memory.ok()) {
      fprintf(stderr, "spillway-agent: %s; pass --memory_mib\n", memory.status().ToString().c_str());
      return 2;
    }
    options.capacity.memory_mib = *memory;
  }
  absl::StatusOr<std::map<std::string, std::string>> labels =
      spillway::ParseLabels(absl::GetFlag(FLAGS_labels));
  if (!labels.ok()) {
    fprintf(stderr, "spillway-agent: %s\n", labels.status().ToString().c_str());
    return 2;
  }
  options.labels = *labels;

  std::unique_ptr<spillway::TaskRuntime> runtime;
  const std::string runtime_name = absl::GetFlag(FLAGS_runtime);
  if (runtime_name == "process") {
    spillway::ProcessRuntimeOptions process;
    process.work_dir = absl::GetFlag(FLAGS_work_dir);
    process.log_cap_bytes = absl::GetFlag(FLAGS_log_cap_bytes);
    process.use_cgroups = absl::GetFlag(FLAGS_cgroups);
    auto created = spillway::ProcessRuntime::Create(process);
    if (!created.ok()) {
      fprintf(stderr, "spillway-agent: %s\n", created.status().ToString().c_str());
      return 2;
    }
    if (!(*created)->limits_enforced()) {
      fprintf(stderr, "spillway-agent: %s\n", (*created)->limits_note().c_str());
    }
    runtime = std::move(*created);
  } else if (runtime_name == "docker") {
    spillway::DockerRuntimeOptions docker;
    docker.work_dir = absl::GetFlag(FLAGS_work_dir);
    docker.docker_binary = absl::GetFlag(FLAGS_docker_binary);
    auto created = spillway::DockerRuntime::Create(docker);
    if (!created.ok()) {
      fprintf(stderr, "spillway-agent: %s\n", created.status().ToString().c_str());
      return 2;
    }
    runtime = std::move(*created);
  } else {
    fprintf(stderr, "spillway-agent: --runtime must be process or docker\n");
    return 2;
  }

  spillway::AgentClient client(options, runtime.get());
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    client.Shutdown();
  });
  signal_thread.detach();
  fprintf(stderr, "spillway-agent[%s]: %s runtime, capacity %s, server %s\n",
          options.node_id.c_str(), runtime->name().c_str(),
          options.capacity.ToString().c_str(), options.server.c_str());
  client.Run();
  return 0;
}
