// VmPoolBackend over real gRPC on loopback, with a SimulatedClock for heartbeat deadlines. The
// test thread plays the event loop (Execute / Poll); fake agents are synchronous client streams.
#include "backends/vm_pool/vm_pool_backend.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <thread>
#include <variant>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rpc/call_queue.h"

namespace spillway {
namespace {

using spillway::v1::AgentMessage;
using spillway::v1::ControllerMessage;
using spillway::v1::TaskReport;
using ::testing::HasSubstr;

class FakeAgent {
 public:
  explicit FakeAgent(spillway::v1::AgentService::Stub& stub) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stream_ = stub.Connect(&context_);
  }

  bool Register(const std::string& node_id, std::vector<TaskReport> tasks = {},
                int64_t cpu_millis = 2000) {
    AgentMessage m;
    auto* r = m.mutable_register_();
    r->set_node_id(node_id);
    r->mutable_capacity()->set_cpu_millis(cpu_millis);
    r->mutable_capacity()->set_memory_mib(4096);
    (*r->mutable_labels())["zone"] = "a";
    for (auto& t : tasks) *r->add_tasks() = t;
    return stream_->Write(m);
  }
  bool Send(const AgentMessage& m) { return stream_->Write(m); }
  bool Report(const TaskReport& t) {
    AgentMessage m;
    *m.mutable_task() = t;
    return Send(m);
  }
  // Blocks until a message arrives or the stream ends (the context has a deadline).
  bool Read(ControllerMessage* m) { return stream_->Read(m); }
  grpc::Status Close() {
    stream_->WritesDone();
    ControllerMessage ignored;
    while (stream_->Read(&ignored)) {
    }
    return stream_->Finish();
  }
  // Reads until the server ends the stream; returns its status.
  grpc::Status AwaitEnd() {
    ControllerMessage ignored;
    while (stream_->Read(&ignored)) {
    }
    return stream_->Finish();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<AgentMessage, ControllerMessage>> stream_;
};

// The stream still carries messages: a heartbeat is accepted and a stop reaches the agent.
bool AgentStreamStaysOpen(FakeAgent& agent);

TaskReport Report(const std::string& job, int attempt, TaskReport::State state, int code = 0) {
  TaskReport t;
  t.set_job_id(job);
  t.set_attempt(attempt);
  t.set_state(state);
  t.set_exit_code(code);
  return t;
}

class VmPoolBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.heartbeat_interval = absl::Seconds(1);
    config_.heartbeat_timeout = absl::Seconds(3);
    config_.stop_grace_period = absl::Seconds(2);
    config_.inventory_delay = absl::ZeroDuration();
    Configure(config_);
    backend_ = std::make_unique<VmPoolBackend>(config_, &clock_);
    backend_->SetWakeup([this] {
      absl::MutexLock lock(&mu_);
      ++wakeups_;
    });
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(backend_->grpc_service());
    queue_ = std::make_unique<rpc::CallQueue>(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    backend_->Listen(queue_.get());
    queue_->Start();
    stub_ = spillway::v1::AgentService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
    if (config_.inventory_delay == absl::ZeroDuration()) {
      // The (empty) startup inventory goes out on the first Poll: tasks are known from here on.
      const std::vector<Event> first = backend_->Poll(clock_.Now());
      ASSERT_EQ(first.size(), 1u);
      ASSERT_TRUE(std::holds_alternative<BackendInventory>(first[0].body));
      EXPECT_TRUE(std::get<BackendInventory>(first[0].body).tasks.empty());
    }
  }

  virtual void Configure(VmPoolAgentsConfig& config) {}

  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    queue_->Stop();
    backend_.reset();
  }

