#include "server/event_loop.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

namespace spillway {

// What one batch accumulates while its commands run and its backends are polled. The loop keeps
// one and clears it after each batch, so its vectors keep their capacity.
struct LoopContext::Batch {
  std::vector<Action> actions;  // Queued by the commands, executed after them.
  std::vector<Event> applied;   // Accepted by the core since the last commit.
  size_t committed = 0;         // Events of this batch committed so far.
  std::vector<std::function<void(const absl::Status&)>> completions;
  std::vector<std::function<void(const absl::Status&)>> acknowledgements;  // Before the actions.

  void Clear() {
    actions.clear();
    applied.clear();
    committed = 0;
    completions.clear();
    acknowledgements.clear();
  }
};

ApplyResult LoopContext::Apply(EventBody body) {
  if (!loop_.poisoned_.ok()) {
    ApplyResult refused;
    refused.status = absl::UnavailableError(
        absl::StrCat("the store failed; restart spillwayd (", loop_.poisoned_.message(), ")"));
    return refused;
  }
  if (std::holds_alternative<Tick>(body)) loop_.last_tick_ = now_;
  Event event{now_, std::move(body)};
  ApplyResult result = core_.Apply(event);
  if (result.status.ok()) {
    batch_.applied.push_back(std::move(event));
    // Moved: an action carries the job's spec (StartVmTask, CreateAciGroup).
    batch_.actions.insert(batch_.actions.end(), std::make_move_iterator(result.actions.begin()),
                          std::make_move_iterator(result.actions.end()));
    result.actions.clear();
  }
  return result;
}

void LoopContext::Defer(std::function<void(const absl::Status& committed)> completion) {
  batch_.completions.push_back(std::move(completion));
}

void LoopContext::Acknowledge(std::function<void(const absl::Status& committed)> completion) {
  batch_.acknowledgements.push_back(std::move(completion));
}

WatchId LoopContext::Watch(int64_t after_revision, std::shared_ptr<JobEventSink> sink) {
  const WatchId id = loop_.next_watch_id_++;
  EventLoop::Watcher watcher;
  watcher.sink = std::move(sink);
  watcher.cursor = after_revision;
  loop_.watchers_.emplace(id, std::move(watcher));
  return id;
}

void LoopContext::Unwatch(WatchId id) { loop_.watchers_.erase(id); }

void LoopContext::FailAllWatchers(const absl::Status& status) {
  for (auto& [id, watcher] : loop_.watchers_) watcher.sink->Fail(status);
  loop_.watchers_.clear();
}

EventLoop::EventLoop(std::unique_ptr<Core> core, std::vector<std::unique_ptr<Backend>> backends,
                     Clock* clock, EventLoopOptions options, BatchCommitter* committer)
    : core_(std::move(core)),
      backends_(std::move(backends)),
      clock_(clock),
      simulated_clock_(dynamic_cast<SimulatedClock*>(clock)),
      options_(std::move(options)),
      committer_(committer),
      batch_(std::make_unique<LoopContext::Batch>()) {
  for (auto& backend : backends_) backend->SetWakeup([this] { Nudge(); });
}

EventLoop::~EventLoop() { Stop(); }

absl::Status EventLoop::ApplyBeforeStart(const Event& event) {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("the loop already started");
  }
  core_->Apply(event);
  if (std::holds_alternative<Tick>(event.body)) last_tick_ = event.time;
  return absl::OkStatus();
}

absl::Status EventLoop::RestoreBeforeStart(const spillway::core::v1::CoreSnapshot& snapshot) {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("the loop already started");
  }
  return core_->Restore(snapshot);
}

void EventLoop::Start() {
  absl::MutexLock stop_lock(&stop_mu_);
  absl::MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "spillway-loop");  // For top -H, perf and the benchmarks.
    Run(/*hand_off_replies=*/true);
  });
}

void EventLoop::Stop() {
  absl::MutexLock stop_lock(&stop_mu_);
  bool run_inline = false;
  {
    absl::MutexLock lock(&mu_);
    if (loop_thread_id_ == std::this_thread::get_id() && !stopped_) {
      ABSL_RAW_LOG(FATAL, "EventLoop::Stop() called on the loop thread");
    }
    if (!stopping_) {
      stopping_ = true;
      run_inline = !started_;
    }
  }
  // Nobody else will run what was accepted before Stop().
  if (run_inline) Run(/*hand_off_replies=*/false);
  if (thread_.joinable()) thread_.join();
  // The loop thread is gone: reply_thread_ is this thread's now.
  if (reply_thread_.joinable()) {
    {
      absl::MutexLock lock(&reply_mu_);
      reply_stop_ = true;
    }
    reply_thread_.join();  // After it ran every reply the loop handed over.
  }
}

