// The scheduling core: a deterministic state machine. Events in, actions out, time inside the
// events; no threads, locks, I/O or clock. Same events in the same order -> same actions.
//
// On every event the core
//   1. applies the event (a submit queues a job, a task report moves a job along its lifecycle,
//      a node report changes the pool, a policy change replaces the policy, ...);
//   2. flushes ACI deletes that were waiting for the delete budget;
//   3. runs the queue (core_schedule.cc): head-of-queue jobs that fit start at once; then, when a
//      full pass is due (on a change while the queue is short, else once per full_pass_interval),
//      jobs in queue order (priority, then earliest deadline) try the VM pool; a job that does
//      not fit gets a predicted VM start from the pool's capacity profiles and a reservation
//      there, and bursts to ACI if DecideBurst says waiting would break its budget; later jobs
//      may backfill only where they do not delay a reservation;
//   4. rebalances (core_drain.cc): migratable work leaves draining nodes, and migratable ACI work
//      moves back to the pool once room has been stable for the drain window, within the drain
//      budget, starting the VM copy first and deleting the ACI group only once the copy runs.
#ifndef SPILLWAY_SCHEDULER_CORE_CORE_H_
#define SPILLWAY_SCHEDULER_CORE_CORE_H_

#include <deque>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/spillway/v1/admin.pb.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "scheduler/burst/burst_decision.h"
#include "scheduler/burst/capacity_profile.h"
#include "scheduler/burst/rate_window.h"
#include "scheduler/core/actions.h"
#include "scheduler/core/core_snapshot.pb.h"
#include "scheduler/core/events.h"
#include "scheduler/core/job_index.h"
#include "scheduler/feedback/feedback.h"
#include "scheduler/model/job_validation.h"
#include "scheduler/placement/node_pool.h"
#include "scheduler/placement/placer.h"

namespace spillway {

// SUCCEEDED, FAILED or CANCELLED: a job in one never runs again.
bool IsFinalState(spillway::v1::JobState state);

struct CoreConfig {
  std::string cluster_name = "local";
  spillway::v1::Policy policy;                // Unset fields take DefaultPolicy()'s values.
  absl::Time start_time = absl::UnixEpoch();  // Time of the initial policy's audit record.
  size_t event_log_capacity = 100000;         // Job events kept for WatchJobs resumption.
  int max_reservations = 64;                  // Queued jobs that get a VM reservation per pass.
  int candidate_limit = 8;                    // Feasible nodes scored per placement.
  // With more than `max_reservations` jobs queued, the full queue pass (predictions,
  // reservations, backfill, burst decisions for every queued job) runs at most this often; the
  // events in between only start jobs at the head of the queue that fit now (core_schedule.cc).
  absl::Duration full_pass_interval = absl::Seconds(1);
  // Past the reservation horizon a full pass visits only the jobs whose decision can change
  // (queue_index.cc). false: it visits every job — the reference the indexes are tested against.
  bool index_deep_queue = true;
  // Past the reservation horizon a job held by an ACI limit is decided again only when the
  // limits could let it start or the pool could take it; its explanation (which limit holds it)
  // is refreshed at least this often. Zero: on every pass — the reference the gate is tested
  // against (it changes no action, only how fresh a held job's explanation is).
  absl::Duration blocked_refresh_interval = absl::Seconds(10);
  // Tests: every answer the queue pass takes from a cache (a node's sorted releases, the pass's
  // explanation for jobs no node has the cpu for) is checked against one worked out afresh (a
  // mismatch aborts). Off in production (it undoes the caches).
  bool check_caches = false;
};

struct ApplyResult {
  absl::Status status;          // Non-OK: the command was refused and nothing changed.
  std::vector<Action> actions;  // For the backends, in order.
  std::string job_id;           // JobSubmitted: the job's id.
  bool created = false;         // JobSubmitted: false when the idempotency key matched.
};

struct JobFilter {
  spillway::v1::JobState state = spillway::v1::JOB_STATE_UNSPECIFIED;
  spillway::v1::Backend backend = spillway::v1::BACKEND_UNSPECIFIED;
  std::map<std::string, std::string> labels;
};

class Core {
 public:
  explicit Core(CoreConfig config);
  // The queue and the job index point into jobs_: a copy would point into the original.
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;
  Core(Core&&) = default;

