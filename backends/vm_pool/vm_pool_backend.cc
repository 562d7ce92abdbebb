#include "backends/vm_pool/vm_pool_backend.h"

#include <algorithm>
#include <set>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "backends/vm_pool/agent_message_validation.h"

namespace spillway {

using spillway::v1::AgentMessage;
using spillway::v1::ControllerMessage;
using spillway::v1::TaskReport;

VmPoolBackend::VmPoolBackend(VmPoolAgentsConfig config, Clock* clock)
    : config_(std::move(config)), clock_(clock) {}

// The gRPC server must be shut down first: its streams call back into this object.
VmPoolBackend::~VmPoolBackend() = default;

bool VmPoolBackend::Handles(const Action& action) const {
  return std::holds_alternative<StartVmTask>(action) ||
         std::holds_alternative<StopVmTask>(action) ||
         std::holds_alternative<SetNodeState>(action);
}

ControllerMessage VmPoolBackend::StopMessage(const std::string& job_id, int attempt,
                                             const std::string& reason, absl::Duration grace) {
  ControllerMessage message;
  auto* stop = message.mutable_stop();
  stop->set_job_id(job_id);
  stop->set_attempt(attempt);
  stop->set_reason(reason);
  stop->set_grace_period_ms(absl::ToInt64Milliseconds(grace));
  return message;
}

void VmPoolBackend::Execute(const Action& action, absl::Time now) {
  Outgoing out;
  {
    absl::MutexLock lock(&mu_);
    std::visit(
        [&](const auto& a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, StartVmTask>) {
            const TaskKey key{a.job_id, a.attempt};
            if (tasks_.count(key) > 0) return;  // A retried delivery.
            auto it = nodes_.find(a.node_id);
            if (it == nodes_.end() || !it->second.up) {
              Report(now, TaskFailed{a.job_id, a.attempt,
                                     absl::StrCat("node ", a.node_id, " is not connected")},
                     out);
              return;
            }
            Node& node = it->second;
            tasks_[key] = Task{node.id, Connected(node)};
            ControllerMessage message;
            auto* start = message.mutable_start();
            start->set_job_id(a.job_id);
            start->set_attempt(a.attempt);
            *start->mutable_spec() = a.spec;
            Deliver(node, std::move(message), out);
          } else if constexpr (std::is_same_v<T, StopVmTask>) {
            auto it = nodes_.find(a.node_id);
            if (it == nodes_.end()) return;
            Node& node = it->second;
            // A start still queued for a disconnected node is simply withdrawn.
            auto queued = std::find_if(node.queued.begin(), node.queued.end(),
                                       [&](const ControllerMessage& m) {
                                         return m.has_start() && m.start().job_id() == a.job_id &&
                                                m.start().attempt() == a.attempt;
                                       });
            if (queued != node.queued.end()) {
              node.queued.erase(queued);
              tasks_.erase({a.job_id, a.attempt});
              return;
            }
            Deliver(node,
                    StopMessage(a.job_id, a.attempt, a.reason, config_.stop_grace_period), out);
          } else if constexpr (std::is_same_v<T, SetNodeState>) {
            auto it = nodes_.find(a.node_id);
            if (it == nodes_.end()) return;
            it->second.state = a.state;
            ControllerMessage message;
            message.mutable_node_state()->set_state(a.state);
            Deliver(it->second, std::move(message), out);
          }
        },
        action);
  }
  Flush(out);
}

