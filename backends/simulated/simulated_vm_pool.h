// A simulated VM pool: a fixed set of nodes whose "agents" start and stop tasks in simulated time.
// Used by tests, by `make run` until the real agent exists, and by the simulator.
//
// Deterministic: time comes only from the `now` arguments and there is no randomness; the same
// calls produce the same events. Pending future events sit in a min-heap ordered by (time,
// sequence), so each action or event costs O(log n); cancelled events are dropped lazily.
//
// Behaviour (see README.md for the table):
//   1. The first call that carries a time (normally the first Poll) reports NodeUp for every
//      declared node, in declaration order, at that time.
//   2. StartVmTask at t: TaskStarting at t; TaskRunning at t + start_delay; TaskExited at
//      running + run time (labels "spillway.sim/..." script run time, exit code and failures).
//      A start for a (job, attempt) that is still live is ignored (a retried delivery). A start
//      on an unknown or down node, or one that does not fit the node's free capacity (when
//      enforce_capacity), fails at t with TaskFailed.
//   3. StopVmTask at t: the task is removed and reports TaskExited(143, "stopped: <reason>") at t,
//      nothing after. Stopping an unknown or finished task reports nothing (its end was reported).
//   4. KillNode at t: NodeDown at t; its tasks vanish silently (the core reschedules them).
//      ReviveNode at t: NodeUp at t with the declared capacity and labels, no tasks.
// Time never goes backwards: a `now` earlier than the latest one seen is taken as the latest.
// Thread-safe (one mutex), though the event loop normally makes every call from one thread.
#ifndef SPILLWAY_BACKENDS_SIMULATED_SIMULATED_VM_POOL_H_
#define SPILLWAY_BACKENDS_SIMULATED_SIMULATED_VM_POOL_H_

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "scheduler/model/resources.h"

namespace spillway {

// --- Scripting a job's simulated behaviour (shared by SimulatedVmPool and SimulatedAci) ---

// Run time as an absl duration string ("30s", "1h30m"); else the spec's expected_duration; else
// the backend's default_run_time.
inline constexpr char kSimDurationLabel[] = "spillway.sim/duration";
// Exit code (decimal int) of a normal exit; default 0.
inline constexpr char kSimExitCodeLabel[] = "spillway.sim/exit-code";
// "start": the attempt fails (TaskFailed "simulated start failure") when it would start running.
// "run":   it runs, then fails (TaskFailed "simulated failure while running") after its run time.
inline constexpr char kSimFailLabel[] = "spillway.sim/fail";

struct SimulatedBehaviour {
  enum class Failure { kNone, kStart, kRun };

  absl::Duration run_time;
  int exit_code = 0;
  Failure failure = Failure::kNone;
};

// Reads the "spillway.sim/..." labels of `spec`. Unparsable values fall back to the defaults;
// a negative run time counts as zero.
SimulatedBehaviour SimulatedBehaviourOf(const spillway::v1::JobSpec& spec,
                                        absl::Duration default_run_time);

// --- The pool ---

struct SimulatedNode {
  std::string id;
  Resources capacity;
  std::map<std::string, std::string> labels;
};

struct SimulatedVmPoolOptions {
  // From StartVmTask to TaskRunning (the agent pulling and starting the process).
  absl::Duration start_delay = absl::Seconds(1);
  // Run time of jobs with neither a "spillway.sim/duration" label nor an expected_duration.
  absl::Duration default_run_time = absl::Seconds(30);
  // Fail starts that do not fit the node's free capacity (catches over-commit by the core).
  bool enforce_capacity = true;
  // After the first NodeUps, report a BackendInventory of the tasks running (none: a simulated
  // pool starts empty), as a real pool does when spillwayd restarts (core_recovery.cc).
  bool report_inventory = false;
};

class SimulatedVmPool final : public Backend {
 public:
  // Nodes with duplicate ids: the first one wins.
  explicit SimulatedVmPool(std::vector<SimulatedNode> nodes,
                           SimulatedVmPoolOptions options = SimulatedVmPoolOptions());

