// The VM pool made of real machines: each runs spillway-agent, which keeps one AgentService.Connect
// stream open to spillwayd. VmPoolBackend is both the Backend the event loop drives and the gRPC
// service the agents connect to (serve it via SpillwaydOptions.extra_services).
//
// Behaviour:
//   1. Register (first message) → NodeUp with the declared capacity and labels; the agent gets
//      `registered` (with the heartbeat interval), then any queued messages and its node state.
//      Tasks listed in the registration that this backend started on that node are reported to
//      the core as they are (the core adopts the current attempt and stops stale ones); tasks it
//      never started there get a stop at once; finished ones it does not know are ignored. Tasks
//      it had delivered to the node that the agent no longer lists fail ("lost by the agent").
//   2. Heartbeats and any message refresh the node's deadline. No message for heartbeat_timeout
//      (Clock time) → NodeDown at the next Poll; the stream, if still open, is ended; the core
//      fails and reschedules the node's attempts. The agent reconnecting later is (1) again.
//   3. StartVmTask for a node that is up but disconnected is queued and delivered when it
//      reconnects (if it reconnects before its timeout; at NodeDown the queue is dropped — the
//      core has failed those attempts). For a node unknown or down: TaskFailed at once.
//      StopVmTask and SetNodeState are queued the same way, also for a node that is down, and
//      delivered when it registers again (stops are idempotent on the agent); queued starts are
//      dropped at NodeDown, queued stops are kept.
//   4. Recovery: `inventory_delay` after its first Poll the backend reports one BackendInventory
//      of every task agents registered with so far. Until then a task an agent reports that this
//      (fresh) backend never started is adopted and forwarded, so a core recovered from the store
//      keeps its live attempts; the inventory lets it fail attempts nobody reported and stop
//      tasks it does not run. After the inventory such tasks are stopped at once (5).
//   5. Validation: a malformed or oversized message, a first message that is not a register, a
//      second register, an impossible capacity → the stream ends with INVALID_ARGUMENT. A second
//      stream for a node id that is connected → ALREADY_EXISTS (the first stays). A task report
//      for a task not started on that node is dropped (a running one gets a stop) and counted in
//      rejected_reports(). Nothing an agent sends reaches the core unchecked.
// Thread-safe: the call queue's thread and the loop thread share one mutex; no gRPC call is made under it.
#ifndef SPILLWAY_BACKENDS_VM_POOL_VM_POOL_BACKEND_H_
#define SPILLWAY_BACKENDS_VM_POOL_VM_POOL_BACKEND_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backends/backend.h"
#include "backends/vm_pool/agent_stream.h"
#include "backends/vm_pool/vm_pool_config.h"
#include "common/clock.h"
#include "proto/spillway/v1/agent.grpc.pb.h"
#include "rpc/call_queue.h"

