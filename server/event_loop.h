// The event loop: one batch at a time owns the Core and the backends; everything else talks to it
// by posting commands. Batches run on the loop's thread, or on a PostOrRun caller's when the loop
// is idle (then nothing else runs meanwhile: the loop is held, run_mu_). "The loop thread" below
// means whichever of them runs the batch at hand.
//
// Each turn of the loop
//   1. takes up to max_batch commands from the queue (waiting at most until the next Tick is due
//      or the earliest backend NextEventTime, when auto_tick is on; else until a command comes);
//   2. runs them in order, each with now = clock->Now(); a command applies events to the core
//      through its LoopContext, which queues the resulting actions and may defer a completion
//      (e.g. a gRPC Finish) until the batch is committed; a Tick is added when one is due;
//   3. commits the events applied so far (BatchCommitter, a no-op unless a store is configured:
//      one transaction per batch = group commit) — before any action leaves the process, so an
//      ACI create's intent is durable before its PUT is sent;
//   4. hands every queued action to the first backend whose Handles() is true (Execute);
//   5. polls every backend and applies the events it reports, committing each round before
//      executing the resulting actions, round after round until no backend reports anything (at
//      most max_poll_rounds);
//   6. hands new job events to the watchers (in revision order, none twice, no gaps; only durable
//      events);
//   7. runs the deferred completions with step 3's status: a submit is acknowledged only once
//      durable (Acknowledge'd answers run right after step 3, before the actions leave).
// What the commands, acknowledgements and completions hand to Reply() (e.g. a gRPC Finish:
// serialising and writing a response) runs in order on the loop's reply thread, handed over once
// after step 3 and once after step 7, so the loop takes the next batch while answers are written.
// A few replies while no command waits are run at once on the loop thread instead: a hand-off
// would cost them a thread wake-up and nothing would be gained.
// A failed commit poisons the loop (fail-stop): the core already applied events the store does
// not have, so nothing more is applied, executed or acknowledged until spillwayd restarts and
// replays its store.
// Nothing here sleeps to synchronise: waits are on the queue's mutex condition, and tests drive a
// SimulatedClock with Sync() / AdvanceAndSync().
#ifndef SPILLWAY_SERVER_EVENT_LOOP_H_
#define SPILLWAY_SERVER_EVENT_LOOP_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backends/backend.h"
#include "common/clock.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "scheduler/core/core.h"

namespace spillway {

class EventLoop;

// Makes a batch durable before its completions run. Called on the loop thread once per batch.
class BatchCommitter {
 public:
  virtual ~BatchCommitter() = default;

  // `applied`: events the core accepted, in order (commands, ticks, backend reports), not yet
  // committed. A non-OK status is handed to the batch's completions and poisons the loop. The
  // committer may only make the core forget what the store no longer holds
  // (Core::ForgetFinished after a compaction).
  virtual absl::Status Commit(const std::vector<Event>& applied, Core& core) = 0;
};

// A consumer of job events (a WatchJobs stream). Every method is called on the loop thread; a
// sink must not block.
class JobEventSink {
 public:
  virtual ~JobEventSink() = default;

  // How many more events the sink accepts right now (its free buffer space).
  virtual size_t Room() = 0;

  // The next events after the previous delivery: revision order, none twice, no gaps. At most
  // Room() of them. Return false to be removed.
  virtual bool Deliver(std::vector<spillway::v1::JobEvent> events) = 0;

  // The sink had no room while it was still replaying history: the loop holds the rest back
  // until the next batch after the sink has room again. Call EventLoop::Nudge() then.
  virtual void OnPaused() = 0;

  // The sink is removed and gets nothing more: OUT_OF_RANGE (history it needs was dropped),
  // RESOURCE_EXHAUSTED (it fell more than Room() behind after catching up), UNAVAILABLE (the loop
  // stops).
  virtual void Fail(const absl::Status& status) = 0;

  // False once the consumer is gone; the loop then drops the sink at its next batch.
  virtual bool Alive() = 0;
};

using WatchId = int64_t;

// What a command sees: the core, its time, and ways to record what it did.
class LoopContext {
 public:
  Core& core() const { return core_; }
  absl::Time now() const { return now_; }
  EventLoop& loop() const { return loop_; }

  // Applies Event{now(), body}. When the core accepts it, its actions are queued for the
  // backends and the event is recorded for the batch commit. The result is returned as is.
  ApplyResult Apply(EventBody body);

  // Runs `completion` on the loop thread once the batch is committed, with the commit's status
  // (OK, or the store's error), after the batch's actions were executed and its backends polled.
  // Completions run in the order they were deferred.
  void Defer(std::function<void(const absl::Status& committed)> completion);
  // Like Defer, but right after the commit of the commands (step 3), before their actions are
  // executed: for answers that need only durability (SubmitJob, CancelJob), so a client does not
  // wait for the backends. In order, before every Defer'd completion.
  void Acknowledge(std::function<void(const absl::Status& committed)> completion);

