#include "server/event_loop.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backends/backend.h"
#include "common/clock.h"
#include "common/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/core/core.h"

namespace spillway {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr absl::Duration kRunDelay = absl::Seconds(5);

// A backend for one kind of action. The VM kind reports NodeUp for its nodes at the first Poll;
// StartVmTask / CreateAciGroup at t reports TaskStarting at t and TaskRunning at t + kRunDelay.
class FakeBackend final : public Backend {
 public:
  enum class Kind { kVm, kAci };

  FakeBackend(Kind kind, std::vector<std::string> nodes = {})
      : kind_(kind), nodes_(std::move(nodes)) {}

  bool Handles(const Action& action) const override {
    const bool vm = std::holds_alternative<StartVmTask>(action) ||
                    std::holds_alternative<StopVmTask>(action);
    return kind_ == Kind::kVm ? vm : !vm;
  }

  void Execute(const Action& action, absl::Time now) override {
    absl::MutexLock lock(&mu_);
    executed_.push_back(DescribeAction(action));
    execute_times_.push_back(now);
    if (const auto* start = std::get_if<StartVmTask>(&action)) {
      Report(now, start->job_id, start->attempt);
    } else if (const auto* create = std::get_if<CreateAciGroup>(&action)) {
      Report(now, create->job_id, create->attempt);
    }
  }

  std::vector<Event> Poll(absl::Time now) override {
    absl::MutexLock lock(&mu_);
    polls_.push_back(now);
    std::vector<Event> due;
    if (!announced_) {
      announced_ = true;
      for (const std::string& id : nodes_) {
        due.push_back(Event{now, NodeUp{id, Resources{4000, 8192}, {}}});
      }
    }
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const Event& a, const Event& b) { return a.time < b.time; });
    auto it = pending_.begin();
    while (it != pending_.end() && it->time <= now) due.push_back(std::move(*it++));
    pending_.erase(pending_.begin(), it);
    return due;
  }

  absl::Time NextEventTime() const override {
    absl::MutexLock lock(&mu_);
    if (!announced_ && !nodes_.empty()) return absl::InfinitePast();
    absl::Time next = absl::InfiniteFuture();
    for (const Event& e : pending_) next = std::min(next, e.time);
    return next;
  }

  std::vector<std::string> executed() const {
    absl::MutexLock lock(&mu_);
    return executed_;
  }
  std::vector<absl::Time> execute_times() const {
    absl::MutexLock lock(&mu_);
    return execute_times_;
  }
  std::vector<absl::Time> polls() const {
    absl::MutexLock lock(&mu_);
    return polls_;
  }

 private:
  void Report(absl::Time now, const std::string& job_id, int attempt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    pending_.push_back(Event{now, TaskStarting{job_id, attempt}});
    pending_.push_back(Event{now + kRunDelay, TaskRunning{job_id, attempt}});
  }

  const Kind kind_;
  const std::vector<std::string> nodes_;
  mutable absl::Mutex mu_;
  bool announced_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Event> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> executed_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> execute_times_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> polls_ ABSL_GUARDED_BY(mu_);
};

// Records every commit (the names of the applied events) into a shared log.
class RecordingCommitter final : public BatchCommitter {
 public:
  explicit RecordingCommitter(std::vector<std::string>* log) : log_(log) {}

  absl::Status Commit(const std::vector<Event>& applied, Core& /*core*/) override {
    std::vector<std::string> names;
    for (const Event& e : applied) names.push_back(EventName(e.body));
    log_->push_back("commit:" + absl::StrJoin(names, ","));
    ++commits_;
    if (saw_tick_ != nullptr && !saw_tick_->HasBeenNotified()) {
      for (const Event& e : applied) {
        if (std::holds_alternative<Tick>(e.body)) {
          saw_tick_->Notify();
          break;
        }
      }
    }
    return status_;
  }

  int commits() const { return commits_; }
  void set_status(absl::Status status) { status_ = std::move(status); }
  void notify_on_tick(absl::Notification* n) { saw_tick_ = n; }

 private:
  std::vector<std::string>* log_;  // Loop thread only (read by tests after a Sync).
  int commits_ = 0;
  absl::Status status_;
  absl::Notification* saw_tick_ = nullptr;
};

