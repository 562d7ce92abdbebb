// The real ACI backend: container groups through ARM REST (see README.md).
//
// Execute() only records the action; worker threads do all HTTP and report through Poll() (and
// the event loop's wakeup). Per container group, one step runs at a time:
//   1. kCreate: PUT (budgets: creates per 5 min / hour, ARM writes). 201/200 → TaskStarting, then
//      follow Azure-AsyncOperation, else Location, else GET. 429 / 409 transitioning / capacity →
//      back off (Retry-After first) and re-PUT; 5xx or no answer → kVerify: GET before any re-send
//      (the create may have succeeded). Other errors → TaskFailed("Code: message").
//   2. kObserve: a poll cycle lists the resource group once, then GETs only groups not yet final:
//      provisioning / instance / container state → TaskRunning, TaskExited{exit code}, TaskFailed.
//   3. kDelete: DELETE (budgets: deletes per 5 min / hour, ARM writes); 200/204/404 → gone,
//      202 → follow the operation until done → AciGroupDeleted. Deletes never give up.
//   4. Start-up: the first successful list adopts every group tagged with this cluster (job and
//      attempt from its tags; observed like our own, TaskStarting not repeated) and reports a
//      BackendInventory of them plus the groups being created, so the core can fail attempts it
//      lost and delete groups no live attempt owns (core_recovery.cc).
//   5. Reconcile (every reconcile_interval, from the same list): tagged groups that appear later
//      and that no action mentions for orphan_grace are deleted (orphans); groups of attempts
//      that finished orphan_grace ago and were not deleted are deleted. A create for a group that
//      already exists (200, not 201) adopts it.
//   Quota: the region's usages are read at start-up; creates beyond them fail at once with
//   "ContainerGroupQuotaReached: ...", as ARM's own quota errors do.
#ifndef SPILLWAY_BACKENDS_ACI_ACI_BACKEND_H_
#define SPILLWAY_BACKENDS_ACI_ACI_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backends/aci/aci_config.h"
#include "backends/aci/arm_client.h"
#include "backends/aci/arm_error.h"
#include "backends/aci/http_client.h"
#include "backends/aci/rate_limits.h"
#include "backends/aci/token_source.h"
#include "backends/backend.h"
#include "common/clock.h"

namespace spillway {

// The region's limits as read at start-up (-1 = unknown).
struct AciQuota {
  bool known = false;
  int64_t groups_limit = -1;
  int64_t groups_used_at_start = 0;
  int64_t cores_limit = -1;
  double cores_used_at_start = 0;
  std::string ToString() const;
};

struct AciBackendStats {
  int creates_sent = 0;      // PUTs sent (retries included).
  int groups_created = 0;    // 201s.
  int groups_adopted = 0;    // 200s to a create: the group existed (retried PUT or restart).
  int groups_found_at_start = 0;  // Tagged groups adopted from the first list.
  int creates_verified = 0;  // GETs after a create timed out or got 5xx.
  int retries = 0;           // Back-offs of any step.
  int throttled = 0;         // 429s.
  int deletes_sent = 0;
  int orphans_deleted = 0;
  int quota_rejections = 0;  // Creates refused before sending because of the quota.
  int lists = 0;
  int gets = 0;
};

class AciBackend final : public Backend {
 public:
  // Starts `config.worker_threads` workers. `clock` must outlive the backend.
  AciBackend(AciBackendConfig config, std::unique_ptr<HttpClient> http,
             std::unique_ptr<TokenSource> tokens, Clock* clock);
  // Jitter from `bitgen` (must outlive the backend; used under the backend's lock).
  AciBackend(AciBackendConfig config, std::unique_ptr<HttpClient> http,
             std::unique_ptr<TokenSource> tokens, Clock* clock, absl::BitGenRef bitgen);
  ~AciBackend() override;  // Stops the workers (in-flight requests finish, up to http_timeout).

  AciBackend(const AciBackend&) = delete;
  AciBackend& operator=(const AciBackend&) = delete;

  bool Handles(const Action& action) const override;
  void Execute(const Action& action, absl::Time now) override;
  std::vector<Event> Poll(absl::Time now) override;
  absl::Time NextEventTime() const override;
  void SetWakeup(std::function<void()> wakeup) override;

  // GET .../containers/{container}/logs (container "" = the configured one). Blocks: call it from
  // a gRPC handler thread, never from the event loop.
  absl::StatusOr<std::string> FetchLogs(const std::string& group, const std::string& container);

