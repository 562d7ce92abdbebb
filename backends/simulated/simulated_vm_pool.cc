#include "backends/simulated/simulated_vm_pool.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "scheduler/model/policy.h"

namespace spillway {

SimulatedBehaviour SimulatedBehaviourOf(const spillway::v1::JobSpec& spec,
                                        absl::Duration default_run_time) {
  SimulatedBehaviour behaviour;
  behaviour.run_time = default_run_time;
  if (spec.has_expected_duration()) {
    behaviour.run_time = ToAbslDuration(spec.expected_duration());
  }
  const auto& labels = spec.labels();
  if (auto it = labels.find(kSimDurationLabel); it != labels.end()) {
    absl::Duration parsed;
    if (absl::ParseDuration(it->second, &parsed) && parsed != absl::InfiniteDuration()) {
      behaviour.run_time = parsed;
    }
  }
  if (behaviour.run_time < absl::ZeroDuration()) behaviour.run_time = absl::ZeroDuration();
  if (auto it = labels.find(kSimExitCodeLabel); it != labels.end()) {
    int code = 0;
    if (absl::SimpleAtoi(it->second, &code)) behaviour.exit_code = code;
  }
  if (auto it = labels.find(kSimFailLabel); it != labels.end()) {
    if (it->second == "start") behaviour.failure = SimulatedBehaviour::Failure::kStart;
    if (it->second == "run") behaviour.failure = SimulatedBehaviour::Failure::kRun;
  }
  return behaviour;
}

SimulatedVmPool::SimulatedVmPool(std::vector<SimulatedNode> nodes, SimulatedVmPoolOptions options)
    : options_(std::move(options)) {
  absl::MutexLock lock(&mu_);
  for (SimulatedNode& declared : nodes) {
    if (nodes_.contains(declared.id)) continue;
    node_order_.push_back(declared.id);
    std::string id = declared.id;
    Node node;
    node.declared = std::move(declared);
    nodes_.emplace(std::move(id), std::move(node));
  }
}

bool SimulatedVmPool::Handles(const Action& action) const {
  return std::holds_alternative<StartVmTask>(action) ||
         std::holds_alternative<StopVmTask>(action) ||
         std::holds_alternative<SetNodeState>(action);  // Accepted; simulated nodes ignore it.
}

void SimulatedVmPool::Execute(const Action& action, absl::Time now) {
  absl::MutexLock lock(&mu_);
  AdvanceTo(now);
  if (const auto* start = std::get_if<StartVmTask>(&action)) {
    Start(*start);
  } else if (const auto* stop = std::get_if<StopVmTask>(&action)) {
    Stop(*stop);
  }
}

std::vector<Event> SimulatedVmPool::Poll(absl::Time now) {
  absl::MutexLock lock(&mu_);
  AdvanceTo(now);
  std::vector<Event> events;
  events.swap(outbox_);
  return events;
}

absl::Time SimulatedVmPool::NextEventTime() const {
  absl::MutexLock lock(&mu_);
  if (!announced_) return absl::InfinitePast();
  if (!outbox_.empty()) return outbox_.front().time;
  if (!heap_.empty()) return heap_.front().time;
  return absl::InfiniteFuture();
}

bool SimulatedVmPool::KillNode(absl::string_view node_id, absl::Time now,
                               absl::string_view reason) {
  absl::MutexLock lock(&mu_);
  AdvanceTo(now);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end() || !it->second.up) return false;
  Node& node = it->second;
  // Copy: RemoveTask edits node.tasks.
  const std::set<TaskKey> lost = node.tasks;
  for (const TaskKey& key : lost) RemoveTask(key);
  node.up = false;
  Report(NodeDown{node.declared.id, std::string(reason)});
  return true;
}

bool SimulatedVmPool::ReviveNode(absl::string_view node_id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  AdvanceTo(now);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end() || it->second.up) return false;
  it->second.up = true;
  ReportNodeUp(it->second);
  return true;
}

int SimulatedVmPool::RunningTasks() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(tasks_.size());
}

std::vector<std::string> SimulatedVmPool::TasksOn(absl::string_view node_id) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> jobs;
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return jobs;
  for (const TaskKey& key : it->second.tasks) jobs.push_back(key.first);
  return jobs;
}