// A watcher whose room the test sets. Loop thread only, read by the test after a Sync.
class FakeSink final : public JobEventSink {
 public:
  explicit FakeSink(size_t room) : room_(room) {}

  size_t Room() override { return room_ - std::min(room_, held_); }
  bool Deliver(std::vector<spillway::v1::JobEvent> events) override {
    for (const auto& e : events) revisions.push_back(e.revision());
    if (hold_) held_ += events.size();
    return true;
  }
  void OnPaused() override { ++paused; }
  void Fail(const absl::Status& status) override { failures.push_back(status); }
  bool Alive() override { return alive; }

  // Loop thread: the events delivered so far stay "unsent" and take room.
  void Hold() { hold_ = true; }
  void Drain(size_t room) {
    held_ = 0;
    room_ = room;
  }

  std::vector<int64_t> revisions;
  std::vector<absl::Status> failures;
  int paused = 0;
  bool alive = true;

 private:
  size_t room_;
  size_t held_ = 0;
  bool hold_ = false;
};

spillway::v1::JobSpec Spec(const std::string& name, spillway::v1::BurstMode mode) {
  spillway::v1::JobSpec spec;
  spec.set_name(name);
  spec.set_image("busybox");
  spec.add_command("true");
  spec.set_cpu_millis(500);
  spec.set_memory_mib(256);
  spec.set_burst_mode(mode);
  return spec;
}

class EventLoopTest : public ::testing::Test {
 protected:
  void Build(EventLoopOptions options = {}, size_t event_log_capacity = 100000, bool start = true,
             bool with_committer = true) {
    options.auto_tick = false;
    options.sync_step = absl::Hours(1);  // Only backend event times split AdvanceAndSync.
    CoreConfig config;
    config.cluster_name = "test";
    config.start_time = clock_.Now();
    config.event_log_capacity = event_log_capacity;
    auto vm =
        std::make_unique<FakeBackend>(FakeBackend::Kind::kVm, std::vector<std::string>{"vm-1"});
    auto aci = std::make_unique<FakeBackend>(FakeBackend::Kind::kAci);
    vm_ = vm.get();
    aci_ = aci.get();
    std::vector<std::unique_ptr<Backend>> backends;
    backends.push_back(std::move(vm));
    backends.push_back(std::move(aci));
    loop_ = std::make_unique<EventLoop>(std::make_unique<Core>(config), std::move(backends),
                                        &clock_, options, with_committer ? &committer_ : nullptr);
    if (start) loop_->Start();
  }

  // Submits on the loop and waits for the batch; returns the job id.
  std::string Submit(const std::string& name, spillway::v1::BurstMode mode) {
    std::string id;
    EXPECT_TRUE(loop_->RunAndWait([&](LoopContext& ctx) {
      ApplyResult r = ctx.Apply(JobSubmitted{Spec(name, mode), ""});
      EXPECT_TRUE(r.status.ok()) << r.status;
      id = r.job_id;
    }));
    return id;
  }

  spillway::v1::Job JobOf(const std::string& id) {
    spillway::v1::Job job;
    loop_->RunAndWait([&](LoopContext& ctx) {
      const spillway::v1::Job* found = ctx.core().FindJob(id);
      ASSERT_NE(found, nullptr);
      job = *found;
    });
    return job;
  }

  int64_t Revision() {
    int64_t revision = 0;
    loop_->RunAndWait([&](LoopContext& ctx) { revision = ctx.core().revision(); });
    return revision;
  }

  SimulatedClock clock_;
  std::vector<std::string> log_;
  RecordingCommitter committer_{&log_};
  FakeBackend* vm_ = nullptr;
  FakeBackend* aci_ = nullptr;
  std::unique_ptr<EventLoop> loop_;
};