  // Polls (as the event loop would) until `n` events have arrived in total, for at most 5 s.
  const std::vector<Event>& WaitForEvents(size_t n) {
    const absl::Time deadline = RealClock::Get()->Now() + absl::Seconds(5);
    while (events_.size() < n && RealClock::Get()->Now() < deadline) {
      {
        absl::MutexLock lock(&mu_);
        auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wakeups_ > 0; };
        mu_.AwaitWithTimeout(absl::Condition(&woken), absl::Milliseconds(50));
        wakeups_ = 0;
      }
      for (Event& e : backend_->Poll(clock_.Now())) events_.push_back(std::move(e));
    }
    return events_;
  }

  void ExpectNoMoreEvents() {
    for (Event& e : backend_->Poll(clock_.Now())) events_.push_back(std::move(e));
    std::vector<std::string> names;
    for (size_t i = seen_; i < events_.size(); ++i) names.push_back(EventName(events_[i].body));
    EXPECT_TRUE(names.empty()) << "unexpected: " << ::testing::PrintToString(names);
  }

  // The next event not yet looked at, waiting for it if needed.
  const Event& Next() {
    WaitForEvents(seen_ + 1);
    static const Event kNone{absl::InfinitePast(), Tick{}};
    if (events_.size() <= seen_) return kNone;
    return events_[seen_++];
  }

  StartVmTask Start(const std::string& job, int attempt, const std::string& node) {
    StartVmTask s;
    s.job_id = job;
    s.attempt = attempt;
    s.node_id = node;
    s.spec.add_command("true");
    return s;
  }

  SimulatedClock clock_;
  VmPoolAgentsConfig config_;
  std::unique_ptr<VmPoolBackend> backend_;
  std::unique_ptr<rpc::CallQueue> queue_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<spillway::v1::AgentService::Stub> stub_;
  absl::Mutex mu_;
  int wakeups_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Event> events_;
  size_t seen_ = 0;
};

TEST_F(VmPoolBackendTest, RegisterBringsTheNodeUp) {
  FakeAgent agent(*stub_);
  ASSERT_TRUE(agent.Register("vm-1"));
  ControllerMessage m;
  ASSERT_TRUE(agent.Read(&m));
  ASSERT_TRUE(m.has_registered());
  EXPECT_EQ(m.registered().heartbeat_interval_ms(), 1000);
  const Event& e = Next();
  ASSERT_TRUE(std::holds_alternative<NodeUp>(e.body)) << EventName(e.body);
  const NodeUp& up = std::get<NodeUp>(e.body);
  EXPECT_EQ(up.node_id, "vm-1");
  EXPECT_EQ(up.capacity, (Resources{2000, 4096}));
  EXPECT_EQ(up.labels.at("zone"), "a");
  EXPECT_EQ(backend_->NextEventTime(), clock_.Now() + absl::Seconds(3));
}

TEST_F(VmPoolBackendTest, StartsAreDeliveredAndReportsBecomeEvents) {
  FakeAgent agent(*stub_);
  ASSERT_TRUE(agent.Register("vm-1"));
  ControllerMessage m;
  ASSERT_TRUE(agent.Read(&m));
  Next();  // NodeUp
  backend_->Execute(Start("job-1", 1, "vm-1"), clock_.Now());
  ASSERT_TRUE(agent.Read(&m));
  ASSERT_TRUE(m.has_start());
  EXPECT_EQ(m.start().job_id(), "job-1");
  EXPECT_EQ(m.start().attempt(), 1);
  ASSERT_TRUE(agent.Report(Report("job-1", 1, TaskReport::STATE_RUNNING)));
  EXPECT_TRUE(std::holds_alternative<TaskRunning>(Next().body));
  ASSERT_TRUE(agent.Report(Report("job-1", 1, TaskReport::STATE_EXITED, 3)));
  const Event& exited = Next();
  ASSERT_TRUE(std::holds_alternative<TaskExited>(exited.body));
  EXPECT_EQ(std::get<TaskExited>(exited.body).exit_code, 3);
  // A stop goes out with the configured grace period.
  backend_->Execute(StopVmTask{"job-1", 1, "vm-1", "cancelled"}, clock_.Now());
  ASSERT_TRUE(agent.Read(&m));
  ASSERT_TRUE(m.has_stop());
  EXPECT_EQ(m.stop().grace_period_ms(), 2000);
}

