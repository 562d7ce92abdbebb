// Plays the core's part against an AciBackend in tests: creates attempts, reads events (woken by
// the backend's wakeup, never by sleeping), deletes finished groups at once and retries failed
// attempts as new attempts (new group names), as the real core does.
#ifndef SPILLWAY_TESTS_ACI_CORE_DRIVER_H_
#define SPILLWAY_TESTS_ACI_CORE_DRIVER_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "backends/aci/aci_backend.h"
#include "scheduler/model/aci_name.h"

namespace spillway {

struct DriverJob {
  spillway::v1::JobSpec spec;
  int attempt = 0;
  std::string group;
  bool final = false;
  bool exited = false;
  int exit_code = -1;
  std::vector<std::string> failures;  // TaskFailed reasons, in order.
  std::vector<std::string> states;    // Event names, in order.
};

class CoreDriver {
 public:
  CoreDriver(AciBackend* backend, std::string cluster, int max_attempts)
      : backend_(backend), cluster_(std::move(cluster)), max_attempts_(max_attempts) {
    backend_->SetWakeup([this] {
      absl::MutexLock lock(&mu_);
      woken_ = true;
    });
  }

  void Submit(const std::string& job_id, spillway::v1::JobSpec spec) {
    jobs_[job_id].spec = std::move(spec);
    StartAttempt(job_id);
  }

  // Handles events until `done()` or `timeout` (real time). True if done.
  bool RunUntil(const std::function<bool()>& done, absl::Duration timeout) {
    const absl::Time deadline = RealClock::Get()->Now() + timeout;
    while (true) {
      for (Event& event : backend_->Poll(RealClock::Get()->Now())) Handle(event);
      if (done()) return true;
      if (RealClock::Get()->Now() >= deadline) return false;
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&woken_), absl::Milliseconds(200));
      woken_ = false;
    }
  }

  bool AllFinal() const {
    for (const auto& [id, job] : jobs_) {
      if (!job.final) return false;
    }
    return true;
  }
  bool AllDeleted() const { return deleted_ == created_; }
  const std::map<std::string, DriverJob>& jobs() const { return jobs_; }
  const std::set<std::string>& created() const { return created_; }
  int deleted_events() const { return deleted_events_; }
  const std::vector<std::vector<std::string>>& inventories() const { return inventories_; }
  // Events about jobs this driver never submitted ("job#attempt EventName [exit code]").
  const std::vector<std::string>& foreign_events() const { return foreign_events_; }

 private:
  void StartAttempt(const std::string& job_id) {
    DriverJob& job = jobs_[job_id];
    ++job.attempt;
    job.group = AciGroupName(cluster_, job_id, job.attempt);
    created_.insert(job.group);
    CreateAciGroup create;
    create.job_id = job_id;
    create.attempt = job.attempt;
    create.group_name = job.group;
    create.spec = job.spec;
    create.resources = Resources{job.spec.cpu_millis(), job.spec.memory_mib()};
    backend_->Execute(create, RealClock::Get()->Now());
  }

  void Delete(const std::string& job_id, const DriverJob& job) {
    DeleteAciGroup del;
    del.job_id = job_id;
    del.attempt = job.attempt;
    del.group_name = job.group;
    del.reason = "attempt finished";
    backend_->Execute(del, RealClock::Get()->Now());
  }

  void Handle(const Event& event) {
    if (const auto* inventory = std::get_if<BackendInventory>(&event.body)) {
      // As the core does (core_recovery.cc): groups no live attempt owns are deleted.
      inventories_.push_back(inventory->aci_groups);
      for (const std::string& name : inventory->aci_groups) {
        if (created_.count(name) == 0) {
          created_.insert(name);  // So AllDeleted() waits for it too.
          backend_->Execute(DeleteAciGroup{"", 0, name, "orphan: no live job"}, RealClock::Get()->Now());
        }
      }
      return;
    }
    if (const auto* deleted = std::get_if<AciGroupDeleted>(&event.body)) {
      deleted_.insert(deleted->group_name);
      ++deleted_events_;
      return;
    }
    std::string job_id;
    int attempt = 0;
    std::visit(
        [&](const auto& body) {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, TaskStarting> || std::is_same_v<T, TaskRunning> ||
                        std::is_same_v<T, TaskExited> || std::is_same_v<T, TaskFailed>) {
            job_id = body.job_id;
            attempt = body.attempt;
          }
        },
        event.body);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) {
      foreign_events_.push_back(absl::StrCat(job_id, "#", attempt, " ", EventName(event.body)));
      if (const auto* exited = std::get_if<TaskExited>(&event.body)) {
        foreign_events_.back() += absl::StrCat(" ", exited->exit_code);
      }
      return;
    }
    DriverJob& job = it->second;
    if (attempt != job.attempt) {
      job.states.push_back(absl::StrCat("stale ", EventName(event.body)));
      return;
    }
    job.states.push_back(EventName(event.body));
    if (const auto* exited = std::get_if<TaskExited>(&event.body)) {
      job.final = true;
      job.exited = true;
      job.exit_code = exited->exit_code;
      Delete(job_id, job);
    } else if (const auto* failed = std::get_if<TaskFailed>(&event.body)) {
      job.failures.push_back(failed->reason);
      Delete(job_id, job);
      if (job.attempt < max_attempts_) {
        StartAttempt(job_id);
      } else {
        job.final = true;
      }
    }
  }

  AciBackend* const backend_;
  const std::string cluster_;
  const int max_attempts_;
  std::map<std::string, DriverJob> jobs_;
  std::set<std::string> created_;
  std::set<std::string> deleted_;
  int deleted_events_ = 0;
  std::vector<std::vector<std::string>> inventories_;
  std::vector<std::string> foreign_events_;
  absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace spillway

#endif  // SPILLWAY_TESTS_ACI_CORE_DRIVER_H_