bool EventLoop::Post(Command command) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  queue_.push_back(std::move(command));
  return true;
}

bool EventLoop::PostOrRun(Command command) {
  // With a committer, a batch takes a commit's milliseconds: never on the caller's thread (the
  // call queue's one thread would commit every command alone, one after another); on the loop
  // thread the commands posted meanwhile share the next commit.
  if (committer_ != nullptr) return Post(std::move(command));
  bool locked = run_mu_.TryLock();
  const std::thread::id holder = inline_holder_.load(std::memory_order_relaxed);
  if (!locked && holder != std::thread::id() && holder != std::this_thread::get_id()) {
    // Another caller's batch of one command holds the loop: wait for it rather than hand this
    // command to the loop thread (see PostOrRun in event_loop.h).
    inline_waits_.fetch_add(1, std::memory_order_relaxed);
    run_mu_.Lock();
    locked = true;
  }
  if (locked) {  // No batch is running: maybe run this one here.
    bool run_here = false;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        run_mu_.Unlock();
        return false;
      }
      // Queued commands go first, on the loop thread (which was woken for them).
      run_here = started_ && queue_.empty();
    }
    if (run_here) {
      std::vector<Command> commands;
      commands.push_back(std::move(command));
      inline_holder_.store(std::this_thread::get_id(), std::memory_order_relaxed);
      RunBatch(std::move(commands), /*hand_off_replies=*/false);
      inline_holder_.store(std::thread::id(), std::memory_order_relaxed);
      run_mu_.Unlock();
      return true;
    }
    run_mu_.Unlock();
  }
  return Post(std::move(command));
}

bool EventLoop::RunAndWait(Command command) {
  {
    absl::MutexLock lock(&mu_);
    if (loop_thread_id_ == std::this_thread::get_id() && !stopped_) {
      ABSL_RAW_LOG(FATAL, "EventLoop::RunAndWait() called on the loop thread (would deadlock)");
    }
  }
  absl::Notification done;
  const bool posted = Post([this, &done, command = std::move(command)](LoopContext& ctx) {
    command(ctx);
    // As the last reply of the batch: after every reply handed over before it.
    ctx.Defer([this, &done](const absl::Status&) { Reply([&done] { done.Notify(); }); });
  });
  if (!posted) return false;
  done.WaitForNotification();
  return true;
}

void EventLoop::Sync() { SyncAndNextEventTime(); }

absl::Time EventLoop::SyncAndNextEventTime() {
  absl::Time next = absl::InfiniteFuture();
  RunAndWait([this, &next](LoopContext& ctx) {
    ctx.Apply(Tick{});
    // Runs after the batch's polling: the earliest time a backend will have news.
    ctx.Defer([this, &next](const absl::Status&) {
      for (const auto& backend : backends_) next = std::min(next, backend->NextEventTime());
    });
  });
  return next;
}

void EventLoop::AdvanceAndSync(absl::Duration d) {
  if (simulated_clock_ == nullptr) {
    ABSL_RAW_LOG(FATAL, "EventLoop::AdvanceAndSync needs a SimulatedClock");
  }
  const absl::Duration step =
      options_.sync_step > absl::ZeroDuration() ? options_.sync_step : absl::Seconds(1);
  const absl::Time target = simulated_clock_->Now() + d;
  absl::Time next_event = SyncAndNextEventTime();
  while (simulated_clock_->Now() < target) {
    const absl::Time now = simulated_clock_->Now();
    absl::Time to = std::min(target, now + step);
    if (next_event > now) to = std::min(to, next_event);
    simulated_clock_->SetTime(to);
    next_event = SyncAndNextEventTime();
  }
}

void EventLoop::Nudge() {
  Post([](LoopContext&) {});
}

void EventLoop::Reply(std::function<void()> reply) { replies_.push_back(std::move(reply)); }