TEST_F(EventLoopTest, ActionsGoToTheBackendThatHandlesThem) {
  Build();
  loop_->Sync();  // The VM fake announces vm-1.
  const std::string vm_job = Submit("on-vm", spillway::v1::BURST_MODE_VM_ONLY);
  ASSERT_EQ(vm_->executed().size(), 1u);
  EXPECT_NE(vm_->executed()[0].find(vm_job), std::string::npos) << vm_->executed()[0];
  EXPECT_THAT(aci_->executed(), IsEmpty());

  const std::string aci_job = Submit("on-aci", spillway::v1::BURST_MODE_ACI_ONLY);
  ASSERT_EQ(aci_->executed().size(), 1u);
  EXPECT_NE(aci_->executed()[0].find(aci_job), std::string::npos) << aci_->executed()[0];
  EXPECT_EQ(vm_->executed().size(), 1u);
  EXPECT_EQ(aci_->execute_times()[0], clock_.Now());
}

TEST_F(EventLoopTest, PolledEventsAreAppliedInTheSameBatch) {
  Build();
  loop_->Sync();
  const std::string id = Submit("job", spillway::v1::BURST_MODE_VM_ONLY);
  // TaskStarting came back from the fake during the submit's own batch.
  EXPECT_EQ(JobOf(id).state(), spillway::v1::JOB_STATE_STARTING);
  EXPECT_EQ(JobOf(id).node_id(), "vm-1");
}

TEST_F(EventLoopTest, AdvanceAndSyncLandsBackendEventsAtTheirTimes) {
  Build();
  loop_->Sync();
  const absl::Time t0 = clock_.Now();
  const std::string id = Submit("job", spillway::v1::BURST_MODE_VM_ONLY);
  loop_->AdvanceAndSync(absl::Seconds(3));
  EXPECT_EQ(JobOf(id).state(), spillway::v1::JOB_STATE_STARTING);
  loop_->AdvanceAndSync(absl::Seconds(60));  // sync_step is 1h: only the event time splits it.
  EXPECT_EQ(clock_.Now(), t0 + absl::Seconds(63));
  const spillway::v1::Job job = JobOf(id);
  ASSERT_EQ(job.state(), spillway::v1::JOB_STATE_RUNNING);
  const spillway::v1::Transition& last = job.history(job.history_size() - 1);
  EXPECT_EQ(last.state(), spillway::v1::JOB_STATE_RUNNING);
  EXPECT_EQ(last.time().seconds(), absl::ToUnixSeconds(t0 + kRunDelay));
}

TEST_F(EventLoopTest, SyncRunsEverythingPostedBeforeItIncludingPolling) {
  Build();
  std::vector<int> ran;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(loop_->Post([&ran, i](LoopContext&) { ran.push_back(i); }));
  }
  clock_.Advance(absl::Seconds(7));
  loop_->Sync();
  EXPECT_THAT(ran, ElementsAre(0, 1, 2));
  ASSERT_FALSE(vm_->polls().empty());
  EXPECT_EQ(vm_->polls().back(), clock_.Now());
  ASSERT_FALSE(log_.empty());
  // Sync's Tick was committed, and so was the VM fake's NodeUp (first poll). Which batch polled
  // first depends on how the loop thread took the posted commands (the first alone, or all
  // three); the order within one batch is checked below, where Sync's is the only batch.
  const std::string commits = absl::StrJoin(log_, " ");
  EXPECT_NE(commits.find("Tick"), std::string::npos) << commits;
  EXPECT_NE(commits.find("NodeUp"), std::string::npos) << commits;
}

TEST_F(EventLoopTest, SyncCommitsItsTickBeforeWhatItsPollReports) {
  Build();
  loop_->Sync();  // The only batch: Tick, commit, then the first poll (NodeUp) in a later round.
  const std::string commits = absl::StrJoin(log_, " ");
  EXPECT_NE(commits.find("Tick"), std::string::npos) << commits;
  EXPECT_LT(commits.rfind("Tick"), commits.rfind("NodeUp")) << commits;
}