TEST_F(VmPoolBackendTest, MissedHeartbeatsBringTheNodeDownAndEndTheStream) {
  FakeAgent agent(*stub_);
  ASSERT_TRUE(agent.Register("vm-1"));
  ControllerMessage m;
  ASSERT_TRUE(agent.Read(&m));
  Next();  // NodeUp
  clock_.Advance(absl::Seconds(2));
  AgentMessage beat;
  beat.mutable_heartbeat();
  ASSERT_TRUE(agent.Send(beat));
  // The heartbeat moves the deadline to t+2+3 (observed through NextEventTime).
  const absl::Time expected = clock_.Now() + absl::Seconds(3);
  PollUntil([&] { return backend_->NextEventTime() == expected; }, absl::Seconds(5),
            absl::Milliseconds(5));
  ASSERT_EQ(backend_->NextEventTime(), expected);
  clock_.Advance(absl::Milliseconds(2900));
  ExpectNoMoreEvents();
  clock_.Advance(absl::Milliseconds(100));
  const Event& down = Next();
  ASSERT_TRUE(std::holds_alternative<NodeDown>(down.body)) << EventName(down.body);
  EXPECT_THAT(std::get<NodeDown>(down.body).reason, HasSubstr("no heartbeat for 3s"));
  EXPECT_EQ(agent.AwaitEnd().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(backend_->NextEventTime(), absl::InfiniteFuture());
  // A start for a node that is down fails at once.
  backend_->Execute(Start("job-1", 1, "vm-1"), clock_.Now());
  EXPECT_TRUE(std::holds_alternative<TaskFailed>(Next().body));
}

TEST_F(VmPoolBackendTest, MalformedStreamsAreRejectedWithoutEvents) {
  {
    FakeAgent agent(*stub_);  // Not a register first.
    AgentMessage beat;
    beat.mutable_heartbeat();
    agent.Send(beat);
    grpc::Status s = agent.AwaitEnd();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("first message must be a register"));
  }
  {
    FakeAgent agent(*stub_);  // Impossible capacity.
    agent.Register("vm-1", {}, /*cpu_millis=*/-1);
    grpc::Status s = agent.AwaitEnd();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("register.capacity.cpu_millis"));
  }
  {
    FakeAgent agent(*stub_);  // An empty message.
    agent.Send(AgentMessage());
    EXPECT_EQ(agent.AwaitEnd().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    FakeAgent agent(*stub_);  // Oversized (the backend's own limit, below gRPC's).
    AgentMessage m;
    m.mutable_register_()->set_agent_version(std::string(config_.max_message_bytes + 1, 'x'));
    agent.Send(m);
    EXPECT_EQ(agent.AwaitEnd().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(backend_->rejected_streams(), 4);
  ExpectNoMoreEvents();
  EXPECT_TRUE(backend_->Nodes().empty());
}

TEST_F(VmPoolBackendTest, SecondRegisterAndDuplicateNodeIdAreRejected) {
  FakeAgent first(*stub_);
  ASSERT_TRUE(first.Register("vm-1"));
  ControllerMessage m;
  ASSERT_TRUE(first.Read(&m));
  Next();  // NodeUp
  {
    FakeAgent impostor(*stub_);
    impostor.Register("vm-1");
    grpc::Status s = impostor.AwaitEnd();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  }
  // The first agent is unharmed: it still gets its work.
  backend_->Execute(Start("job-1", 1, "vm-1"), clock_.Now());
  ASSERT_TRUE(first.Read(&m));
  EXPECT_TRUE(m.has_start());
  // A second register on the same stream ends it.
  first.Register("vm-1");
  EXPECT_EQ(first.AwaitEnd().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ExpectNoMoreEvents();
}

TEST_F(VmPoolBackendTest, ReportsForTasksNotStartedThereAreDropped) {
  FakeAgent a(*stub_), b(*stub_);
  ASSERT_TRUE(a.Register("vm-1"));
  ASSERT_TRUE(b.Register("vm-2"));
  ControllerMessage m;
  ASSERT_TRUE(a.Read(&m));
  ASSERT_TRUE(b.Read(&m));
  WaitForEvents(2);
  seen_ = 2;
  backend_->Execute(Start("job-1", 1, "vm-1"), clock_.Now());
  ASSERT_TRUE(a.Read(&m));
  // vm-2 claims vm-1's task, and a task nobody started: both dropped; running ones get a stop.
  ASSERT_TRUE(b.Report(Report("job-1", 1, TaskReport::STATE_EXITED, 0)));
  ASSERT_TRUE(b.Report(Report("job-9", 1, TaskReport::STATE_RUNNING)));
  ASSERT_TRUE(b.Read(&m));
  ASSERT_TRUE(m.has_stop());
  EXPECT_EQ(m.stop().job_id(), "job-9");
  EXPECT_EQ(m.stop().reason(), "not assigned to this node");
  EXPECT_EQ(backend_->rejected_reports(), 2);
  // A bad report (attempt 0) ends only that agent's stream.
  ASSERT_TRUE(b.Report(Report("job-1", 0, TaskReport::STATE_RUNNING)));
  EXPECT_EQ(b.AwaitEnd().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ExpectNoMoreEvents();
  ASSERT_TRUE(a.Report(Report("job-1", 1, TaskReport::STATE_RUNNING)));
  EXPECT_TRUE(std::holds_alternative<TaskRunning>(Next().body));
}

TEST_F(VmPoolBackendTest, ReconnectReReportsTasksAndDeliversWhatWasQueued) {
  ControllerMessage m;
  {
    FakeAgent agent(*stub_);
    ASSERT_TRUE(agent.Register("vm-1"));
    ASSERT_TRUE(agent.Read(&m));
    Next();  // NodeUp
    backend_->Execute(Start("job-1", 1, "vm-1"), clock_.Now());
    backend_->Execute(Start("job-3", 1, "vm-1"), clock_.Now());
    ASSERT_TRUE(agent.Read(&m));
    ASSERT_TRUE(agent.Read(&m));
    ASSERT_TRUE(agent.Close().ok());
  }
  // While it is away (within its timeout) a start and a node state are queued, not failed.
  backend_->Execute(Start("job-2", 1, "vm-1"), clock_.Now());
  backend_->Execute(SetNodeState{"vm-1", spillway::v1::NODE_STATE_CORDONED}, clock_.Now());
  ExpectNoMoreEvents();
  clock_.Advance(absl::Seconds(2));
  FakeAgent again(*stub_);
  // It still runs job-1, lost job-3, and runs job-9 that nobody here started.
  ASSERT_TRUE(again.Register("vm-1", {Report("job-1", 1, TaskReport::STATE_RUNNING),
                                      Report("job-9", 1, TaskReport::STATE_RUNNING)}));
  std::vector<std::string> received;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(again.Read(&m));
    if (m.has_registered()) received.push_back("registered");
    if (m.has_stop()) received.push_back("stop " + m.stop().job_id());
    if (m.has_start()) received.push_back("start " + m.start().job_id());
    if (m.has_node_state()) received.push_back("node_state");
  }
  EXPECT_THAT(received, ::testing::ElementsAre("registered", "stop job-9", "start job-2",
                                               "node_state"));
  EXPECT_TRUE(std::holds_alternative<NodeUp>(Next().body));
  const Event& running = Next();
  ASSERT_TRUE(std::holds_alternative<TaskRunning>(running.body));
  EXPECT_EQ(std::get<TaskRunning>(running.body).job_id, "job-1");
  const Event& lost = Next();
  ASSERT_TRUE(std::holds_alternative<TaskFailed>(lost.body));
  EXPECT_EQ(std::get<TaskFailed>(lost.body).job_id, "job-3");
  EXPECT_THAT(std::get<TaskFailed>(lost.body).reason, HasSubstr("lost by the agent"));
  ExpectNoMoreEvents();
}

TEST_F(VmPoolBackendTest, LogsAreFetchedFromTheTasksNode) {
  FakeAgent agent(*stub_);
  ASSERT_TRUE(agent.Register("vm-1"));
  ControllerMessage m;
  ASSERT_TRUE(agent.Read(&m));
  EXPECT_EQ(backend_->FetchLogs("vm-2", "job-1", 1).status().code(),
            absl::StatusCode::kUnavailable);
  absl::StatusOr<std::string> logs;
  std::thread caller([&] { logs = backend_->FetchLogs("vm-1", "job-1", 1, absl::Seconds(5)); });
  ASSERT_TRUE(agent.Read(&m));
  ASSERT_TRUE(m.has_fetch_logs());
  EXPECT_EQ(m.fetch_logs().job_id(), "job-1");
  EXPECT_EQ(m.fetch_logs().attempt(), 1);
  EXPECT_GT(m.fetch_logs().max_bytes(), 0);
  AgentMessage reply;
  reply.mutable_logs()->set_request_id(m.fetch_logs().request_id());
  reply.mutable_logs()->set_content("hello\n");
  ASSERT_TRUE(agent.Send(reply));
  caller.join();
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_EQ(*logs, "hello\n");
  // An unanswered request times out; a late answer is dropped.
  logs = backend_->FetchLogs("vm-1", "job-2", 1, absl::Milliseconds(100));
  EXPECT_EQ(logs.status().code(), absl::StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(agent.Read(&m));
  reply.mutable_logs()->set_request_id(m.fetch_logs().request_id());
  ASSERT_TRUE(agent.Send(reply));
  EXPECT_TRUE(AgentStreamStaysOpen(agent));
}

TEST_F(VmPoolBackendTest, StartOnAnUnknownNodeFailsAtOnce) {
  backend_->Execute(Start("job-1", 1, "vm-404"), clock_.Now());
  const Event& e = Next();
  ASSERT_TRUE(std::holds_alternative<TaskFailed>(e.body));
  EXPECT_THAT(std::get<TaskFailed>(e.body).reason, HasSubstr("vm-404 is not connected"));
  EXPECT_FALSE(backend_->Handles(DeleteAciGroup{}));
  EXPECT_TRUE(backend_->Handles(StopVmTask{}));
}

bool AgentStreamStaysOpen(FakeAgent& agent) {
  AgentMessage beat;
  beat.mutable_heartbeat();
  return agent.Send(beat);
}

class VmPoolBackendStartupTest : public VmPoolBackendTest {
 protected:
  void Configure(VmPoolAgentsConfig& config) override {
    config.inventory_delay = absl::Seconds(2);  // Below the 3s heartbeat timeout.
  }
};

TEST_F(VmPoolBackendStartupTest, TasksFromBeforeTheStartAreAdoptedThenInventoried) {
  for (Event& e : backend_->Poll(clock_.Now())) events_.push_back(std::move(e));  // First Poll.
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(backend_->NextEventTime(), clock_.Now() + absl::Seconds(2));
  FakeAgent agent(*stub_);
  ASSERT_TRUE(agent.Register("vm-1", {Report("job-1", 1, TaskReport::STATE_RUNNING),
                                      Report("job-2", 1, TaskReport::STATE_EXITED, 4)}));
  ControllerMessage m;
  ASSERT_TRUE(agent.Read(&m));
  EXPECT_TRUE(m.has_registered());
  EXPECT_TRUE(std::holds_alternative<NodeUp>(Next().body));
  const Event& running = Next();
  ASSERT_TRUE(std::holds_alternative<TaskRunning>(running.body));
  EXPECT_EQ(std::get<TaskRunning>(running.body).job_id, "job-1");
  const Event& exited = Next();
  ASSERT_TRUE(std::holds_alternative<TaskExited>(exited.body));
  EXPECT_EQ(std::get<TaskExited>(exited.body).exit_code, 4);
  EXPECT_EQ(backend_->rejected_reports(), 0);

  clock_.Advance(absl::Seconds(2));
  const Event& inventory = Next();
  ASSERT_TRUE(std::holds_alternative<BackendInventory>(inventory.body)) << EventName(inventory.body);
  const auto& tasks = std::get<BackendInventory>(inventory.body).tasks;
  ASSERT_EQ(tasks.size(), 1u);  // job-2 finished and was reported.
  EXPECT_EQ(tasks[0].job_id, "job-1");
  EXPECT_EQ(tasks[0].attempt, 1);
  EXPECT_EQ(tasks[0].node_id, "vm-1");
  EXPECT_TRUE(backend_->inventory_sent());
  // From now on an unknown task is stopped, not adopted.
  ASSERT_TRUE(agent.Report(Report("job-3", 1, TaskReport::STATE_RUNNING)));
  ASSERT_TRUE(agent.Read(&m));
  ASSERT_TRUE(m.has_stop());
  EXPECT_EQ(m.stop().job_id(), "job-3");
  EXPECT_EQ(backend_->rejected_reports(), 1);
  // The adopted one is followed like any other.
  ASSERT_TRUE(agent.Report(Report("job-1", 1, TaskReport::STATE_EXITED, 0)));
  EXPECT_TRUE(std::holds_alternative<TaskExited>(Next().body));
}

}  // namespace
}  // namespace spillway