  ApplyResult Apply(const Event& event);

  // --- Snapshots (core_snapshot.cc) ---
  // Everything the core knows. Finished jobs last updated before `forget_finished_before` (and
  // their idempotency keys) are left out: that is how the store compacts old history.
  spillway::core::v1::CoreSnapshot Snapshot(
      absl::Time forget_finished_before = absl::InfinitePast()) const;
  // Replaces the state with `snapshot`'s (the config's cluster name must match).
  absl::Status Restore(const spillway::core::v1::CoreSnapshot& snapshot);
  // Drops what Snapshot(`before`) leaves out — finished jobs last updated before `before` and
  // their idempotency keys — so the live core holds what one restored from that snapshot would
  // (bounded memory for a long-running core). Returns how many jobs it dropped.
  int ForgetFinished(absl::Time before);

  // --- Queries (read-only) ---
  // The full record, secrets included: redact before it leaves the process.
  const spillway::v1::Job* FindJob(const std::string& id) const;
  // Jobs with id > after_id matching `filter`, at most `limit`; `next` is the last id returned
  // when more may follow, else empty.
  std::vector<const spillway::v1::Job*> ListJobs(const JobFilter& filter,
                                                 const std::string& after_id, int limit,
                                                 std::string* next) const;
  spillway::v1::GetClusterResponse Cluster(absl::Time now) const;
  // The same into `out` (empty; e.g. a response on a call's arena, where assigning would copy).
  void ClusterInto(absl::Time now, spillway::v1::GetClusterResponse* out) const;
  const spillway::v1::Policy& policy() const { return policy_; }
  const std::vector<spillway::v1::PolicyChange>& policy_history() const { return audit_; }
  CapacityLimits Limits() const;
  const NodePool& pool() const { return pool_; }
  int64_t revision() const { return revision_; }
  // Job events with revision > after (oldest first, at most max); OUT_OF_RANGE when events after
  // `after` were already dropped from the log.
  absl::Status EventsSince(int64_t after, size_t max,
                           std::vector<spillway::v1::JobEvent>* out) const;
  int queue_depth() const { return static_cast<int>(queue_.size()); }
  // Full queue passes run by this instance (not restored from snapshots): for benchmarks.
  int64_t full_passes() const { return full_passes_; }
  // True while recovering: nothing new is placed until the backends reported what they run.
  bool reconciling(absl::Time now) const {
    return !awaiting_inventory_.empty() && now < recovery_deadline_;
  }
  int64_t AciSpendMicroUsd(absl::Time now) const;
  const std::string& cluster_name() const { return config_.cluster_name; }
  const Feedback& feedback() const { return feedback_; }