TEST_F(EventLoopTest, CompletionsRunAfterCommitInOrderSeeingPolledState) {
  Build({}, 100000, /*start=*/false);  // Both commands are queued before the loop runs: one batch.
  std::string id;
  spillway::v1::JobState state_at_completion = spillway::v1::JOB_STATE_UNSPECIFIED;
  absl::Status seen = absl::UnknownError("not run");
  ASSERT_TRUE(loop_->Post([&](LoopContext& ctx) {
    id = ctx.Apply(JobSubmitted{Spec("a", spillway::v1::BURST_MODE_VM_ONLY), ""}).job_id;
    Core* core = &ctx.core();
    ctx.Defer([&, core](const absl::Status& committed) {
      seen = committed;
      state_at_completion = core->FindJob(id)->state();
      log_.push_back("a done");
    });
  }));
  ASSERT_TRUE(loop_->Post([&](LoopContext& ctx) {
    ctx.Defer([&](const absl::Status&) { log_.push_back("b done"); });
  }));
  loop_->Start();
  loop_->Sync();
  // The commands' events are committed first (before any action could leave); the node came up
  // in the first poll round (committed before the job's StartVmTask was executed), and its
  // TaskStarting came back in the next round (committed too) — all before the completions ran.
  ASSERT_EQ(log_.size(), 5u) << absl::StrJoin(log_, " | ");
  EXPECT_EQ(log_[0].rfind("commit:JobSubmitted", 0), 0u) << log_[0];
  EXPECT_EQ(log_[1], "commit:NodeUp");
  EXPECT_EQ(log_[2], "commit:TaskStarting");
  EXPECT_EQ(log_[3], "a done");
  EXPECT_EQ(log_[4], "b done");
  EXPECT_TRUE(seen.ok()) << seen;
  EXPECT_EQ(state_at_completion, spillway::v1::JOB_STATE_STARTING);
}