  AciQuota quota() const;
  AciBackendStats stats() const;
  // Estimated spend (per second on the requested size, from create accepted to delete done).
  int64_t SpendMicroUsd(absl::Time now) const;
  // Groups known and not yet deleted (including ones whose delete is in flight).
  int LiveGroups() const;
  // Blocks (real time, up to `timeout`) until no group is known and no step runs; for tests.
  bool AwaitIdle(absl::Duration timeout) const;

 private:
  enum class Step { kCreate, kVerify, kWatchCreate, kObserve, kIdle, kDelete, kWatchDelete };
  struct Group {
    std::string job_id;
    int attempt = 0;
    std::string name;
    std::string body;  // The PUT body; holds secrets: never logged.
    Resources size;
    Step step = Step::kCreate;
    absl::Time due = absl::InfinitePast();
    bool busy = false;
    int retries = 0;
    std::string operation_url;
    bool delete_requested = false;
    bool orphan = false;
    bool found_at_start = false;  // Adopted from the first list (already in the usages read).
    bool reported_starting = false;
    bool reported_running = false;
    bool reported_final = false;
    absl::Time final_at = absl::InfiniteFuture();
    absl::Time put_sent_at = absl::InfiniteFuture();
    absl::Time billing_start = absl::InfiniteFuture();
  };
  enum class GlobalOp { kNone, kQuota, kPollCycle };

  void WorkerLoop();
  // Picks due work and takes its budget tokens; false when the backend stops.
  bool Claim(std::string* group_name, GlobalOp* global) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Duration BudgetWait(const Group& group, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TakeBudget(const Group& group, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Steps: each runs without the lock and returns after updating the group under it.
  void RunStep(const std::string& name);
  void DoCreate(const std::string& name, const Group& snapshot);
  void DoVerify(const std::string& name, const Group& snapshot);
  void DoWatchCreate(const std::string& name, const Group& snapshot);
  void DoObserve(const std::string& name, const Group& snapshot);
  void DoDelete(const std::string& name, const Group& snapshot);
  void DoWatchDelete(const std::string& name, const Group& snapshot);
  void DoReadQuota();
  void DoPollCycle();

  // Helpers called with the lock held.
  void Emit(EventBody body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReportVerdict(Group& group, const std::string& body_json) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fail(Group& group, const std::string& reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A failure of `group`'s current step: back off and retry, or give up (deletes never do).
  void RetryOrFail(Group& group, const ArmError& error, Step retry_step, bool give_up_allowed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Gone(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the running step of `group`: releases it and redirects to kDelete if one was requested.
  void Release(Group& group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Schedule(Group& group, Step step, absl::Duration delay) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string QuotaRefusal(const Group& group) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Wake();  // Calls the wakeup (without the lock).

  const AciBackendConfig config_;
  const std::unique_ptr<HttpClient> http_;
  const std::unique_ptr<TokenSource> tokens_;  // May use http_: declared (so destroyed) after it.
  Clock* const clock_;
  ArmClient arm_;

  // Held while a wakeup runs, so the destructor can wait it out (order: wake_mu_, then mu_).
  absl::Mutex wake_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  absl::CondVar work_cv_;
  std::mt19937_64 own_bitgen_ ABSL_GUARDED_BY(mu_);
  absl::BitGenRef bitgen_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> wakeup_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Group> groups_ ABSL_GUARDED_BY(mu_);
  // Tagged groups seen in lists that no action mentions: name → first seen.
  absl::flat_hash_map<std::string, absl::Time> strangers_ ABSL_GUARDED_BY(mu_);
  std::vector<Event> outbox_ ABSL_GUARDED_BY(mu_);
  MultiWindowLimit create_limit_ ABSL_GUARDED_BY(mu_);
  MultiWindowLimit delete_limit_ ABSL_GUARDED_BY(mu_);
  TokenBucket write_bucket_ ABSL_GUARDED_BY(mu_);
  TokenBucket read_bucket_ ABSL_GUARDED_BY(mu_);
  bool quota_pending_ ABSL_GUARDED_BY(mu_) = true;
  AciQuota quota_ ABSL_GUARDED_BY(mu_);
  bool poll_busy_ ABSL_GUARDED_BY(mu_) = false;
  bool inventory_reported_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time next_poll_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time next_reconcile_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int busy_ops_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t closed_spend_micro_usd_ ABSL_GUARDED_BY(mu_) = 0;
  AciBackendStats stats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_;
};

// Builds an AciBackend from `config`: applies the AZURE_* environment, validates, and wires
// libcurl and the configured auth. `clock` null = RealClock.
absl::StatusOr<std::unique_ptr<AciBackend>> MakeAciBackend(AciBackendConfig config,
                                                           Clock* clock = nullptr);

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_ACI_BACKEND_H_
