// Simulated Azure Container Instances: container groups that provision, run, fail and bill in
// simulated time. Used by tests, by `make run` until the ARM client exists, and by the simulator.
//
// Deterministic: time comes only from the `now` arguments, randomness only from the seed in the
// options (or an injected absl::BitGenRef); the same calls with the same seed produce the same
// events. Pending future events sit in a min-heap ordered by (time, sequence): O(log n) each.
//
// Behaviour (see README.md for the table):
//   1. CreateAciGroup at t: TaskStarting at t; TaskRunning at t + start_latency (+ uniform jitter
//      in [0, start_latency_jitter], whole milliseconds); TaskExited at running + run time, with
//      the same "spillway.sim/..." labels as SimulatedVmPool. With probability
//      create_failure_rate provisioning fails instead: TaskFailed("InsufficientCapacity: ...") at
//      t + 2s, and the group still exists and bills until deleted, as in real ACI.
//      A create for a group name that exists is ignored (a retried PUT); one for a group being
//      deleted fails at t ("Conflict: ..."). With quotas set, a create beyond them fails at t
//      ("ContainerGroupQuotaReached: ...") and creates nothing.
//   2. DeleteAciGroup at t: the group's task reports nothing more; AciGroupDeleted at
//      t + delete_latency, when billing stops. Deleting an unknown group (404) still reports
//      AciGroupDeleted.
//   3. Billing: per second (rounded up) on the requested size, from create until deleted, priced
//      by AciCostMicroUsd. A group's containers exiting does not stop its billing; deleting does.
// Time never goes backwards: a `now` earlier than the latest one seen is taken as the latest.
// Thread-safe (one mutex), though the event loop normally makes every call from one thread.
#ifndef SPILLWAY_BACKENDS_SIMULATED_SIMULATED_ACI_H_
#define SPILLWAY_BACKENDS_SIMULATED_SIMULATED_ACI_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"
#include "scheduler/model/resources.h"

namespace spillway {

struct SimulatedAciOptions {
  // From create to TaskRunning (provisioning and image pull), plus a uniform draw in
  // [0, start_latency_jitter].
  absl::Duration start_latency = absl::Seconds(20);
  absl::Duration start_latency_jitter = absl::ZeroDuration();
  // Probability (0..1) that provisioning fails with InsufficientCapacity, reported after
  // create_failure_delay.
  double create_failure_rate = 0.0;
  absl::Duration create_failure_delay = absl::Seconds(2);
  // From DeleteAciGroup to AciGroupDeleted (billing stops then).
  absl::Duration delete_latency = absl::ZeroDuration();
  // Run time of jobs with neither a "spillway.sim/duration" label nor an expected_duration.
  absl::Duration default_run_time = absl::Seconds(30);
  // Billing; defaults to DefaultPolicy()'s prices (East US Linux: $0.0405/vCPU-h, $0.00445/GB-h).
  AciPrices prices = PricesOf(DefaultPolicy());
  // Subscription quotas; 0 = unlimited. Groups being deleted still count.
  int max_groups = 0;
  int64_t max_cpu_millis = 0;
  // Seeds the internal generator (ignored when a BitGenRef is injected).
  uint64_t seed = 1;
  // Report a BackendInventory (the live groups: none at start) on the first Poll, as the ARM
  // backend does after listing the resource group (core_recovery.cc).
  bool report_inventory = false;
};

class SimulatedAci final : public Backend {
 public:
  // Draws from an internal std::mt19937_64 seeded with options.seed.
  explicit SimulatedAci(SimulatedAciOptions options = SimulatedAciOptions());
  // Draws from `bitgen`, which must outlive this object (e.g. the simulator's one generator).
  SimulatedAci(SimulatedAciOptions options, absl::BitGenRef bitgen);

  SimulatedAci(const SimulatedAci&) = delete;
  SimulatedAci& operator=(const SimulatedAci&) = delete;

  // Backend: handles CreateAciGroup and DeleteAciGroup; other actions are ignored.
  bool Handles(const Action& action) const override;
  void Execute(const Action& action, absl::Time now) override;
  std::vector<Event> Poll(absl::Time now) override;
  absl::Time NextEventTime() const override;

  // Queries, as of the latest time passed in. Live = created and not yet deleted (a group whose
  // delete is in flight is still live: it still bills).
  int LiveGroups() const;
  std::vector<std::string> LiveGroupNames() const;  // Sorted.
  // Billing so far: deleted groups plus live ones up to `now` (micro-USD).
  int64_t SpendMicroUsd(absl::Time now) const;
  // Every CreateAciGroup / DeleteAciGroup executed, retries and failures included (ARM calls).
  int CreatesSeen() const;
  int DeletesSeen() const;

 private:
  struct Group {
    std::string job_id;
    int attempt = 0;
    Resources size;
    absl::Time created;
    bool deleting = false;
    absl::Time deleted_at = absl::InfiniteFuture();  // Set when deleting.
    uint64_t incarnation = 0;
  };
  // A future report. Task reports are dropped if the group is gone, deleting or re-created.
  struct Pending {
    enum class Kind { kRunning, kExited, kFailed, kDeleted };

    absl::Time time;
    uint64_t seq = 0;
    Kind kind = Kind::kRunning;
    std::string group_name;
    uint64_t incarnation = 0;
    int exit_code = 0;
    std::string reason;
  };
  struct Later {  // Heap order: earliest (time, seq) on top.
    bool operator()(const Pending& a, const Pending& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };

  void AdvanceTo(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Create(const CreateAciGroup& create) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Delete(const DeleteAciGroup& del) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Schedule(absl::Time time, Pending::Kind kind, const std::string& group_name,
                uint64_t incarnation, int exit_code, std::string reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends billing for `group_name` (if it exists) and forgets it.
  void Finalize(const std::string& group_name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t CostUpTo(const Group& group, absl::Time end) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SimulatedAciOptions options_;
  mutable absl::Mutex mu_;
  std::mt19937_64 own_bitgen_ ABSL_GUARDED_BY(mu_);
  absl::BitGenRef bitgen_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Group> groups_ ABSL_GUARDED_BY(mu_);
  int64_t live_cpu_millis_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t closed_spend_micro_usd_ ABSL_GUARDED_BY(mu_) = 0;
  int creates_seen_ ABSL_GUARDED_BY(mu_) = 0;
  int deletes_seen_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Pending> heap_ ABSL_GUARDED_BY(mu_);  // std::push_heap / pop_heap with Later.
  std::vector<Event> outbox_ ABSL_GUARDED_BY(mu_);  // Due events, oldest first.
  bool inventory_reported_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_incarnation_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_SIMULATED_SIMULATED_ACI_H_