 private:
  // Queue order: priority, then the earliest deadline (queued_since + wait budget, Unix ns), then
  // arrival (seq is unique per job).
  using QueueKey = std::tuple<int, int64_t, int64_t>;
  // A job's spec never changes: what the queue pass asks of it on every visit.
  struct SpecFacts {
    bool known = false;
    bool plain = true;       // No node selector, affinity or anti-affinity.
    bool unbounded = false;  // Restart policy ALWAYS: no expected end.
    spillway::v1::BurstMode mode = spillway::v1::BURST_MODE_ALLOWED;  // Unspecified = allowed.
    absl::Duration hint = absl::ZeroDuration();  // spec.expected_duration; zero if none.
    Resources aci_request;                       // Rounded to ACI's granularity.
  };
  // The fields a full pass reads of every visited job come first (the proto last): a pass
  // touches thousands of records, and each cache line counts.
  struct JobRecord {
    Resources request;
    absl::Time queued_since;
    absl::Time retry_at = absl::InfinitePast();
    QueueKey queue_key;           // Its key in queue_ while queued.
    absl::Time indexed_deadline;  // Its key in by_deadline_ while queued.
    bool queued = false;
    bool undecided = false;   // In undecided_.
    bool blocked = false;     // In blocked_ (and so not in by_deadline_).
    int current_attempt = 0;  // 0 = none.
    // What the queue pass reads of the spec on every visit, worked out once (FactsOf).
    mutable SpecFacts facts;
    // ExpectedDurationOf's answer for (feedback run-time version, policy version).
    mutable absl::Duration expected;
    mutable std::pair<int64_t, int64_t> expected_at{-1, -1};
    // EffectiveMaxWait under policy version `max_wait_policy`.
    mutable absl::Duration max_wait;
    mutable int64_t max_wait_policy = -1;
    // Its class's number in class_memo_ (ClassIdOf): -1 not yet known, kNoClassId past the cap.
    mutable int class_id = -1;
    // ExpectedEnd's cache of the current attempt's start (placed, then running time): valid while
    // cached_start_attempt is the current attempt (OnTaskRunning resets it when it sets a start).
    mutable int cached_start_attempt = 0;
    mutable absl::Time cached_start;
    std::string pending_class;
    int64_t seq = 0;
    int migration_attempt = 0;  // A copy being started elsewhere; 0 = none.
    int restarts = 0;           // Restarts after the job's own failures.
    int infra_failures = 0;     // Attempts the infrastructure failed.
    spillway::v1::Job job;
  };
  struct AciGroup {
    std::string job_id;
    int attempt = 0;
    Resources size;
    absl::Time created;
    bool delete_requested = false;
    std::string delete_reason;
  };

  // Events (core.cc).
  ApplyResult OnSubmit(const JobSubmitted& submitted, absl::Time now);
  absl::Status OnCancel(const JobCancelled& e, absl::Time now, std::vector<Action>& actions);
  absl::Status OnPolicy(const PolicyChanged& e, absl::Time now);
  absl::Status OnCordon(const NodeCordoned& e, std::vector<Action>& actions);
  absl::Status OnDrain(const NodeDrainRequested& e, std::vector<Action>& actions);
  void OnNodeUp(const NodeUp& e);
  void OnNodeDown(const NodeDown& e, absl::Time now, std::vector<Action>& actions);
  void OnTaskStarting(const TaskStarting& e, absl::Time now, std::vector<Action>& actions);
  void OnTaskRunning(const TaskRunning& e, absl::Time now, std::vector<Action>& actions);
  void OnTaskExited(const TaskExited& e, absl::Time now, std::vector<Action>& actions);
  void OnTaskFailed(const TaskFailed& e, absl::Time now, std::vector<Action>& actions);
  void OnAciGroupDeleted(const AciGroupDeleted& e, absl::Time now);
  void OnRecoveryStarted(const RecoveryStarted& e);
  void OnInventory(const BackendInventory& e, absl::Time now, std::vector<Action>& actions);

  // Lifecycle helpers (core_lifecycle.cc).
  void Transition(JobRecord& rec, spillway::v1::JobState state, const std::string& reason,
                  absl::Time now);
  spillway::v1::Attempt& AttemptOf(JobRecord& rec, int number);
  spillway::v1::Attempt& NewAttempt(JobRecord& rec, spillway::v1::Backend backend, absl::Time now);
  void Enqueue(JobRecord& rec, absl::Time now);
  void Dequeue(JobRecord& rec);
  // Ends attempt `number` (releases the node or deletes the group); `state` is its final state.
  void EndAttempt(JobRecord& rec, int number, spillway::v1::JobState state,
                  const std::string& reason, bool stop_task, absl::Time now,
                  std::vector<Action>& actions);
  // After the current attempt ended: restart with back-off, or finish the job.
  void AfterAttempt(JobRecord& rec, bool infrastructure, int exit_code, const std::string& reason,
                    absl::Time now);
  void RequestDelete(const std::string& group, const std::string& reason, absl::Time now,
                     std::vector<Action>& actions);
  void FlushDeletes(absl::Time now, std::vector<Action>& actions);
  // Stops a task a backend reported for an attempt the core no longer runs.
  void StopStale(const std::string& job_id, int attempt, std::vector<Action>& actions);
  TaskFootprint FootprintOf(const JobRecord& rec, int attempt) const;
  // Attempt `attempt` of `rec` takes (gives back) its footprint on VM node `node_id`.
  void AllocateTask(JobRecord& rec, const std::string& node_id, int attempt);
  void ReleaseTask(JobRecord& rec, const std::string& node_id, int attempt);
  // The expected ends of `rec`'s attempts changed (current attempt, start time): the nodes its
  // VM attempts ran on rebuild their cached releases (NodeJobs).
  void TouchNodesOf(const JobRecord& rec);
  int MaxRestarts(const JobRecord& rec) const;
  JobRecord* Find(const std::string& id);