  // Registers `sink` for every job event with revision > after_revision (after_revision must not
  // be ahead of core().revision()). Delivery starts after this batch's backend polling.
  WatchId Watch(int64_t after_revision, std::shared_ptr<JobEventSink> sink);
  void Unwatch(WatchId id);
  // Fails and removes every watcher (e.g. UNAVAILABLE when the server begins to shut down).
  void FailAllWatchers(const absl::Status& status);

 private:
  friend class EventLoop;
  struct Batch;

  LoopContext(EventLoop& loop, Core& core, Batch& batch, absl::Time now)
      : loop_(loop), core_(core), batch_(batch), now_(now) {}

  EventLoop& loop_;
  Core& core_;
  Batch& batch_;
  absl::Time now_;
};

// What one batch did, for observers (metrics).
struct BatchStats {
  size_t commands = 0;        // Client commands run.
  size_t events_applied = 0;  // Events applied to the core (commands' and backends').
  absl::Duration apply_time;  // Monotonic time spent applying, executing and polling.
};

// Sees the core after every batch, on the loop thread (read-only; must not block).
class BatchObserver {
 public:
  virtual ~BatchObserver() = default;
  virtual void OnBatch(const Core& core, absl::Time now, const BatchStats& stats) = 0;
};

struct EventLoopOptions {
  // Commands taken from the queue per batch.
  size_t max_batch = 256;
  // A Tick is applied at least this often (in clock time) when auto_tick is on.
  absl::Duration tick_interval = absl::Milliseconds(200);
  // Wake up for ticks and backend NextEventTime. Off in tests: they Sync() explicitly.
  bool auto_tick = true;
  // Poll rounds per batch (a round applies events that may cause actions that cause events).
  int max_poll_rounds = 16;
  // AdvanceAndSync moves a SimulatedClock in steps no larger than this.
  absl::Duration sync_step = absl::Seconds(1);
  // Called after every batch (not owned; must outlive the loop).
  std::vector<BatchObserver*> observers;
  // Replies (Reply()) that the loop thread runs itself when no command is waiting and the reply
  // thread is idle; more go to the reply thread. 0: every reply goes to the reply thread.
  size_t max_inline_replies = 4;
};

class EventLoop {
 public:
  using Command = std::function<void(LoopContext&)>;

  // `clock` must outlive the loop. `committer` may be null (no durability step) and must outlive
  // the loop otherwise.
  EventLoop(std::unique_ptr<Core> core, std::vector<std::unique_ptr<Backend>> backends,
            Clock* clock, EventLoopOptions options = EventLoopOptions(),
            BatchCommitter* committer = nullptr);
  ~EventLoop();  // Stop()s.

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts the loop thread. Commands posted before Start() wait for it.
  void Start();

  // Before Start() only: applies a recovered event to the core (no commit, no actions — they
  // happened before the restart). Used to replay the store.
  absl::Status ApplyBeforeStart(const Event& event);
  absl::Status RestoreBeforeStart(const spillway::core::v1::CoreSnapshot& snapshot);

  // Stops accepting commands, runs every command accepted so far (and their completions), fails
  // the watchers with UNAVAILABLE and joins the thread. Idempotent. Without Start(), the accepted
  // commands run on the calling thread.
  void Stop();

  // Queues `command` for the loop thread. Thread-safe; may be called from the loop thread (it
  // then runs in a later batch). Returns false (and drops the command) once Stop() was called.
  bool Post(Command command);

  // Like Post, but when the loop has no committer, no batch is running and nothing is queued,
  // runs `command` as a batch of its own on the calling thread (its replies too) instead of waking
  // the loop thread: a handler's command on the call queue's thread (rpc/) then costs no thread
  // hand-off. When another PostOrRun caller's batch of one command is running, waits for it and
  // then runs here (handing this one to the loop thread instead would cost it a wake-up and its
  // reply one more). With a committer it always posts: a batch takes a commit's milliseconds,
  // which must not hold up the caller's thread, and the commands posted meanwhile share the next
  // commit (group commit). Not from a command or a reply (the call then Posts: the caller's batch
  // is running). Returns false once Stop() was called.
  bool PostOrRun(Command command);

  // How often PostOrRun waited for another caller's batch (for tests and diagnostics).
  int64_t inline_waits() const { return inline_waits_.load(std::memory_order_relaxed); }

  // Posts `command` and blocks until its batch is complete (actions executed, backends polled,
  // watchers fed, completions and replies run). Returns false when the loop is stopped. Must not
  // be called on the loop thread or in a reply.
  bool RunAndWait(Command command);

