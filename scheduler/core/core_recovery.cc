// Recovery after a restart: the replayed core meets what the backends really run.
//
//   1. RecoveryStarted names the backends expected to report, and a deadline; until all reported
//      (or the deadline passed) the core places nothing new.
//   2. A BackendInventory from the VM pool: live VM attempts it does not list were lost while
//      spillwayd was down -> infrastructure failures (retried); tasks it lists that the core no
//      longer runs are stopped (a node never runs a job twice).
//   3. A BackendInventory from ACI: live groups it does not list are asked to be deleted (a create
//      that timed out may still appear; the delete is idempotent) and their attempts fail; groups
//      it lists that no live attempt owns are orphans and are deleted.
#include <set>

#include "absl/strings/str_cat.h"
#include "scheduler/core/core.h"

namespace spillway {

void Core::OnRecoveryStarted(const RecoveryStarted& e) {
  awaiting_inventory_.clear();
  for (auto b : e.backends) awaiting_inventory_.insert(static_cast<int>(b));
  recovery_deadline_ = e.deadline;
}

void Core::OnInventory(const BackendInventory& e, absl::Time now, std::vector<Action>& actions) {
  awaiting_inventory_.erase(static_cast<int>(e.backend));
  const std::string lost = "lost while spillwayd was down";
  if (e.backend == spillway::v1::BACKEND_VM) {
    std::set<std::string> reported;
    for (const TaskRef& t : e.tasks) reported.insert(absl::StrCat(t.job_id, "#", t.attempt));
    // Live attempts the pool does not run.
    std::vector<std::pair<std::string, int>> missing;
    for (const auto& [id, rec] : jobs_) {
      for (int n : {rec.current_attempt, rec.migration_attempt}) {
        if (n == 0) continue;
        const auto& a = rec.job.attempts(n - 1);
        if (a.backend() == spillway::v1::BACKEND_VM && !a.has_finish_time() &&
            reported.count(absl::StrCat(id, "#", n)) == 0) {
          missing.push_back({id, n});
        }
      }
    }
    for (const auto& [id, n] : missing) OnTaskFailed(TaskFailed{id, n, lost}, now, actions);
    // Tasks the core does not run (anymore).
    for (const TaskRef& t : e.tasks) {
      const JobRecord* rec = Find(t.job_id);
      const bool live = rec != nullptr &&
                        (t.attempt == rec->current_attempt || t.attempt == rec->migration_attempt);
      if (!live) actions.push_back(StopVmTask{t.job_id, t.attempt, t.node_id, "not a live attempt"});
    }
    return;
  }
  if (e.backend == spillway::v1::BACKEND_ACI) {
    const std::set<std::string> reported(e.aci_groups.begin(), e.aci_groups.end());
    std::vector<std::pair<std::string, int>> missing;
    for (const auto& [name, group] : groups_) {
      if (reported.count(name) > 0 || group.delete_requested) continue;
      missing.push_back({group.job_id, group.attempt});
    }
    for (const auto& [id, n] : missing) {
      // OnTaskFailed ends the attempt and asks for the (idempotent) delete.
      JobRecord* rec = Find(id);
      if (rec != nullptr && (n == rec->current_attempt || n == rec->migration_attempt)) {
        OnTaskFailed(TaskFailed{id, n, lost}, now, actions);
      } else if (rec != nullptr) {
        StopStale(id, n, actions);
      }
    }
    for (const std::string& name : e.aci_groups) {
      auto it = groups_.find(name);
      if (it == groups_.end()) {
        deletes_.Record(now);
        actions.push_back(DeleteAciGroup{"", 0, name, "orphan: no live job"});
        continue;
      }
      const JobRecord* rec = Find(it->second.job_id);
      const bool live = rec != nullptr && (it->second.attempt == rec->current_attempt ||
                                           it->second.attempt == rec->migration_attempt);
      if (!live && !it->second.delete_requested) {
        RequestDelete(name, "orphan: attempt no longer live", now, actions);
      }
    }
    FlushDeletes(now, actions);
  }
}

}  // namespace spillway