  SimulatedVmPool(const SimulatedVmPool&) = delete;
  SimulatedVmPool& operator=(const SimulatedVmPool&) = delete;

  // Backend: handles StartVmTask and StopVmTask; other actions are ignored.
  bool Handles(const Action& action) const override;
  void Execute(const Action& action, absl::Time now) override;
  std::vector<Event> Poll(absl::Time now) override;
  // InfinitePast before the first Poll (the NodeUp reports are due at once).
  absl::Time NextEventTime() const override;

  // Test hooks. Return false (and do nothing) for an unknown node or one already down / up.
  bool KillNode(absl::string_view node_id, absl::Time now,
                absl::string_view reason = "simulated node failure");
  bool ReviveNode(absl::string_view node_id, absl::Time now);

  // Queries, as of the latest time passed in. Live tasks (starting or running) on all nodes.
  int RunningTasks() const;
  // Job ids of the live tasks on `node_id`, sorted (by job id, then attempt).
  std::vector<std::string> TasksOn(absl::string_view node_id) const;

 private:
  using TaskKey = std::pair<std::string, int>;  // (job id, attempt)

  struct Node {
    SimulatedNode declared;
    bool up = true;
    Resources used;
    std::set<TaskKey> tasks;
  };
  struct Task {
    std::string node_id;
    Resources request;
    uint64_t incarnation = 0;
  };
  // A future report about one task; dropped if the task is gone or was restarted meanwhile.
  struct Pending {
    enum class Kind { kRunning, kExited, kFailed };

    absl::Time time;
    Kind kind = Kind::kRunning;
    TaskKey task;
    uint64_t incarnation = 0;
    int exit_code = 0;
    std::string reason;
  };
  // The heap holds small keys into pending_ (moving a key is a copy of 24 bytes).
  struct HeapKey {
    absl::Time time;
    uint64_t seq = 0;  // Order among reports due at the same time: scheduling order.
    size_t slot = 0;   // In pending_.
  };
  struct Later {  // Heap order: earliest (time, seq) on top.
    bool operator()(const HeapKey& a, const HeapKey& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };

  // Moves every pending event due by `now` to the outbox and applies its state change.
  void AdvanceTo(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Start(const StartVmTask& start) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Stop(const StopVmTask& stop) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Schedule(absl::Time time, Pending::Kind kind, const TaskKey& task, uint64_t incarnation,
                int exit_code, std::string reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveTask(const TaskKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Report(EventBody body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReportNodeUp(const Node& node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SimulatedVmPoolOptions options_;
  mutable absl::Mutex mu_;
  std::vector<std::string> node_order_ ABSL_GUARDED_BY(mu_);  // Declaration order.
  absl::flat_hash_map<std::string, Node> nodes_ ABSL_GUARDED_BY(mu_);
  // A B-tree: it grows a node at a time. A hash table rehashes every task when it doubles, a
  // pause of milliseconds on the loop thread at tens of thousands of tasks.
  absl::btree_map<TaskKey, Task> tasks_ ABSL_GUARDED_BY(mu_);
  // Future reports: a binary heap (std::push_heap / pop_heap with Later) of keys into slots of
  // pending_, a deque (it grows a block at a time; freed slots are reused). A heap of the
  // reports themselves moved every one of them (two strings each) when its vector doubled — a
  // 6 ms stall of the submit that crossed the boundary with spillwayd at ~65k tasks — and a heap
  // in a deque sifted them through 5-element blocks, 3% of spillwayd's CPU per submit.
  std::vector<HeapKey> heap_ ABSL_GUARDED_BY(mu_);
  std::deque<Pending> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> free_slots_ ABSL_GUARDED_BY(mu_);
  std::vector<Event> outbox_ ABSL_GUARDED_BY(mu_);  // Due events, oldest first.
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool announced_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_incarnation_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_SIMULATED_SIMULATED_VM_POOL_H_