  // Queue pass (core_schedule.cc).
  // PlaceHead, then a full pass when one is due. `changed`: the event changed the queue, the
  // pool, ACI's usage or the policy; `force`: a full pass whatever the queue.
  void Schedule(absl::Time now, bool changed, bool force, std::vector<Action>& actions);
  void FullPass(absl::Time now, std::vector<Action>& actions);
  struct Pass;  // A full pass's working state (core_schedule.cc).
  // Places, reserves, bursts or explains one queued job (steps 2-4 above).
  void DecideQueued(JobRecord& rec, Pass& pass, absl::Time now, std::vector<Action>& actions);
  // Past the reservation horizon, the jobs (from `from` on, in queue order) whose decision can
  // differ from their last one: never decided, blocked by an ACI limit or infeasible, due to
  // burst by now, or small enough for the pool's free cpu (queue_index.cc).
  // `usage`: ACI's at the start of the deep part; `all_blocked`: every blocked job, else only
  // those ACI's limits may now let start (the rest are held: HeldByAciLimits).
  // A candidate picked only because its cpu fits the pool's free cpu (`only_small`, its by_cpu_
  // entry copied in `small`) is decided only if SmallJobMightFit still holds when its turn comes
  // (the pool fills and shapes fail as the pass goes on); checking that reads no record.
  struct ByCpu;
  struct DeepCandidate;
  std::vector<DeepCandidate> DeepCandidates(const QueueKey& from, absl::Duration last_prediction,
                                            absl::Duration aci_latency, absl::Time now,
                                            const AciUsage& usage, bool all_blocked,
                                            const Pass& pass) const;
  // ExpectedDurationOf, or InfiniteDuration for a job that runs until stopped.
  absl::Duration RunOf(const JobRecord& rec) const;
  // True if the pool might take `rec` now: DecideQueued would try to place it (some node has its
  // cpu free, and its shape did not already fail this pass for a run no longer than its own).
  bool PoolMightTake(const JobRecord& rec, absl::Duration duration, const Pass& pass) const;
  // PoolMightTake from a by_cpu_ entry.
  bool SmallJobMightFit(const ByCpu& entry, const Pass& pass) const;
  // The shortest run for which a plain job of `shape` (cpu, memory) found no room this pass;
  // null if none did.
  const absl::Duration* ShapeFailure(const Pass& pass,
                                     const std::pair<int64_t, int64_t>& shape) const;
  // A blocked job past the horizon that ACI's limits keep from starting and the pool cannot
  // take: deciding it again would change at most its explanation.
  bool HeldByAciLimits(const JobRecord& rec, const Pass& pass) const;
  // Past the reservation horizon, true if deciding `rec` again would change nothing: the pool
  // cannot take it now and DecideBurst leaves it in its class (the past-horizon branch of
  // DecideQueued, without the placement walk or messages).
  bool DeepDecisionUnchanged(const JobRecord& rec, Pass& pass, absl::Time now) const;
  // After a full pass decided `rec` (still queued): out of undecided_; into blocked_ (out of
  // by_deadline_) when an ACI limit or the pool's shape holds it, else back.
  void MarkDecided(JobRecord& rec);
  QueueKey KeyOf(const JobRecord& rec) const;
  void IndexQueued(JobRecord& rec);
  void UnindexQueued(JobRecord& rec);
  void RebuildQueueIndexes();
  // Starts queued jobs in queue order while they fit the pool now; stops at the first that does
  // not (so nothing ahead of a job is delayed by it). Jobs that do not want the pool, are in
  // back-off or fit no node at all are passed over.
  void PlaceHead(absl::Time now, std::vector<Action>& actions);
  CapacityProfile& ProfileOf(const NodeInfo& node, absl::Time now,
                             absl::flat_hash_map<const NodeInfo*, CapacityProfile>& profiles) const;
  absl::Time ExpectedEnd(const JobRecord& rec, absl::Time now) const;
  // When the current attempt started (or was placed, until it runs).
  absl::Time StartOf(const JobRecord& rec) const;
  struct NodeJobs;
  // Appends the expected ends of `on_node`'s jobs at `now` to its releases, in time order, and
  // notes how long they hold (cached_until) and whether a job's class run time went in.
  void AddReleases(NodeJobs& on_node, absl::Time now) const;
  const SpecFacts& FactsOf(const JobRecord& rec) const;
  // EffectiveMaxWait(spec, policy_), cached per policy version.
  absl::Duration MaxWaitOf(const JobRecord& rec) const;
  // feedback_.ExpectedDuration for the job, its class looked up once.
  absl::Duration ExpectedDurationOf(const JobRecord& rec) const;
  // The number of a job class in class_memo_ (given one on first sight), or kNoClassId.
  int ClassIdOf(absl::string_view job_class) const;
  // The expected run of a job of class `class_id` without a hint (cached per version).
  absl::Duration ClassRun(int class_id) const;
  void PlaceOnVm(JobRecord& rec, const NodeInfo& node, const std::string& why, absl::Time now,
                 std::vector<Action>& actions);
  void BurstToAci(JobRecord& rec, const std::string& why, absl::Time now,
                  std::vector<Action>& actions);
  CreateAciGroup StartAciAttempt(JobRecord& rec, absl::Time now);
  AciUsage CurrentAciUsage(absl::Time now);
  PlacementRequest RequestOf(const JobRecord& rec) const;
  bool AnyNodeCouldEverFit(const PlacementRequest& request) const;
  PlacementOptions Options() const;
  void RecordDecision(JobRecord& rec, const std::string& outcome, const std::string& message,
                      const std::map<std::string, int>& rejections, absl::Duration predicted,
                      absl::Time now);