  // Applies a Tick at clock->Now() and waits until it and everything posted before it ran,
  // including backend polling. Not on the loop thread.
  void Sync();

  // Moves the SimulatedClock forward by `d` in steps of at most options.sync_step, stopping also
  // at every backend NextEventTime, and Syncs after each step, so simulated backends' events land
  // at their times. Requires the loop's clock to be a SimulatedClock. Not on the loop thread.
  void AdvanceAndSync(absl::Duration d);

  // Wakes the loop for one (empty) batch, e.g. so a paused watcher gets more events.
  void Nudge();

  // Loop thread only (commands, acknowledgements, completions): runs `reply` once the current step
  // of the batch is done (see the top of this file), after the replies given before it, on the
  // reply thread. For work that needs nothing of the core, e.g. finishing a gRPC call whose
  // response was filled in on the loop thread. Without Start() (Stop() runs the loop on its
  // caller) the replies run on the thread that runs the batch.
  void Reply(std::function<void()> reply);

  Clock& clock() const { return *clock_; }

 private:
  friend class LoopContext;
  struct Watcher {
    std::shared_ptr<JobEventSink> sink;
    int64_t cursor = 0;      // Last revision delivered (or skipped).
    bool caught_up = false;  // Has reached the head of the log once.
  };

  bool HasWorkOrStop() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `hand_off_replies`: on the thread Start() started (not on Stop()'s caller).
  void Run(bool hand_off_replies);
  // How long the loop may wait for a command before it has to tick or poll (auto_tick only).
  absl::Duration WaitBudget();
  // `hand_off_replies`: replies may go to the reply thread (false: they run on this thread).
  void RunBatch(std::vector<Command> commands, bool hand_off_replies);
  void ExecuteActions(const std::vector<Action>& actions, absl::Time now);
  // Commits batch.applied past batch.committed; poisons the loop on failure.
  absl::Status CommitApplied(LoopContext::Batch& batch);
  void PollBackends(LoopContext::Batch& batch, absl::Time now);
  void DispatchWatchers();
  // Hands replies_ to the reply thread, or runs them here (see max_inline_replies).
  void FlushReplies();
  bool RunRepliesHere(size_t count);
  void RunReplyThread();
  bool HasRepliesOrStop() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(reply_mu_);
  // Sync() returning the earliest backend NextEventTime seen after the batch.
  absl::Time SyncAndNextEventTime();

  std::unique_ptr<Core> core_;
  std::vector<std::unique_ptr<Backend>> backends_;
  Clock* const clock_;
  SimulatedClock* const simulated_clock_;  // clock_ when it is one, else null.
  const EventLoopOptions options_;
  BatchCommitter* const committer_;
  absl::Status poisoned_;  // Loop thread only: the first failed commit.

  // Loop thread only.
  absl::Time last_tick_ = absl::InfinitePast();
  std::map<WatchId, Watcher> watchers_;
  WatchId next_watch_id_ = 1;
  std::unique_ptr<LoopContext::Batch> batch_;   // The batch being run (reused).
  std::vector<std::function<void()>> replies_;  // Reply()'d in the current step.
  bool hand_off_replies_ = false;               // The running batch's.
  // Started by the loop thread at its first hand-off of replies; joined by Stop() after the loop
  // thread.
  std::thread reply_thread_;

  // Held by whoever runs a batch: the loop thread, or a PostOrRun caller. The loop's state (the
  // core, the backends' calls, the watchers, the members above) belongs to its holder. Taken
  // before mu_.
  absl::Mutex run_mu_;
  // The PostOrRun caller whose batch holds run_mu_, if any (its own nested calls post).
  std::atomic<std::thread::id> inline_holder_{std::thread::id()};
  std::atomic<int64_t> inline_waits_{0};

  mutable absl::Mutex mu_;
  std::deque<Command> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;  // Run() has returned.
  std::thread::id loop_thread_id_ ABSL_GUARDED_BY(mu_);

  absl::Mutex stop_mu_;  // Serialises Stop() (one joiner).
  std::thread thread_ ABSL_GUARDED_BY(stop_mu_);

  // The reply thread: runs reply_queue_ in order.
  mutable absl::Mutex reply_mu_;
  std::vector<std::function<void()>> reply_queue_ ABSL_GUARDED_BY(reply_mu_);
  bool reply_stop_ ABSL_GUARDED_BY(reply_mu_) = false;
  bool reply_busy_ ABSL_GUARDED_BY(reply_mu_) = false;  // Running replies it took.
};

}  // namespace spillway

#endif  // SPILLWAY_SERVER_EVENT_LOOP_H_