TEST_F(EventLoopTest, FailedCommitReachesTheCompletions) {
  Build();
  loop_->Sync();
  committer_.set_status(absl::ResourceExhaustedError("disk full"));
  absl::Status seen;
  loop_->RunAndWait([&](LoopContext& ctx) {
    ctx.Apply(JobSubmitted{Spec("a", spillway::v1::BURST_MODE_VM_ONLY), ""});
    ctx.Defer([&](const absl::Status& committed) { seen = committed; });
  });
  EXPECT_EQ(seen.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(seen.message(), "not durable: disk full");
  EXPECT_THAT(vm_->executed(), IsEmpty());  // The placement never left the process.
  // Fail-stop: the loop refuses to apply anything more, even once the store recovers.
  committer_.set_status(absl::OkStatus());
  ApplyResult later;
  loop_->RunAndWait([&](LoopContext& ctx) {
    later = ctx.Apply(JobSubmitted{Spec("b", spillway::v1::BURST_MODE_VM_ONLY), ""});
  });
  EXPECT_EQ(later.status.code(), absl::StatusCode::kUnavailable);
}

TEST_F(EventLoopTest, RefusedCommandsAreNotCommittedAndQueueNoActions) {
  Build();
  loop_->Sync();
  log_.clear();
  ApplyResult result;
  loop_->RunAndWait(
      [&](LoopContext& ctx) { result = ctx.Apply(JobCancelled{"job-404", "nope"}); });
  EXPECT_EQ(result.status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(log_, IsEmpty());  // Nothing was applied, so nothing was committed.
}

TEST_F(EventLoopTest, BatchesHoldAtMostMaxBatchCommands) {
  EventLoopOptions options;
  options.max_batch = 2;
  Build(options, 100000, /*start=*/false);
  std::vector<int> batch_of;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(loop_->Post([&](LoopContext& ctx) {
      batch_of.push_back(committer_.commits());
      ctx.Apply(Tick{});  // Something to commit: one commit per batch.
    }));
  }
  loop_->Start();
  loop_->Sync();
  // Commands in one batch see the same commit count; each batch commits at least once.
  ASSERT_EQ(batch_of.size(), 5u);
  EXPECT_EQ(batch_of[0], batch_of[1]);
  EXPECT_LT(batch_of[1], batch_of[2]);
  EXPECT_EQ(batch_of[2], batch_of[3]);
  EXPECT_LT(batch_of[3], batch_of[4]);
}

TEST_F(EventLoopTest, StopRunsAcceptedCommandsThenRefusesNewOnes) {
  Build({}, 100000, /*start=*/false);
  bool ran = false;
  bool completed = false;
  ASSERT_TRUE(loop_->Post([&](LoopContext& ctx) {
    ran = true;
    ctx.Defer([&](const absl::Status&) { completed = true; });
  }));
  loop_->Stop();  // Never started: runs them on this thread.
  EXPECT_TRUE(ran);
  EXPECT_TRUE(completed);
  EXPECT_FALSE(loop_->Post([](LoopContext&) {}));
  EXPECT_FALSE(loop_->RunAndWait([](LoopContext&) {}));
}

TEST_F(EventLoopTest, StopOnARunningLoopDrainsTheQueue) {
  Build();
  int ran = 0;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(loop_->Post([&](LoopContext&) { ++ran; }));
  loop_->Stop();
  EXPECT_EQ(ran, 100);
}

TEST_F(EventLoopTest, RepliesRunInOrderOnTheReplyThreadAfterTheCommit) {
  EventLoopOptions options;
  options.max_inline_replies = 0;  // Every reply to the reply thread.
  Build(options);
  loop_->Sync();
  log_.clear();
  absl::Mutex mu;
  std::vector<std::string> order;
  std::vector<std::thread::id> threads;
  std::thread::id loop_thread;
  auto reply = [&](const std::string& name) {
    return [&, name] {
      absl::MutexLock lock(&mu);
      order.push_back(name);
      threads.push_back(std::this_thread::get_id());
    };
  };
  ASSERT_TRUE(loop_->RunAndWait([&](LoopContext& ctx) {
    loop_thread = std::this_thread::get_id();
    ctx.Apply(JobSubmitted{Spec("a", spillway::v1::BURST_MODE_VM_ONLY), ""});
    ctx.loop().Reply(reply("command"));
    ctx.Acknowledge([&](const absl::Status&) {
      log_.push_back("acknowledged");
      loop_->Reply(reply("acknowledgement"));
    });
    ctx.Defer([&](const absl::Status&) { loop_->Reply(reply("completion")); });
  }));
  // RunAndWait returns once the replies ran: in order, none on the loop thread.
  absl::MutexLock lock(&mu);
  EXPECT_THAT(order, ElementsAre("command", "acknowledgement", "completion"));
  for (std::thread::id id : threads) EXPECT_NE(id, loop_thread);
  ASSERT_FALSE(log_.empty());
  EXPECT_EQ(log_[0].rfind("commit:JobSubmitted", 0), 0u) << log_[0];  // Before any answer.
}

TEST_F(EventLoopTest, AFewRepliesWhileNothingWaitsRunOnTheLoopThread) {
  Build();
  std::thread::id loop_thread;
  std::thread::id reply_thread;
  ASSERT_TRUE(loop_->RunAndWait([&](LoopContext& ctx) {
    loop_thread = std::this_thread::get_id();
    ctx.loop().Reply([&] { reply_thread = std::this_thread::get_id(); });
  }));
  EXPECT_EQ(reply_thread, loop_thread);
}

TEST_F(EventLoopTest, StopRunsEveryReplyHandedOver) {
  EventLoopOptions options;
  options.max_inline_replies = 0;
  Build(options);
  std::atomic<int> replied{0};
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(loop_->Post([&](LoopContext& ctx) { ctx.loop().Reply([&] { ++replied; }); }));
  }
  loop_->Stop();
  EXPECT_EQ(replied.load(), 100);
}

TEST_F(EventLoopTest, WithoutStartStopRunsTheRepliesOnItsCaller) {
  Build({}, 100000, /*start=*/false);
  std::thread::id reply_thread;
  ASSERT_TRUE(loop_->Post([&](LoopContext& ctx) {
    ctx.loop().Reply([&] { reply_thread = std::this_thread::get_id(); });
  }));
  loop_->Stop();
  EXPECT_EQ(reply_thread, std::this_thread::get_id());
}