void SimulatedVmPool::AdvanceTo(absl::Time now) {
  now_ = std::max(now_, now);
  if (!announced_) {
    announced_ = true;
    for (const std::string& id : node_order_) {
      const Node& node = nodes_.at(id);
      if (node.up) ReportNodeUp(node);
    }
    if (options_.report_inventory) {
      BackendInventory inventory;
      inventory.backend = spillway::v1::BACKEND_VM;
      Report(std::move(inventory));
    }
  }
  while (!heap_.empty() && heap_.front().time <= now_) {
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    const size_t slot = heap_.back().slot;
    heap_.pop_back();
    Pending pending = std::move(pending_[slot]);
    free_slots_.push_back(slot);
    auto it = tasks_.find(pending.task);
    if (it == tasks_.end() || it->second.incarnation != pending.incarnation) continue;  // Stale.
    auto& [job_id, attempt] = pending.task;
    switch (pending.kind) {
      case Pending::Kind::kRunning:
        outbox_.push_back(Event{pending.time, TaskRunning{job_id, attempt}});
        break;
      case Pending::Kind::kExited:
        outbox_.push_back(Event{pending.time, TaskExited{job_id, attempt, pending.exit_code,
                                                         std::move(pending.reason)}});
        RemoveTask(pending.task);
        break;
      case Pending::Kind::kFailed:
        outbox_.push_back(
            Event{pending.time, TaskFailed{job_id, attempt, std::move(pending.reason)}});
        RemoveTask(pending.task);
        break;
    }
  }
}

void SimulatedVmPool::Start(const StartVmTask& start) {
  TaskKey key(start.job_id, start.attempt);
  if (tasks_.contains(key)) return;  // A retried delivery of a live attempt.
  auto node_it = nodes_.find(start.node_id);
  if (node_it == nodes_.end()) {
    Report(TaskFailed{start.job_id, start.attempt,
                      absl::StrCat("simulated: unknown node ", start.node_id)});
    return;
  }
  Node& node = node_it->second;
  if (!node.up) {
    Report(TaskFailed{start.job_id, start.attempt,
                      absl::StrCat("simulated: node ", start.node_id, " is down")});
    return;
  }
  const Resources request{start.spec.cpu_millis(), start.spec.memory_mib()};
  if (options_.enforce_capacity && !(node.declared.capacity - node.used).Fits(request)) {
    Report(TaskFailed{
        start.job_id, start.attempt,
        absl::StrCat("simulated: node ", start.node_id, " lacks capacity for ", request.ToString(),
                     " (free ", (node.declared.capacity - node.used).ToString(), ")")});
    return;
  }

  const uint64_t incarnation = next_incarnation_++;
  tasks_.emplace(key, Task{start.node_id, request, incarnation});
  node.used += request;
  node.tasks.insert(key);
  Report(TaskStarting{start.job_id, start.attempt});

  const SimulatedBehaviour behaviour = SimulatedBehaviourOf(start.spec, options_.default_run_time);
  const absl::Time running_at = now_ + options_.start_delay;
  switch (behaviour.failure) {
    case SimulatedBehaviour::Failure::kStart:
      Schedule(running_at, Pending::Kind::kFailed, key, incarnation, 0, "simulated start failure");
      return;
    case SimulatedBehaviour::Failure::kRun:
      Schedule(running_at, Pending::Kind::kRunning, key, incarnation, 0, "");
      Schedule(running_at + behaviour.run_time, Pending::Kind::kFailed, key, incarnation, 0,
               "simulated failure while running");
      return;
    case SimulatedBehaviour::Failure::kNone:
      Schedule(running_at, Pending::Kind::kRunning, key, incarnation, 0, "");
      Schedule(running_at + behaviour.run_time, Pending::Kind::kExited, key, incarnation,
               behaviour.exit_code, absl::StrCat("exited with code ", behaviour.exit_code));
      return;
  }
}

void SimulatedVmPool::Stop(const StopVmTask& stop) {
  TaskKey key(stop.job_id, stop.attempt);
  if (!tasks_.contains(key)) return;  // Unknown or already ended (its end was reported).
  RemoveTask(key);
  Report(TaskExited{stop.job_id, stop.attempt, 143, absl::StrCat("stopped: ", stop.reason)});
}

void SimulatedVmPool::Schedule(absl::Time time, Pending::Kind kind, const TaskKey& task,
                               uint64_t incarnation, int exit_code, std::string reason) {
  Pending pending{time, kind, task, incarnation, exit_code, std::move(reason)};
  size_t slot = pending_.size();
  if (free_slots_.empty()) {
    pending_.push_back(std::move(pending));
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    pending_[slot] = std::move(pending);
  }
  heap_.push_back(HeapKey{time, next_seq_++, slot});
  std::push_heap(heap_.begin(), heap_.end(), Later());
}

void SimulatedVmPool::RemoveTask(const TaskKey& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  auto node_it = nodes_.find(it->second.node_id);
  if (node_it != nodes_.end()) {
    node_it->second.used -= it->second.request;
    node_it->second.tasks.erase(key);
  }
  tasks_.erase(it);
}

void SimulatedVmPool::Report(EventBody body) { outbox_.push_back(Event{now_, std::move(body)}); }

void SimulatedVmPool::ReportNodeUp(const Node& node) {
  Report(NodeUp{node.declared.id, node.declared.capacity, node.declared.labels});
}

}  // namespace spillway