std::vector<Event> VmPoolBackend::Poll(absl::Time now) {
  Outgoing out;
  std::vector<Event> events;
  {
    absl::MutexLock lock(&mu_);
    if (first_poll_ == absl::InfiniteFuture()) first_poll_ = now;
    if (!inventory_sent_ && now >= first_poll_ + config_.inventory_delay) {
      inventory_sent_ = true;
      BackendInventory inventory;
      inventory.backend = spillway::v1::BACKEND_VM;
      for (const auto& [key, task] : tasks_) {
        inventory.tasks.push_back(TaskRef{key.first, key.second, task.node_id});
      }
      Report(now, std::move(inventory), out);
    }
    for (auto& [id, node] : nodes_) {
      if (!node.up || now - node.last_heard < config_.heartbeat_timeout) continue;
      node.up = false;
      Report(now,
             NodeDown{id, absl::StrCat("no heartbeat for ",
                                       absl::FormatDuration(now - node.last_heard))},
             out);
      if (node.link != nullptr) {
        out.closes.emplace_back(node.link, absl::UnavailableError("missed heartbeats"));
        link_nodes_.erase(node.link->id());
        node.link = nullptr;
      }
      // The core fails the node's attempts: starts it never received are void.
      for (auto m = node.queued.begin(); m != node.queued.end();) {
        if (m->has_start()) {
          tasks_.erase({m->start().job_id(), m->start().attempt()});
          m = node.queued.erase(m);
        } else {
          ++m;
        }
      }
    }
    events.swap(outbox_);
  }
  out.wake = false;  // The loop is polling already.
  Flush(out);
  return events;
}

absl::Time VmPoolBackend::NextEventTime() const {
  absl::MutexLock lock(&mu_);
  if (!outbox_.empty()) return absl::InfinitePast();
  absl::Time next = inventory_sent_ || first_poll_ == absl::InfiniteFuture()
                        ? absl::InfiniteFuture()
                        : first_poll_ + config_.inventory_delay;
  for (const auto& [id, node] : nodes_) {
    if (node.up) next = std::min(next, node.last_heard + config_.heartbeat_timeout);
  }
  return next;
}

void VmPoolBackend::SetWakeup(std::function<void()> wakeup) {
  absl::MutexLock lock(&mu_);
  wakeup_ = std::move(wakeup);
}

void VmPoolBackend::Listen(rpc::CallQueue* queue) {
  rpc::ListenBidiStream<AgentMessage, ControllerMessage>(
      queue,
      {[this](grpc::ServerContext* context,
              grpc::ServerAsyncReaderWriter<ControllerMessage, AgentMessage>* stream,
              grpc::ServerCompletionQueue* cq,
              void* tag) { RequestConnect(context, stream, cq, cq, tag); },
       [this](rpc::internal::BidiOps<AgentMessage, ControllerMessage>* ops,
              grpc::ServerContext* context) -> rpc::BidiReactor<AgentMessage, ControllerMessage>* {
         uint64_t id = 0;
         {
           absl::MutexLock lock(&mu_);
           id = next_link_id_++;
         }
         return new AgentStream(ops, this, std::make_shared<AgentLink>(id, context->peer()));
       }});
}

absl::Status VmPoolBackend::OnAgentMessage(const std::shared_ptr<AgentLink>& link,
                                           const AgentMessage& message) {
  Outgoing out;
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    status = ValidateEnvelope(message, config_);
    auto registered = link_nodes_.find(link->id());
    if (!status.ok()) {
      // Ends the stream (below).
    } else if (message.has_register_()) {
      status = registered != link_nodes_.end()
                   ? absl::InvalidArgumentError("register: sent twice on one stream")
                   : OnRegister(link, message.register_(), now, out);
    } else if (registered == link_nodes_.end()) {
      status = absl::InvalidArgumentError("message: the first message must be a register");
    } else {
      Node& node = nodes_.at(registered->second);
      node.last_heard = now;
      if (message.has_heartbeat()) {
        status = ValidateHeartbeat(message.heartbeat(), config_);
      } else if (message.has_task()) {
        status = ValidateTaskReport(message.task(), "task");
        if (status.ok()) OnTaskReport(node, message.task(), now, out);
      } else if (message.has_logs()) {
        auto waiter = logs_waiters_.find(message.logs().request_id());
        if (waiter == logs_waiters_.end() || waiter->second->node_id != node.id) {
          ++rejected_reports_;  // Late (timed out) or not asked of this node: dropped.
        } else {
          absl::MutexLock done_lock(&waiter->second->mu);
          waiter->second->done = true;
          waiter->second->result =
              message.logs().error().empty()
                  ? absl::StatusOr<std::string>(message.logs().content())
                  : absl::NotFoundError(message.logs().error());
        }
      }
    }
    if (!status.ok()) ++rejected_streams_;
  }
  Flush(out);
  return status;
}

