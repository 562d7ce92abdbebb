#include "backends/simulated/simulated_aci.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "backends/simulated/simulated_vm_pool.h"

namespace spillway {

SimulatedAci::SimulatedAci(SimulatedAciOptions options)
    : options_(std::move(options)), own_bitgen_(options_.seed), bitgen_(own_bitgen_) {}

SimulatedAci::SimulatedAci(SimulatedAciOptions options, absl::BitGenRef bitgen)
    : options_(std::move(options)), own_bitgen_(options_.seed), bitgen_(bitgen) {}

bool SimulatedAci::Handles(const Action& action) const {
  return std::holds_alternative<CreateAciGroup>(action) ||
         std::holds_alternative<DeleteAciGroup>(action);
}

void SimulatedAci::Execute(const Action& action, absl::Time now) {
  absl::MutexLock lock(&mu_);
  AdvanceTo(now);
  if (const auto* create = std::get_if<CreateAciGroup>(&action)) {
    Create(*create);
  } else if (const auto* del = std::get_if<DeleteAciGroup>(&action)) {
    Delete(*del);
  }
}

std::vector<Event> SimulatedAci::Poll(absl::Time now) {
  absl::MutexLock lock(&mu_);
  AdvanceTo(now);
  if (options_.report_inventory && !inventory_reported_) {
    inventory_reported_ = true;
    BackendInventory inventory;
    inventory.backend = spillway::v1::BACKEND_ACI;
    for (const auto& [name, group] : groups_) inventory.aci_groups.push_back(name);
    outbox_.insert(outbox_.begin(), Event{now_, std::move(inventory)});
  }
  std::vector<Event> events;
  events.swap(outbox_);
  return events;
}

absl::Time SimulatedAci::NextEventTime() const {
  absl::MutexLock lock(&mu_);
  if (options_.report_inventory && !inventory_reported_) return absl::InfinitePast();
  if (!outbox_.empty()) return outbox_.front().time;
  if (!heap_.empty()) return heap_.front().time;
  return absl::InfiniteFuture();
}

int SimulatedAci::LiveGroups() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(groups_.size());
}

