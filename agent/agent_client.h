// The agent's side of AgentService.Connect: one stream at a time to spillwayd, reconnecting with
// exponential back-off (jittered) while tasks keep running. On each connection it registers with
// every task the runtime knows, waits for `registered`, then on one driver thread
//   - carries out start / stop / node-state messages (a reader thread only queues them),
//   - checks the runtime every check_interval and sends each task's state changes,
//   - heartbeats (with usage) every heartbeat interval (the server's value once registered).
// A final state is forgotten by the runtime once it was written to a registered stream.
#ifndef SPILLWAY_AGENT_AGENT_CLIENT_H_
#define SPILLWAY_AGENT_AGENT_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/task_runtime.h"
#include "common/clock.h"
#include "proto/spillway/v1/agent.grpc.pb.h"
#include "scheduler/model/resources.h"

namespace spillway {

struct AgentClientOptions {
  std::string server = "127.0.0.1:50051";
  std::string node_id;
  Resources capacity;
  std::map<std::string, std::string> labels;
  absl::Duration heartbeat_interval = absl::Seconds(5);  // Until the server sends its own.
  absl::Duration check_interval = absl::Milliseconds(200);
  absl::Duration min_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  std::string version = "dev";
};

class AgentClient {
 public:
  // `runtime` must outlive the client and is used only from the thread calling Run().
  AgentClient(AgentClientOptions options, TaskRuntime* runtime, Clock* clock = nullptr);

  // Connects, serves and reconnects until Shutdown(). Tasks are left running.
  void Run();
  // Thread-safe; Run() returns soon after.
  void Shutdown();

 private:
  // One connection. `registered` tells whether it got as far as registration.
  absl::Status RunStream(bool* registered);
  bool WaitForShutdown(absl::Duration timeout);

  const AgentClientOptions options_;
  TaskRuntime* const runtime_;
  Clock* const clock_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<spillway::v1::AgentService::Stub> stub_;
  absl::BitGen bitgen_;

  absl::Mutex mu_;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<spillway::v1::ControllerMessage> inbox_ ABSL_GUARDED_BY(mu_);
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace spillway

#endif  // SPILLWAY_AGENT_AGENT_CLIENT_H_