void EventLoop::FlushReplies() {
  if (replies_.empty()) return;
  std::vector<std::function<void()>> replies;
  replies.swap(replies_);
  if (!hand_off_replies_ || RunRepliesHere(replies.size())) {
    for (auto& reply : replies) reply();
    return;
  }
  if (!reply_thread_.joinable()) {  // Started at the first hand-off.
    reply_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "spillway-reply");
      RunReplyThread();
    });
  }
  absl::MutexLock lock(&reply_mu_);
  if (reply_queue_.empty()) {
    reply_queue_ = std::move(replies);
  } else {
    reply_queue_.insert(reply_queue_.end(), std::make_move_iterator(replies.begin()),
                        std::make_move_iterator(replies.end()));
  }
}

bool EventLoop::RunRepliesHere(size_t count) {
  if (count > options_.max_inline_replies) return false;
  {
    absl::MutexLock lock(&mu_);
    if (!queue_.empty()) return false;  // Commands wait: the reply thread writes meanwhile.
  }
  absl::MutexLock lock(&reply_mu_);
  return reply_queue_.empty() && !reply_busy_;  // In order after the replies handed over.
}

bool EventLoop::HasRepliesOrStop() const { return !reply_queue_.empty() || reply_stop_; }

void EventLoop::RunReplyThread() {
  for (;;) {
    std::vector<std::function<void()>> replies;
    {
      absl::MutexLock lock(&reply_mu_);
      reply_busy_ = false;
      reply_mu_.Await(absl::Condition(this, &EventLoop::HasRepliesOrStop));
      if (reply_queue_.empty()) return;  // Stopping, and everything ran.
      replies.swap(reply_queue_);
      reply_busy_ = true;
    }
    for (auto& reply : replies) reply();
  }
}

bool EventLoop::HasWorkOrStop() const { return !queue_.empty() || stopping_; }

absl::Duration EventLoop::WaitBudget() {
  if (!options_.auto_tick) return absl::InfiniteDuration();
  const absl::Time now = clock_->Now();
  absl::Time wake = last_tick_ == absl::InfinitePast() ? now : last_tick_ + options_.tick_interval;
  bool from_backend = false;
  for (const auto& backend : backends_) {
    const absl::Time next = backend->NextEventTime();
    if (next < wake) {
      wake = next;
      from_backend = true;
    }
  }
  absl::Duration wait = std::max(wake - now, absl::ZeroDuration());
  // A backend whose NextEventTime stays in the past would otherwise spin the loop.
  if (from_backend) wait = std::max(wait, absl::Milliseconds(1));
  return wait;
}