TEST_F(EventLoopTest, PostOrRunRunsOnTheCallerWhenTheLoopIsIdle) {
  Build({}, 100000, /*start=*/true, /*with_committer=*/false);
  const std::thread::id caller = std::this_thread::get_id();
  struct Attempt {
    std::thread::id ran_on;
    std::thread::id replied_on;
  };
  // Right after a batch the loop thread still holds the loop for a moment, and PostOrRun then
  // queues (correct too): try again, a little later, until one command found the loop idle.
  Attempt here;
  const bool ran_here = PollUntil(
      [&] {
        auto attempt = std::make_shared<Attempt>();
        EXPECT_TRUE(loop_->PostOrRun([this, attempt](LoopContext& ctx) {
          attempt->ran_on = std::this_thread::get_id();
          ctx.Apply(JobSubmitted{Spec("a", spillway::v1::BURST_MODE_VM_ONLY), ""});
          ctx.Acknowledge([this, attempt](const absl::Status&) {
            loop_->Reply([attempt] { attempt->replied_on = std::this_thread::get_id(); });
          });
        }));
        if (attempt->ran_on != caller) {
          loop_->Sync();  // It ran (or runs) on the loop thread.
          return false;
        }
        here = *attempt;
        return true;
      },
      absl::Seconds(30), absl::Milliseconds(1));
  ASSERT_TRUE(ran_here);
  // The whole batch ran before PostOrRun returned: acknowledgement and reply.
  EXPECT_EQ(here.replied_on, caller);
}

TEST_F(EventLoopTest, PostOrRunWithACommitterAlwaysPostsToTheLoopThread) {
  Build();  // With a committer: a batch takes a commit; commands that wait share the next one.
  const std::thread::id caller = std::this_thread::get_id();
  for (int i = 0; i < 20; ++i) {  // The loop is idle between these: still never on the caller.
    std::thread::id ran_on;
    bool committed_before_reply = false;
    ASSERT_TRUE(loop_->PostOrRun([&](LoopContext& ctx) {
      ran_on = std::this_thread::get_id();
      ctx.Apply(JobSubmitted{Spec(absl::StrCat("j", i), spillway::v1::BURST_MODE_VM_ONLY), ""});
      ctx.Acknowledge([&](const absl::Status&) {
        committed_before_reply = !log_.empty() && log_.back().rfind("commit:JobSubmitted", 0) == 0;
      });
    }));
    loop_->Sync();
    EXPECT_NE(ran_on, caller);
    EXPECT_NE(ran_on, std::thread::id());
    EXPECT_TRUE(committed_before_reply);
  }
  EXPECT_EQ(loop_->inline_waits(), 0);
}

TEST_F(EventLoopTest, PostOrRunQueuesBehindARunningBatch) {
  Build();
  absl::Notification started;
  absl::Notification release;
  std::vector<std::string> order;
  std::thread::id loop_thread;
  ASSERT_TRUE(loop_->Post([&](LoopContext&) {
    loop_thread = std::this_thread::get_id();
    started.Notify();
    release.WaitForNotification();  // Holds the batch until the second command is posted.
    order.push_back("first");
  }));
  started.WaitForNotification();
  std::thread::id second_on;
  ASSERT_TRUE(loop_->PostOrRun([&](LoopContext&) {
    second_on = std::this_thread::get_id();
    order.push_back("second");
  }));
  release.Notify();
  loop_->Sync();
  EXPECT_THAT(order, ElementsAre("first", "second"));
  EXPECT_EQ(second_on, loop_thread);
}

// Calls loop.PostOrRun until its command ran on the calling thread, as a batch of its own, and
// runs `body` there. Right after a batch the loop thread may still hold the loop; the command
// then runs on the loop thread and does nothing, and the next try comes after a Sync.
void RunInlineHere(EventLoop& loop, const std::function<void(LoopContext&)>& body) {
  const std::thread::id self = std::this_thread::get_id();
  bool ran = false;
  while (!ran) {
    loop.PostOrRun([&](LoopContext& ctx) {
      if (std::this_thread::get_id() != self) return;
      ran = true;
      body(ctx);
    });
    if (!ran) loop.Sync();
  }
}

// Runs, on a thread of its own, a PostOrRun command that holds its batch (on that thread) until
// release(); Start() returns once the batch is running.
class HeldInlineBatch {
 public:
  explicit HeldInlineBatch(EventLoop* loop) : loop_(loop) {}
  ~HeldInlineBatch() {
    if (!release_.HasBeenNotified()) release_.Notify();
    if (thread_.joinable()) thread_.join();
  }
  void Start(std::vector<std::string>* order) {
    thread_ = std::thread([this, order] {
      RunInlineHere(*loop_, [this, order](LoopContext&) {
        held_.Notify();
        release_.WaitForNotification();
        order->push_back("held");
      });
    });
    held_.WaitForNotification();
  }
  void Release() {
    release_.Notify();
    thread_.join();
  }

