#include "agent/agent_client.h"

#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace spillway {
namespace {

using spillway::v1::AgentMessage;
using spillway::v1::ControllerMessage;
using spillway::v1::TaskReport;

bool IsFinal(TaskReport::State state) {
  return state == TaskReport::STATE_EXITED || state == TaskReport::STATE_FAILED;
}

void Log(const std::string& node, const std::string& text) {
  fprintf(stderr, "spillway-agent[%s]: %s\n", node.c_str(), text.c_str());
}

}  // namespace

AgentClient::AgentClient(AgentClientOptions options, TaskRuntime* runtime, Clock* clock)
    : options_(std::move(options)),
      runtime_(runtime),
      clock_(clock != nullptr ? clock : RealClock::Get()) {
  channel_ = grpc::CreateChannel(options_.server, grpc::InsecureChannelCredentials());
  stub_ = spillway::v1::AgentService::NewStub(channel_);
}

void AgentClient::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutdown_ = true;
}

bool AgentClient::WaitForShutdown(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&shutdown_), timeout);
  return shutdown_;
}

void AgentClient::Run() {
  absl::Duration backoff = options_.min_backoff;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (shutdown_) return;
    }
    bool registered = false;
    absl::Status status = RunStream(&registered);
    if (registered) backoff = options_.min_backoff;
    const absl::Duration wait =
        backoff * absl::Uniform(bitgen_, 0.5, 1.0);  // Jitter spreads reconnect storms.
    Log(options_.node_id, absl::StrCat("disconnected (", status.ToString(), "); retrying in ",
                                       absl::FormatDuration(wait)));
    if (WaitForShutdown(wait)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status AgentClient::RunStream(bool* registered) {
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mu_);
    inbox_.clear();
    stream_ended_ = false;
  }
  std::unique_ptr<grpc::ClientReaderWriter<AgentMessage, ControllerMessage>> stream =
      stub_->Connect(&context);

  // Everything the runtime knows, final states included (they may not have reached spillwayd).
  std::map<TaskKey, TaskReport::State> sent;
  std::vector<TaskKey> finals_in_register;
  AgentMessage hello;
  auto* reg = hello.mutable_register_();
  reg->set_node_id(options_.node_id);
  reg->mutable_capacity()->set_cpu_millis(options_.capacity.cpu_millis);
  reg->mutable_capacity()->set_memory_mib(options_.capacity.memory_mib);
  reg->mutable_labels()->insert(options_.labels.begin(), options_.labels.end());
  reg->set_agent_version(options_.version);
  reg->set_runtime(runtime_->name());
  reg->set_limits_enforced(runtime_->limits_enforced());
  for (const TaskReport& task : runtime_->Check()) {
    *reg->add_tasks() = task;
    const TaskKey key{task.job_id(), task.attempt()};
    sent[key] = task.state();
    if (IsFinal(task.state())) finals_in_register.push_back(key);
  }

  std::thread reader([&] {
    ControllerMessage message;
    while (stream->Read(&message)) {
      absl::MutexLock lock(&mu_);
      inbox_.push_back(std::move(message));
    }
    absl::MutexLock lock(&mu_);
    stream_ended_ = true;
  });

  bool ok = stream->Write(hello);
  absl::Duration heartbeat_interval = options_.heartbeat_interval;
  absl::Time last_write = clock_->Now();
  bool ended = false;
  while (ok) {
    std::deque<ControllerMessage> messages;
    bool shutdown = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !inbox_.empty() || stream_ended_ || shutdown_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), options_.check_interval);
      messages.swap(inbox_);
      ended = stream_ended_;
      shutdown = shutdown_;
    }
    if (shutdown) {
      break;
    }
    for (const ControllerMessage& message : messages) {
      if (message.has_registered()) {
        *registered = true;
        if (message.registered().heartbeat_interval_ms() > 0) {
          heartbeat_interval = absl::Milliseconds(message.registered().heartbeat_interval_ms());
        }
        Log(options_.node_id, absl::StrCat("registered with ", options_.server));
        for (const TaskKey& key : finals_in_register) {
          runtime_->Forget(key);
          sent.erase(key);
        }
      } else if (message.has_start()) {
        absl::Status s = runtime_->Start(message.start());
        if (!s.ok()) {
          Log(options_.node_id, absl::StrCat("start ", message.start().job_id(), ": ",
                                             s.ToString()));
        }
      } else if (message.has_stop()) {
        runtime_->Stop({message.stop().job_id(), message.stop().attempt()},
                       absl::Milliseconds(message.stop().grace_period_ms()),
                       message.stop().reason());
      } else if (message.has_fetch_logs()) {
        const auto& fetch = message.fetch_logs();
        AgentMessage reply;
        reply.mutable_logs()->set_request_id(fetch.request_id());
        absl::StatusOr<std::string> logs =
            runtime_->Logs({fetch.job_id(), fetch.attempt()}, fetch.max_bytes());
        if (logs.ok()) {
          reply.mutable_logs()->set_content(*std::move(logs));
        } else {
          reply.mutable_logs()->set_error(std::string(logs.status().message()));
        }
        if (!(ok = stream->Write(reply))) break;
      } else if (message.has_node_state()) {
        Log(options_.node_id, absl::StrCat("node state: ", spillway::v1::NodeState_Name(
                                                               message.node_state().state())));
      }
    }
    if (!ok || ended) break;
    if (!*registered) continue;

    const std::vector<TaskReport> tasks = runtime_->Check();
    for (const TaskReport& task : tasks) {
      const TaskKey key{task.job_id(), task.attempt()};
      auto it = sent.find(key);
      if (it != sent.end() && it->second == task.state()) continue;
      AgentMessage update;
      *update.mutable_task() = task;
      if (!(ok = stream->Write(update))) break;
      last_write = clock_->Now();
      if (IsFinal(task.state())) {
        runtime_->Forget(key);
        sent.erase(key);
      } else {
        sent[key] = task.state();
      }
    }
    if (ok && clock_->Now() - last_write >= heartbeat_interval) {
      AgentMessage beat;
      for (const TaskReport& task : tasks) {
        if (!IsFinal(task.state())) *beat.mutable_heartbeat()->add_tasks() = task;
      }
      beat.mutable_heartbeat();
      ok = stream->Write(beat);
      last_write = clock_->Now();
    }
  }
  // Unblocks the reader unless the server ended the stream (keeps the server's status).
  if (!ended) context.TryCancel();
  reader.join();
  grpc::Status status = stream->Finish();
  if (status.ok()) return absl::UnavailableError("stream closed by the server");
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace spillway