void EventLoop::Run(bool hand_off_replies) {
  {
    absl::MutexLock lock(&mu_);
    loop_thread_id_ = std::this_thread::get_id();
  }
  for (;;) {
    absl::Duration wait;
    {
      absl::MutexLock run(&run_mu_);
      wait = WaitBudget();  // Reads the loop's state and calls backends: not under mu_.
    }
    bool woke_for_time = false;
    {
      absl::MutexLock lock(&mu_);
      const absl::Condition ready(this, &EventLoop::HasWorkOrStop);
      if (wait == absl::InfiniteDuration()) {
        mu_.Await(ready);
      } else {
        woke_for_time = !mu_.AwaitWithTimeout(ready, wait);
      }
    }
    // Commands are taken and run under run_mu_, so none overtakes another (PostOrRun).
    absl::MutexLock run(&run_mu_);
    std::vector<Command> commands;
    bool exit = false;
    {
      absl::MutexLock lock(&mu_);
      while (!queue_.empty() && commands.size() < options_.max_batch) {
        commands.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      exit = stopping_ && queue_.empty();
    }
    if (!commands.empty() || woke_for_time) RunBatch(std::move(commands), hand_off_replies);
    if (exit) break;
  }
  absl::MutexLock run(&run_mu_);
  for (auto& [id, watcher] : watchers_) {
    watcher.sink->Fail(absl::UnavailableError("spillwayd is shutting down"));
  }
  watchers_.clear();
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

void EventLoop::RunBatch(std::vector<Command> commands, bool hand_off_replies) {
  hand_off_replies_ = hand_off_replies;
  const auto started = std::chrono::steady_clock::now();  // Monotonic: for the apply latency.
  const size_t command_count = commands.size();
  LoopContext::Batch& batch = *batch_;
  for (Command& command : commands) {
    LoopContext ctx(*this, *core_, batch, clock_->Now());
    command(ctx);
  }
  const absl::Time now = clock_->Now();
  if (options_.auto_tick &&
      (last_tick_ == absl::InfinitePast() || now - last_tick_ >= options_.tick_interval)) {
    LoopContext ctx(*this, *core_, batch, now);
    ctx.Apply(Tick{});
  }
  const absl::Status committed = CommitApplied(batch);
  // The commands' answers need only their events durable, not the backends' work.
  for (auto& acknowledge : batch.acknowledgements) acknowledge(committed);
  FlushReplies();
  if (committed.ok()) {
    ExecuteActions(batch.actions, now);
    PollBackends(batch, now);
  }
  if (poisoned_.ok()) DispatchWatchers();  // Watchers only ever see durable events.
  for (auto& completion : batch.completions) completion(committed);
  FlushReplies();
  if (!options_.observers.empty()) {
    BatchStats stats;
    stats.commands = command_count;
    stats.events_applied = batch.committed + batch.applied.size();
    stats.apply_time = absl::FromChrono(std::chrono::steady_clock::now() - started);
    for (BatchObserver* observer : options_.observers) observer->OnBatch(*core_, now, stats);
  }
  batch.Clear();
}

void EventLoop::ExecuteActions(const std::vector<Action>& actions, absl::Time now) {
  for (const Action& action : actions) {
    bool handled = false;
    for (const auto& backend : backends_) {
      if (backend->Handles(action)) {
        backend->Execute(action, now);
        handled = true;
        break;
      }
    }
    if (!handled) {
      ABSL_RAW_LOG(WARNING, "no backend handles %s", DescribeAction(action).c_str());
    }
  }
}

absl::Status EventLoop::CommitApplied(LoopContext::Batch& batch) {
  if (!poisoned_.ok()) return absl::UnavailableError(poisoned_.message());
  absl::Status status = committer_ == nullptr || batch.applied.empty()
                            ? absl::OkStatus()
                            : committer_->Commit(batch.applied, *core_);
  batch.committed += batch.applied.size();
  batch.applied.clear();
  if (!status.ok()) {
    poisoned_ = status;
    ABSL_RAW_LOG(ERROR,
                 "store commit failed, refusing all further work until restart (fail-stop): %s",
                 status.ToString().c_str());
    return absl::UnavailableError(absl::StrCat("not durable: ", status.message()));
  }
  return status;
}

void EventLoop::PollBackends(LoopContext::Batch& batch, absl::Time now) {
  for (int round = 0; round < options_.max_poll_rounds; ++round) {
    bool reported = false;
    std::vector<Action> actions;
    for (const auto& backend : backends_) {
      std::vector<Event> events = backend->Poll(now);
      for (Event& event : events) {
        reported = true;
        ApplyResult result = core_->Apply(event);
        if (!result.status.ok()) {
          ABSL_RAW_LOG(WARNING, "core refused backend report %s: %s", EventName(event.body),
                       result.status.ToString().c_str());
          continue;
        }
        batch.applied.push_back(std::move(event));
        actions.insert(actions.end(), std::make_move_iterator(result.actions.begin()),
                       std::make_move_iterator(result.actions.end()));
      }
    }
    if (!reported) return;
    if (!CommitApplied(batch).ok()) return;  // Poisoned: these actions never leave.
    ExecuteActions(actions, now);
  }
  ABSL_RAW_LOG(WARNING, "backends still reporting after %d poll rounds; the rest waits",
               options_.max_poll_rounds);
}

void EventLoop::DispatchWatchers() {
  constexpr size_t kChunk = 1024;
  const int64_t head = core_->revision();
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    Watcher& w = it->second;
    bool remove = !w.sink->Alive();
    while (!remove) {
      if (w.cursor >= head) {
        w.caught_up = true;
        break;
      }
      const size_t room = w.sink->Room();
      if (room == 0) {
        if (w.caught_up) {
          w.sink->Fail(absl::ResourceExhaustedError(absl::StrCat(
              "watcher fell behind by more than its buffer; resume from revision ", w.cursor)));
          remove = true;
        } else {
          w.sink->OnPaused();
        }
        break;
      }
      const size_t max = std::min(room, kChunk);
      std::vector<spillway::v1::JobEvent> events;
      const absl::Status status = core_->EventsSince(w.cursor, max, &events);
      if (!status.ok()) {
        w.sink->Fail(status);
        remove = true;
        break;
      }
      const bool more = events.size() == max;
      if (events.empty() || !more) {
        w.cursor = head;
        w.caught_up = true;
      } else {
        w.cursor = events.back().revision();
      }
      if (!events.empty() && !w.sink->Deliver(std::move(events))) remove = true;
    }
    it = remove ? watchers_.erase(it) : std::next(it);
  }
}

}  // namespace spillway