 private:
  EventLoop* const loop_;
  absl::Notification held_;
  absl::Notification release_;
  std::thread thread_;
};

TEST_F(EventLoopTest, PostOrRunWaitsForAnotherCallersBatchWhenThereIsNoCommitter) {
  Build({}, 100000, /*start=*/true, /*with_committer=*/false);
  std::vector<std::string> order;  // Written by whoever runs the batch, read after the joins.
  HeldInlineBatch held(loop_.get());
  held.Start(&order);
  std::thread::id caller;
  std::thread::id ran_on;
  std::thread second([&] {
    caller = std::this_thread::get_id();
    EXPECT_TRUE(loop_->PostOrRun([&](LoopContext&) {
      ran_on = std::this_thread::get_id();
      order.push_back("second");
    }));
  });
  // The second caller waits for the held batch instead of handing its command over.
  ASSERT_TRUE(PollUntil([&] { return loop_->inline_waits() == 1; }, absl::Seconds(10),
                        absl::Milliseconds(1)));
  held.Release();
  second.join();
  EXPECT_THAT(order, ElementsAre("held", "second"));
  EXPECT_EQ(ran_on, caller);
}

TEST_F(EventLoopTest, PostOrRunFromAnInlineBatchPostsInsteadOfWaitingForItself) {
  Build({}, 100000, /*start=*/true, /*with_committer=*/false);
  std::atomic<bool> inner_ran{false};
  RunInlineHere(*loop_, [&](LoopContext&) {
    // Nested: the loop is held by this very batch, so the command must be queued.
    EXPECT_TRUE(loop_->PostOrRun([&](LoopContext&) { inner_ran = true; }));
    EXPECT_FALSE(inner_ran.load());
  });
  loop_->Sync();
  EXPECT_TRUE(inner_ran.load());
  EXPECT_EQ(loop_->inline_waits(), 0);
}

TEST_F(EventLoopTest, PostOrRunQueuesBeforeStartAndRefusesAfterStop) {
  Build({}, 100000, /*start=*/false);
  std::thread::id ran_on;
  ASSERT_TRUE(loop_->PostOrRun([&](LoopContext&) { ran_on = std::this_thread::get_id(); }));
  EXPECT_EQ(ran_on, std::thread::id());  // Queued: it waits for the loop.
  loop_->Start();
  loop_->Sync();
  EXPECT_NE(ran_on, std::thread::id());
  EXPECT_NE(ran_on, std::this_thread::get_id());
  loop_->Stop();
  EXPECT_FALSE(loop_->PostOrRun([](LoopContext&) {}));
}

TEST_F(EventLoopTest, WatchersGetEveryEventOnceInOrder) {
  Build();
  loop_->Sync();
  auto sink = std::make_shared<FakeSink>(1000);
  loop_->RunAndWait([&](LoopContext& ctx) { ctx.Watch(0, sink); });
  Submit("a", spillway::v1::BURST_MODE_VM_ONLY);
  Submit("b", spillway::v1::BURST_MODE_VM_ONLY);
  loop_->AdvanceAndSync(absl::Seconds(10));
  const int64_t head = Revision();
  ASSERT_GT(head, 4);
  std::vector<int64_t> expected;
  for (int64_t r = 1; r <= head; ++r) expected.push_back(r);
  EXPECT_EQ(sink->revisions, expected);
  EXPECT_THAT(sink->failures, IsEmpty());
}