absl::Status VmPoolBackend::OnRegister(const std::shared_ptr<AgentLink>& link,
                                       const spillway::v1::RegisterRequest& request,
                                       absl::Time now, Outgoing& out) {
  if (absl::Status s = ValidateRegister(request, config_); !s.ok()) return s;
  Node& node = nodes_[request.node_id()];
  if (node.link != nullptr && node.link->open()) {
    return absl::AlreadyExistsError(absl::StrCat("register.node_id: ", request.node_id(),
                                                 " is already connected from ",
                                                 node.link->peer()));
  }
  if (node.link != nullptr) link_nodes_.erase(node.link->id());
  node.id = request.node_id();
  node.link = link;
  link_nodes_[link->id()] = node.id;
  node.capacity = Resources{request.capacity().cpu_millis(), request.capacity().memory_mib()};
  node.labels = std::map<std::string, std::string>(request.labels().begin(),
                                                   request.labels().end());
  node.limits_enforced = request.limits_enforced();
  node.last_heard = now;
  node.up = true;
  Report(now, NodeUp{node.id, node.capacity, node.labels}, out);

  ControllerMessage registered;
  registered.mutable_registered()->set_heartbeat_interval_ms(
      absl::ToInt64Milliseconds(config_.heartbeat_interval));
  out.sends.emplace_back(link, std::move(registered));

  std::set<TaskKey> reported;
  for (const TaskReport& task : request.tasks()) {
    reported.emplace(task.job_id(), task.attempt());
    OnTaskReport(node, task, now, out);
  }
  // Tasks the agent received but no longer has (it lost its state): they are gone.
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    if (it->second.node_id == node.id && it->second.delivered && reported.count(it->first) == 0) {
      Report(now,
             TaskFailed{it->first.first, it->first.second,
                        absl::StrCat("lost by the agent on node ", node.id)},
             out);
      it = tasks_.erase(it);
    } else {
      ++it;
    }
  }
  std::deque<ControllerMessage> queued;
  queued.swap(node.queued);
  for (ControllerMessage& message : queued) {
    if (message.has_start()) {
      auto task = tasks_.find({message.start().job_id(), message.start().attempt()});
      if (task == tasks_.end()) continue;
      task->second.delivered = true;
    }
    out.sends.emplace_back(link, std::move(message));
  }
  if (node.state != spillway::v1::NODE_STATE_READY) {
    ControllerMessage state;
    state.mutable_node_state()->set_state(node.state);
    out.sends.emplace_back(link, std::move(state));
  }
  return absl::OkStatus();
}

bool VmPoolBackend::OnTaskReport(Node& node, const TaskReport& report, absl::Time now,
                                 Outgoing& out) {
  const TaskKey key{report.job_id(), report.attempt()};
  auto it = tasks_.find(key);
  if (it == tasks_.end() && !inventory_sent_) {
    // Before the inventory: a task from before this spillwayd started. Adopt it; the core
    // (recovered or not) keeps it or stops it.
    it = tasks_.emplace(key, Task{node.id, true}).first;
  }
  if (it == tasks_.end() || it->second.node_id != node.id) {
    ++rejected_reports_;
    const bool live = report.state() == TaskReport::STATE_STARTING ||
                      report.state() == TaskReport::STATE_RUNNING;
    if (live && node.link != nullptr) {
      out.sends.emplace_back(node.link,
                             StopMessage(key.first, key.second, "not assigned to this node",
                                         config_.stop_grace_period));
    }
    return false;
  }
  it->second.delivered = true;
  switch (report.state()) {
    case TaskReport::STATE_STARTING:
      Report(now, TaskStarting{key.first, key.second}, out);
      break;
    case TaskReport::STATE_RUNNING:
      Report(now, TaskRunning{key.first, key.second}, out);
      break;
    case TaskReport::STATE_EXITED:
      Report(now, TaskExited{key.first, key.second, report.exit_code(), report.reason()}, out);
      tasks_.erase(it);
      break;
    case TaskReport::STATE_FAILED:
      Report(now,
             TaskFailed{key.first, key.second,
                        report.reason().empty() ? "failed on the agent" : report.reason()},
             out);
      tasks_.erase(it);
      break;
    default:
      ++rejected_reports_;
      return false;
  }
  return true;
}