  // Left out of Snapshot(before) and dropped by ForgetFinished(before).
  static bool Forgettable(const JobRecord& rec, absl::Time before);

  // Rebalancing (core_drain.cc).
  void Rebalance(absl::Time now, std::vector<Action>& actions);
  void StartMigration(JobRecord& rec, const NodeInfo* node, const std::string& why, absl::Time now,
                      std::vector<Action>& actions);
  bool DrainBudgetLeft(absl::Time now);

  CoreConfig config_;
  spillway::v1::Policy policy_;
  std::vector<spillway::v1::PolicyChange> audit_;
  std::map<std::string, JobRecord>
      jobs_;                   // Ordered by id for ListJobs; never erased but by Restore.
  JobIndex<JobRecord> index_;  // id -> jobs_ entry, for lookups.
  // Jobs that reached a final state, by when (whole seconds, as Forgettable reads it): what
  // ForgetFinished looks at. An entry may be stale (the job moved on); it is then skipped.
  std::multimap<absl::Time, std::string> finished_;
  std::map<std::string, std::string> idempotency_;  // key -> job id
  std::map<QueueKey, JobRecord*> queue_;
  // Indexes of the queue for DeepCandidates (queue_index.cc); entries sort by their first field,
  // then queue order.
  using IndexedJob = std::pair<QueueKey, JobRecord*>;
  // (B-trees: a pass walks them, and their entries sit side by side.)
  // Burstable jobs not blocked, by queued_since + budget.
  absl::btree_set<std::pair<absl::Time, IndexedJob>> by_deadline_;
  // Every queued job by cpu. An entry carries what DeepCandidates' walk asks of the job
  // (PoolMightTake), so the walk reads no record: its memory, whether it is plain, and its run
  // when that is fixed (a hint, or unbounded) or else its class (ClassRun).
  struct ByCpu {
    int64_t cpu_millis;
    QueueKey key;
    JobRecord* rec;
    int64_t memory_mib;
    bool plain;
    int class_id;  // -1: `run` is the job's run; kNoClassId: ask the record (RunOf).
    absl::Duration run;
    bool operator<(const ByCpu& o) const {
      return std::tie(cpu_millis, key) < std::tie(o.cpu_millis, o.key);
    }
  };
  ByCpu ByCpuEntry(JobRecord& rec) const;
  struct DeepCandidate {
    QueueKey key;
    JobRecord* rec;
    bool only_small;
    ByCpu small;  // Set when only_small.
  };
  absl::btree_set<ByCpu> by_cpu_;
  absl::btree_set<IndexedJob> aci_only_;
  absl::btree_set<IndexedJob> undecided_;  // Not yet decided by a full pass.
  // Last decided: blocked by a limit, or infeasible; by ACI-rounded cpu.
  absl::btree_set<std::pair<int64_t, IndexedJob>> blocked_;
  bool visit_all_ = true;  // Nodes or policy changed: the next pass visits every job.
  NodePool pool_;
  // The jobs with an attempt on each node (once per attempt): capacity profiles read them.
  // `releases` caches their expected ends in time order (ProfileOf) while `version` stays the
  // cached one (bumped when the node's jobs, their current attempts or start times change:
  // TouchNodesOf), the run-time versions stay the cached ones (when a job without a hint is on
  // the node), and no job has reached its expected end (after it, the end moves with time).
  struct NodeJobs {
    std::vector<JobRecord*> jobs;
    int64_t version = 0;
    int64_t cached_version = -1;
    bool cached_uses_class = false;
    std::pair<int64_t, int64_t> cached_at{-1, -1};
    absl::Time cached_from;
    absl::Time cached_until;  // Valid for now in [cached_from, cached_until).
    std::vector<std::pair<absl::Time, Resources>> releases;
  };
  mutable absl::flat_hash_map<std::string, NodeJobs> node_jobs_;
  Feedback feedback_;
  // Job classes (Feedback::ClassOf) by number, with ExpectedDurationOf's answer for each at
  // (run-time, policy) versions: jobs without a hint share their class's. At most kMaxClassIds
  // classes get a number; a job of any other asks the feedback directly.
  struct ClassMemo {
    std::string name;
    std::pair<int64_t, int64_t> at{-1, -1};
    absl::Duration expected;
  };
  static constexpr int kMaxClassIds = 4096;
  static constexpr int kNoClassId = -2;
  mutable absl::flat_hash_map<std::string, int> class_ids_;
  mutable std::vector<ClassMemo> class_memo_;
  std::map<std::string, AciGroup> groups_;
  int64_t groups_version_ = 0;  // Bumped when groups_ gains or loses a group.
  // CurrentAciUsage's sums over groups_, valid for (groups_version_, policy version).
  AciUsage group_usage_;
  int64_t group_usage_version_ = -1;
  int64_t group_usage_policy_ = -1;
  std::deque<std::string> pending_deletes_;  // Waiting for the delete budget.
  RateWindow creates_{absl::Hours(1)};
  RateWindow deletes_{absl::Hours(1)};
  RateWindow drain_moves_{absl::Minutes(1)};
  absl::Time last_burst_ = absl::InfinitePast();
  absl::Time room_since_ = absl::InfinitePast();  // Pool has had room for ACI work since.
  absl::Time last_full_pass_ = absl::InfinitePast();
  absl::Time last_drain_back_check_ = absl::InfinitePast();
  int64_t full_passes_ = 0;
  int64_t enqueues_ = 0;  // Jobs that entered the queue (Apply compares before and after).
  std::set<int> awaiting_inventory_;  // Backends (v1::Backend) still to report after recovery.
  absl::Time recovery_deadline_ = absl::InfinitePast();
  int64_t finished_spend_micro_usd_ = 0;
  int64_t next_job_number_ = 1;
  int64_t next_seq_ = 1;
  int64_t revision_ = 0;
  std::deque<spillway::v1::JobEvent> event_log_;
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_CORE_CORE_H_