TEST_F(EventLoopTest, ReplayIsPacedByRoomAndResumesAfterANudge) {
  Build();
  loop_->Sync();
  for (int i = 0; i < 4; ++i) Submit("j" + std::to_string(i), spillway::v1::BURST_MODE_VM_ONLY);
  const int64_t head = Revision();
  ASSERT_GE(head, 8);
  auto sink = std::make_shared<FakeSink>(3);
  loop_->RunAndWait([&](LoopContext& ctx) {
    sink->Hold();
    ctx.Watch(1, sink);  // Replay from revision 2.
  });
  EXPECT_THAT(sink->revisions, ElementsAre(2, 3, 4));
  EXPECT_EQ(sink->paused, 1);
  EXPECT_THAT(sink->failures, IsEmpty());  // Still replaying: paused, not failed.

  loop_->RunAndWait([&](LoopContext&) { sink->Drain(1000); });  // The batch itself resumes it.
  std::vector<int64_t> expected;
  for (int64_t r = 2; r <= head; ++r) expected.push_back(r);
  EXPECT_EQ(sink->revisions, expected);
}

TEST_F(EventLoopTest, ACaughtUpWatcherThatOverflowsIsResourceExhausted) {
  Build();
  loop_->Sync();
  auto sink = std::make_shared<FakeSink>(2);
  loop_->RunAndWait([&](LoopContext& ctx) {
    sink->Hold();
    ctx.Watch(ctx.core().revision(), sink);
  });
  Submit("a", spillway::v1::BURST_MODE_VM_ONLY);  // Several events in one batch.
  ASSERT_EQ(sink->failures.size(), 1u);
  EXPECT_EQ(sink->failures[0].code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(sink->revisions.size(), 2u);
  // Removed: later events are not delivered.
  Submit("b", spillway::v1::BURST_MODE_VM_ONLY);
  EXPECT_EQ(sink->revisions.size(), 2u);
  EXPECT_EQ(sink->failures.size(), 1u);
}

TEST_F(EventLoopTest, WatchingDroppedHistoryIsOutOfRange) {
  Build({}, /*event_log_capacity=*/2);
  loop_->Sync();
  Submit("a", spillway::v1::BURST_MODE_VM_ONLY);
  Submit("b", spillway::v1::BURST_MODE_VM_ONLY);
  auto sink = std::make_shared<FakeSink>(1000);
  loop_->RunAndWait([&](LoopContext& ctx) { ctx.Watch(1, sink); });
  ASSERT_EQ(sink->failures.size(), 1u);
  EXPECT_EQ(sink->failures[0].code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(sink->revisions, IsEmpty());
}

TEST_F(EventLoopTest, DeadSinksAreDroppedAndLiveOnesFailOnStop) {
  Build();
  loop_->Sync();
  auto dead = std::make_shared<FakeSink>(1000);
  auto live = std::make_shared<FakeSink>(1000);
  loop_->RunAndWait([&](LoopContext& ctx) {
    ctx.Watch(ctx.core().revision(), dead);
    ctx.Watch(ctx.core().revision(), live);
    dead->alive = false;
  });
  Submit("a", spillway::v1::BURST_MODE_VM_ONLY);
  EXPECT_THAT(dead->revisions, IsEmpty());
  EXPECT_FALSE(live->revisions.empty());
  loop_->Stop();
  EXPECT_THAT(dead->failures, IsEmpty());
  ASSERT_EQ(live->failures.size(), 1u);
  EXPECT_EQ(live->failures[0].code(), absl::StatusCode::kUnavailable);
}

TEST(EventLoopAutoTickTest, TicksAndPollsWithoutAnyCommand) {
  SimulatedClock clock;
  std::vector<std::string> log;
  RecordingCommitter committer(&log);
  absl::Notification ticked;
  committer.notify_on_tick(&ticked);
  auto vm = std::make_unique<FakeBackend>(FakeBackend::Kind::kVm, std::vector<std::string>{"n"});
  FakeBackend* vm_ptr = vm.get();
  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(std::move(vm));
  CoreConfig config;
  config.start_time = clock.Now();
  EventLoopOptions options;
  options.auto_tick = true;
  EventLoop loop(std::make_unique<Core>(config), std::move(backends), &clock, options,
                 &committer);
  loop.Start();
  // Waits for the loop's own first tick; nothing is posted.
  ASSERT_TRUE(ticked.WaitForNotificationWithTimeout(absl::Seconds(60)));
  loop.Stop();
  EXPECT_FALSE(vm_ptr->polls().empty());
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log[0].find("Tick"), std::string::npos) << log[0];
}

}  // namespace
}  // namespace spillway