void VmPoolBackend::OnAgentGone(const std::shared_ptr<AgentLink>& link) {
  absl::MutexLock lock(&mu_);
  auto it = link_nodes_.find(link->id());
  if (it == link_nodes_.end()) return;
  auto node = nodes_.find(it->second);
  if (node != nodes_.end() && node->second.link == link) node->second.link = nullptr;
  link_nodes_.erase(it);
  // The node stays up until its heartbeat deadline: the agent may reconnect in time.
}

bool VmPoolBackend::Connected(const Node& node) {
  return node.link != nullptr && node.link->open();
}

void VmPoolBackend::Deliver(Node& node, ControllerMessage message, Outgoing& out) {
  if (Connected(node)) {
    out.sends.emplace_back(node.link, std::move(message));
  } else {
    node.queued.push_back(std::move(message));
  }
}

void VmPoolBackend::Report(absl::Time time, EventBody body, Outgoing& out) {
  outbox_.push_back(Event{time, std::move(body)});
  out.wake = true;
}

void VmPoolBackend::Flush(Outgoing& out) {
  for (auto& [link, message] : out.sends) link->Send(std::move(message));
  for (auto& [link, status] : out.closes) link->Close(status);
  if (!out.wake) return;
  std::function<void()> wakeup;
  {
    absl::MutexLock lock(&mu_);
    wakeup = wakeup_;
  }
  if (wakeup) wakeup();
}

absl::StatusOr<std::string> VmPoolBackend::FetchLogs(const std::string& node_id,
                                                     const std::string& job_id, int attempt,
                                                     absl::Duration timeout) {
  auto waiter = std::make_shared<LogsWaiter>();
  waiter->node_id = node_id;
  uint64_t id = 0;
  Outgoing out;
  {
    absl::MutexLock lock(&mu_);
    auto it = nodes_.find(node_id);
    if (it == nodes_.end() || !Connected(it->second)) {
      return absl::UnavailableError(absl::StrCat("node ", node_id, " is not connected"));
    }
    id = next_logs_request_++;
    logs_waiters_[id] = waiter;
    ControllerMessage message;
    auto* fetch = message.mutable_fetch_logs();
    fetch->set_request_id(id);
    fetch->set_job_id(job_id);
    fetch->set_attempt(attempt);
    fetch->set_max_bytes(std::max<int64_t>(1024, config_.max_message_bytes - 4096));  // The reply must fit a message.
    out.sends.emplace_back(it->second.link, std::move(message));
  }
  Flush(out);
  absl::StatusOr<std::string> result =
      absl::DeadlineExceededError(absl::StrCat("node ", node_id, " did not send the logs in ",
                                               absl::FormatDuration(timeout)));
  {
    absl::MutexLock lock(&waiter->mu);
    if (waiter->mu.AwaitWithTimeout(absl::Condition(&waiter->done), timeout)) {
      result = waiter->result;
    }
  }
  absl::MutexLock lock(&mu_);
  logs_waiters_.erase(id);
  return result;
}

std::vector<AgentNodeStatus> VmPoolBackend::Nodes() const {
  absl::MutexLock lock(&mu_);
  std::vector<AgentNodeStatus> result;
  for (const auto& [id, node] : nodes_) {
    AgentNodeStatus status;
    status.node_id = id;
    status.connected = node.link != nullptr;
    status.up = node.up;
    status.capacity = node.capacity;
    status.limits_enforced = node.limits_enforced;
    status.last_heard = node.last_heard;
    for (const auto& [key, task] : tasks_) status.tasks += task.node_id == id ? 1 : 0;
    result.push_back(status);
  }
  return result;
}

bool VmPoolBackend::inventory_sent() const {
  absl::MutexLock lock(&mu_);
  return inventory_sent_;
}

int64_t VmPoolBackend::rejected_reports() const {
  absl::MutexLock lock(&mu_);
  return rejected_reports_;
}

int64_t VmPoolBackend::rejected_streams() const {
  absl::MutexLock lock(&mu_);
  return rejected_streams_;
}

}  // namespace spillway