std::vector<std::string> SimulatedAci::LiveGroupNames() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  names.reserve(groups_.size());
  for (const auto& [name, group] : groups_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

int64_t SimulatedAci::SpendMicroUsd(absl::Time now) const {
  absl::MutexLock lock(&mu_);
  int64_t spend = closed_spend_micro_usd_;
  for (const auto& [name, group] : groups_) spend += CostUpTo(group, now);
  return spend;
}

int SimulatedAci::CreatesSeen() const {
  absl::MutexLock lock(&mu_);
  return creates_seen_;
}

int SimulatedAci::DeletesSeen() const {
  absl::MutexLock lock(&mu_);
  return deletes_seen_;
}

void SimulatedAci::AdvanceTo(absl::Time now) {
  now_ = std::max(now_, now);
  while (!heap_.empty() && heap_.front().time <= now_) {
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    Pending pending = std::move(heap_.back());
    heap_.pop_back();
    if (pending.kind == Pending::Kind::kDeleted) {
      auto it = groups_.find(pending.group_name);
      if (it != groups_.end() && it->second.incarnation == pending.incarnation) {
        Finalize(pending.group_name);
      }
      outbox_.push_back(Event{pending.time, AciGroupDeleted{pending.group_name}});
      continue;
    }
    auto it = groups_.find(pending.group_name);
    if (it == groups_.end() || it->second.incarnation != pending.incarnation ||
        it->second.deleting) {
      continue;  // Stale: the group was deleted (or re-created) meanwhile.
    }
    const Group& group = it->second;
    switch (pending.kind) {
      case Pending::Kind::kRunning:
        outbox_.push_back(Event{pending.time, TaskRunning{group.job_id, group.attempt}});
        break;
      case Pending::Kind::kExited:
        outbox_.push_back(Event{pending.time, TaskExited{group.job_id, group.attempt,
                                                         pending.exit_code,
                                                         std::move(pending.reason)}});
        break;
      case Pending::Kind::kFailed:
        outbox_.push_back(Event{pending.time, TaskFailed{group.job_id, group.attempt,
                                                         std::move(pending.reason)}});
        break;
      case Pending::Kind::kDeleted:
        break;  // Handled above.
    }
  }
}

void SimulatedAci::Create(const CreateAciGroup& create) {
  ++creates_seen_;
  if (auto it = groups_.find(create.group_name); it != groups_.end()) {
    if (it->second.deleting) {
      outbox_.push_back(
          Event{now_, TaskFailed{create.job_id, create.attempt,
                                 absl::StrCat("Conflict: container group ", create.group_name,
                                              " is being deleted")}});
    }
    return;  // A retried PUT of a live group: nothing new.
  }
  if (options_.max_groups > 0 && static_cast<int>(groups_.size()) >= options_.max_groups) {
    outbox_.push_back(Event{
        now_, TaskFailed{create.job_id, create.attempt,
                         absl::StrCat("ContainerGroupQuotaReached: simulated quota of ",
                                      options_.max_groups, " container groups reached")}});
    return;
  }
  if (options_.max_cpu_millis > 0 &&
      live_cpu_millis_ + create.resources.cpu_millis > options_.max_cpu_millis) {
    outbox_.push_back(Event{
        now_, TaskFailed{create.job_id, create.attempt,
                         absl::StrCat("ContainerGroupQuotaReached: simulated quota of ",
                                      options_.max_cpu_millis, "m cpu would be exceeded (",
                                      live_cpu_millis_, "m in use, ",
                                      create.resources.cpu_millis, "m requested)")}});
    return;
  }

  const uint64_t incarnation = next_incarnation_++;
  Group group;
  group.job_id = create.job_id;
  group.attempt = create.attempt;
  group.size = create.resources;
  group.created = now_;
  group.incarnation = incarnation;
  groups_.emplace(create.group_name, std::move(group));
  live_cpu_millis_ += create.resources.cpu_millis;
  outbox_.push_back(Event{now_, TaskStarting{create.job_id, create.attempt}});

  // Draws happen in a fixed order (failure, then jitter), each only when its option is on.
  if (options_.create_failure_rate > 0 &&
      absl::Bernoulli(bitgen_, std::min(options_.create_failure_rate, 1.0))) {
    Schedule(now_ + options_.create_failure_delay, Pending::Kind::kFailed, create.group_name,
             incarnation, 0,
             "InsufficientCapacity: simulated: the requested resource is not available in the "
             "location at this moment");
    return;
  }
  absl::Duration latency = options_.start_latency;
  const int64_t jitter_ms = absl::ToInt64Milliseconds(options_.start_latency_jitter);
  if (jitter_ms > 0) {
    latency += absl::Milliseconds(
        absl::Uniform<int64_t>(absl::IntervalClosedClosed, bitgen_, 0, jitter_ms));
  }
  const absl::Time running_at = now_ + latency;
  const SimulatedBehaviour behaviour =
      SimulatedBehaviourOf(create.spec, options_.default_run_time);
  switch (behaviour.failure) {
    case SimulatedBehaviour::Failure::kStart:
      Schedule(running_at, Pending::Kind::kFailed, create.group_name, incarnation, 0,
               "simulated start failure");
      return;
    case SimulatedBehaviour::Failure::kRun:
      Schedule(running_at, Pending::Kind::kRunning, create.group_name, incarnation, 0, "");
      Schedule(running_at + behaviour.run_time, Pending::Kind::kFailed, create.group_name,
               incarnation, 0, "simulated failure while running");
      return;
    case SimulatedBehaviour::Failure::kNone:
      Schedule(running_at, Pending::Kind::kRunning, create.group_name, incarnation, 0, "");
      Schedule(running_at + behaviour.run_time, Pending::Kind::kExited, create.group_name,
               incarnation, behaviour.exit_code,
               absl::StrCat("exited with code ", behaviour.exit_code));
      return;
  }
}

void SimulatedAci::Delete(const DeleteAciGroup& del) {
  ++deletes_seen_;
  const absl::Time done_at = now_ + options_.delete_latency;
  auto it = groups_.find(del.group_name);
  if (it == groups_.end() || it->second.deleting) {
    // 404, or a delete already in flight: report "gone" again, change nothing.
    if (done_at <= now_) {
      outbox_.push_back(Event{now_, AciGroupDeleted{del.group_name}});
    } else {
      Schedule(done_at, Pending::Kind::kDeleted, del.group_name, 0, 0, "");
    }
    return;
  }
  Group& group = it->second;
  group.deleting = true;
  group.deleted_at = done_at;
  if (options_.delete_latency <= absl::ZeroDuration()) {
    Finalize(del.group_name);
    outbox_.push_back(Event{now_, AciGroupDeleted{del.group_name}});
    return;
  }
  Schedule(done_at, Pending::Kind::kDeleted, del.group_name, group.incarnation, 0, "");
}

void SimulatedAci::Schedule(absl::Time time, Pending::Kind kind, const std::string& group_name,
                            uint64_t incarnation, int exit_code, std::string reason) {
  heap_.push_back(
      Pending{time, next_seq_++, kind, group_name, incarnation, exit_code, std::move(reason)});
  std::push_heap(heap_.begin(), heap_.end(), Later());
}

void SimulatedAci::Finalize(const std::string& group_name) {
  auto it = groups_.find(group_name);
  if (it == groups_.end()) return;
  const Group& group = it->second;
  closed_spend_micro_usd_ += CostUpTo(group, group.deleted_at);
  live_cpu_millis_ -= group.size.cpu_millis;
  groups_.erase(it);
}

int64_t SimulatedAci::CostUpTo(const Group& group, absl::Time end) const {
  end = std::min(end, group.deleted_at);
  if (end <= group.created) return 0;
  return AciCostMicroUsd(group.size, end - group.created, options_.prices);
}

}  // namespace spillway