namespace spillway {

// One node as the backend sees it (for tests and the admin view).
struct AgentNodeStatus {
  std::string node_id;
  bool connected = false;  // A registered stream is open.
  bool up = false;         // NodeUp reported and no NodeDown since.
  Resources capacity;
  int tasks = 0;           // Tasks assigned there and not finished.
  bool limits_enforced = false;
  absl::Time last_heard;
};

class VmPoolBackend final : public Backend,
                            public spillway::v1::AgentService::AsyncService,
                            public rpc::QueueService,
                            private AgentStreamHandler {
 public:
  // `clock` must outlive the backend. `config` must pass ValidateVmPoolAgentsConfig.
  VmPoolBackend(VmPoolAgentsConfig config, Clock* clock);
  ~VmPoolBackend() override;

  VmPoolBackend(const VmPoolBackend&) = delete;
  VmPoolBackend& operator=(const VmPoolBackend&) = delete;

  // Backend: StartVmTask, StopVmTask, SetNodeState.
  bool Handles(const Action& action) const override;
  void Execute(const Action& action, absl::Time now) override;
  std::vector<Event> Poll(absl::Time now) override;
  absl::Time NextEventTime() const override;
  void SetWakeup(std::function<void()> wakeup) override;

  // AgentService's Connect streams, on spillwayd's call queue.
  grpc::Service* grpc_service() override { return this; }
  void Listen(rpc::CallQueue* queue) override;

  // A task's output, fetched from its node's agent (stdout, then "[stderr]" and stderr, the tail
  // of each). Blocks up to `timeout`: call it on a thread of its own (it is the JobService's
  // `vm_logs` hook), never the loop's. UNAVAILABLE when the node is not connected,
  // DEADLINE_EXCEEDED when the agent does not answer in time, NOT_FOUND from the agent.
  absl::StatusOr<std::string> FetchLogs(const std::string& node_id, const std::string& job_id,
                                        int attempt, absl::Duration timeout = absl::Seconds(10))
      ABSL_LOCKS_EXCLUDED(mu_);

  // Queries.
  std::vector<AgentNodeStatus> Nodes() const;
  bool inventory_sent() const;
  int64_t rejected_reports() const;
  int64_t rejected_streams() const;

 private:
  using TaskKey = std::pair<std::string, int>;  // (job id, attempt)

  struct Task {
    std::string node_id;
    bool delivered = false;  // The start reached a live stream (else it sits in the queue).
  };
  struct Node {
    std::string id;
    Resources capacity;
    std::map<std::string, std::string> labels;
    std::shared_ptr<AgentLink> link;  // Registered stream; null when disconnected.
    bool up = false;
    bool limits_enforced = false;
    absl::Time last_heard;
    std::deque<spillway::v1::ControllerMessage> queued;  // While disconnected.
    spillway::v1::NodeState state = spillway::v1::NODE_STATE_READY;
  };
  // One FetchLogs waiting for its LogsReply.
  struct LogsWaiter {
    std::string node_id;  // Only this node may answer.
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
    absl::StatusOr<std::string> result ABSL_GUARDED_BY(mu);
  };
  // Work to do once the mutex is released.
  struct Outgoing {
    std::vector<std::pair<std::shared_ptr<AgentLink>, spillway::v1::ControllerMessage>> sends;
    std::vector<std::pair<std::shared_ptr<AgentLink>, absl::Status>> closes;
    bool wake = false;
  };

  absl::Status OnAgentMessage(const std::shared_ptr<AgentLink>& link,
                              const spillway::v1::AgentMessage& message) override;
  void OnAgentGone(const std::shared_ptr<AgentLink>& link) override;

  absl::Status OnRegister(const std::shared_ptr<AgentLink>& link,
                          const spillway::v1::RegisterRequest& request, absl::Time now,
                          Outgoing& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A task report from a registered node; false when it was rejected.
  bool OnTaskReport(Node& node, const spillway::v1::TaskReport& report, absl::Time now,
                    Outgoing& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A registered stream that is not closing (one whose agent just left may not be gone yet).
  static bool Connected(const Node& node);
  // Sends when connected, else queues for the next registration.
  void Deliver(Node& node, spillway::v1::ControllerMessage message, Outgoing& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Report(absl::Time time, EventBody body, Outgoing& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Flush(Outgoing& out) ABSL_LOCKS_EXCLUDED(mu_);
  static spillway::v1::ControllerMessage StopMessage(const std::string& job_id, int attempt,
                                                     const std::string& reason,
                                                     absl::Duration grace);

  const VmPoolAgentsConfig config_;
  Clock* const clock_;

  mutable absl::Mutex mu_;
  std::map<std::string, Node> nodes_ ABSL_GUARDED_BY(mu_);
  std::map<TaskKey, Task> tasks_ ABSL_GUARDED_BY(mu_);
  // Registered links → node id (a link appears here only after a valid register).
  std::map<uint64_t, std::string> link_nodes_ ABSL_GUARDED_BY(mu_);
  std::vector<Event> outbox_ ABSL_GUARDED_BY(mu_);
  absl::Time first_poll_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool inventory_sent_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> wakeup_ ABSL_GUARDED_BY(mu_);
  uint64_t next_link_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_logs_request_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, std::shared_ptr<LogsWaiter>> logs_waiters_ ABSL_GUARDED_BY(mu_);
  int64_t rejected_reports_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rejected_streams_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_VM_POOL_VM_POOL_BACKEND_H_
