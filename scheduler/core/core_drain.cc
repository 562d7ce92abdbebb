// Rebalancing: work leaves draining nodes, and ACI work comes back to the VM pool as load falls.
//
//   1. Draining nodes: each migratable attempt on them gets a copy elsewhere (another VM node, or
//      ACI when the job may burst and ACI's limits allow); the original stops once the copy runs.
//      Work that is not migratable finishes where it is.
//   2. Drain-back (looked at once per full_pass_interval): when no queued job wants the VM pool
//      and it has room for a migratable ACI job, a stability timer starts; once room has lasted
//      `drain_stable_window`, and the last burst is at least `burst_cooldown` old (no flapping),
//      jobs move back oldest burst first. Jobs expected to end within the window are left to finish
//      on ACI (a move would cost more).
//   3. Every move counts against the drain budget (`drain_moves_per_minute`). A move starts the
//      VM copy first; the ACI group is deleted only once the copy runs (OnTaskRunning).
#include "absl/strings/str_cat.h"
#include "scheduler/core/core.h"
#include "scheduler/model/policy.h"

namespace spillway {

bool Core::DrainBudgetLeft(absl::Time now) {
  return drain_moves_.CountWithin(now, absl::Minutes(1)) < policy_.drain_moves_per_minute();
}

void Core::StartMigration(JobRecord& rec, const NodeInfo* node, const std::string& why,
                          absl::Time now, std::vector<Action>& actions) {
  drain_moves_.Record(now);
  if (node != nullptr) {
    spillway::v1::Attempt& a = NewAttempt(rec, spillway::v1::BACKEND_VM, now);
    a.set_node_id(node->id);
    rec.migration_attempt = a.number();
    AllocateTask(rec, node->id, a.number());
    actions.push_back(StartVmTask{rec.job.id(), a.number(), node->id, rec.job.spec()});
  } else {
    CreateAciGroup create = StartAciAttempt(rec, now);
    rec.migration_attempt = create.attempt;
    actions.push_back(std::move(create));
  }
  Transition(rec, rec.job.state(), why, now);
}

void Core::Rebalance(absl::Time now, std::vector<Action>& actions) {
  const PlacementOptions options = Options();
  // 1. Draining nodes.
  const std::set<std::string> draining = pool_.draining();  // Copy: moves may edit the pool.
  for (const std::string& node_id : draining) {
    const NodeInfo& node = *pool_.Find(node_id);
    if (node.tasks.empty()) continue;
    const std::set<std::string> tasks = node.tasks;
    for (const std::string& task : tasks) {
      if (!DrainBudgetLeft(now)) return;
      JobRecord* rec = Find(task.substr(0, task.rfind('#')));
      if (rec == nullptr || !rec->job.spec().migratable() || rec->migration_attempt != 0 ||
          rec->current_attempt == 0 ||
          rec->job.attempts(rec->current_attempt - 1).node_id() != node_id) {
        continue;
      }
      PlacementResult placed = Place(pool_, RequestOf(*rec), options);
      if (placed.node != nullptr) {
        StartMigration(
            *rec, placed.node,
            absl::StrCat("node ", node_id, " draining: moving to vm node ", placed.node->id), now,
            actions);
        continue;
      }
      const auto mode = rec->job.spec().burst_mode();
      if (mode == spillway::v1::BURST_MODE_VM_ONLY) continue;
      BurstInput input;
      input.request = RoundToAciGranularity(rec->request);
      input.mode = spillway::v1::BURST_MODE_ACI_ONLY;  // Leaving is decided; only limits apply.
      input.predicted_vm_wait = absl::InfiniteDuration();
      input.aci_start_latency = feedback_.AciStartLatency(policy_);
      input.expected_duration = ExpectedDurationOf(*rec);
      BurstDecision d = DecideBurst(input, CurrentAciUsage(now), policy_);
      if (d.burst) {
        StartMigration(*rec, nullptr, absl::StrCat("node ", node_id, " draining: moving to ACI"),
                       now, actions);
      }
    }
  }

  // 2. Drain-back from ACI, judged at most once per full_pass_interval (its window is minutes;
  // a look costs O(ACI groups)).
  if (last_drain_back_check_ != absl::InfinitePast() &&
      now - last_drain_back_check_ < config_.full_pass_interval) {
    return;
  }
  last_drain_back_check_ = now;
  bool vm_demand = false;
  for (const auto& [key, queued] : queue_) {
    const JobRecord& q = *queued;
    if (q.retry_at <= now && q.job.spec().burst_mode() != spillway::v1::BURST_MODE_ACI_ONLY) {
      vm_demand = true;
      break;
    }
  }
  const absl::Duration window = ToAbslDuration(policy_.drain_stable_window());
  std::vector<JobRecord*> candidates;  // Oldest burst first (by group creation, then id).
  if (!vm_demand) {
    std::vector<std::pair<absl::Time, JobRecord*>> ordered;
    for (const auto& [name, group] : groups_) {
      if (group.delete_requested) continue;
      JobRecord* rec = Find(group.job_id);
      if (rec == nullptr || rec->current_attempt != group.attempt || rec->migration_attempt != 0 ||
          !rec->job.spec().migratable() || rec->job.state() != spillway::v1::JOB_STATE_RUNNING ||
          rec->job.spec().burst_mode() == spillway::v1::BURST_MODE_ACI_ONLY) {
        continue;
      }
      if (ExpectedEnd(*rec, now) - now <= window) continue;  // Finishing soon: leave it.
      ordered.push_back({group.created, rec});
    }
    std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second->job.id() < b.second->job.id();
    });
    for (auto& [t, rec] : ordered) candidates.push_back(rec);
  }
  bool room = false;
  for (JobRecord* rec : candidates) {
    if (Place(pool_, RequestOf(*rec), options).node != nullptr) {
      room = true;
      break;
    }
  }
  if (!room) {
    room_since_ = absl::InfinitePast();
    return;
  }
  if (room_since_ == absl::InfinitePast()) room_since_ = now;
  if (now - room_since_ < window) return;
  if (now - last_burst_ < ToAbslDuration(policy_.burst_cooldown())) return;
  for (JobRecord* rec : candidates) {
    if (!DrainBudgetLeft(now)) return;
    PlacementResult placed = Place(pool_, RequestOf(*rec), options);
    if (placed.node == nullptr) continue;
    StartMigration(
        *rec, placed.node,
        absl::StrCat("load fell: moving back from ACI to vm node ", placed.node->id,
                     " (room stable for ",
                     absl::FormatDuration(absl::Trunc(now - room_since_, absl::Seconds(1))), ")"),
        now, actions);
  }
}

}  // namespace spillway
