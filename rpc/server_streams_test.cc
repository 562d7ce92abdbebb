// ListenBidiStream and ListenWriteStream over real gRPC (loopback, port 0): reactors of the tests'
// own on spillway.v1.AgentService/Connect (bidi) and grpc.health.v1.Health/Watch (server
// streaming). Messages keep their order, the status arrives, a client's cancel reaches OnCancel,
// and OnDone comes exactly once and last.
#include "rpc/server_streams.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/spillway/v1/agent.grpc.pb.h"
#include "rpc/call_queue.h"

namespace spillway::rpc {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using spillway::v1::AgentMessage;
using spillway::v1::AgentService;
using spillway::v1::ControllerMessage;
using ::testing::Contains;
using ::testing::ElementsAre;

constexpr absl::Duration kWait = absl::Seconds(10);

// What the reactors of a test did, in order, over all their calls.
class Journal {
 public:
  void Add(const std::string& event) {
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  }

  std::vector<std::string> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  int Count(const std::string& event) {
    absl::MutexLock lock(&mu_);
    int count = 0;
    for (const std::string& e : events_) count += e == event;
    return count;
  }

  // True once `count` reactors ran OnDone; false after kWait.
  bool AwaitDone(int count) { return Await("done", count); }

  // True once `event` happened `count` times; false after kWait.
  bool Await(const std::string& event, int count) {
    absl::MutexLock lock(&mu_);
    const auto reached = [&] {
      int seen = 0;
      for (const std::string& e : events_) seen += e == event;
      return seen >= count;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kWait);
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

// Answers each AgentMessage's task (job_id, attempt) with a StartTask of the same job and
// attempt, one message at a time (read, write, read...); finishes OK when the client is done
// writing, or the read failed for any other reason.
class EchoReactor final : public BidiReactor<AgentMessage, ControllerMessage> {
 public:
  EchoReactor(internal::BidiOps<AgentMessage, ControllerMessage>* ops, Journal* journal)
      : BidiReactor(ops), journal_(journal) {
    journal_->Add("start");
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      journal_->Add("read failed");
      Finish(grpc::Status::OK);
      return;
    }
    out_.mutable_start()->set_job_id(in_.task().job_id());
    out_.mutable_start()->set_attempt(in_.task().attempt());
    StartWrite(&out_);
  }

  void OnWriteDone(bool ok) override {
    if (ok) {
      StartRead(&in_);
    } else {
      journal_->Add("write failed");
      Finish(grpc::Status::CANCELLED);
    }
  }

  void OnCancel() override { journal_->Add("cancel"); }

  void OnDone() override {
    journal_->Add("done");
    delete this;
  }

 private:
  Journal* const journal_;
  AgentMessage in_;
  ControllerMessage out_;
};

AgentMessage Task(const std::string& job_id, int attempt) {
  AgentMessage message;
  message.mutable_task()->set_job_id(job_id);
  message.mutable_task()->set_attempt(attempt);
  return message;
}

class ServerStreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&agent_service_);
    builder.RegisterService(&health_service_);
    queue_ = std::make_unique<CallQueue>(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
    agent_stub_ = AgentService::NewStub(channel_);
    health_stub_ = Health::NewStub(channel_);
  }

  void TearDown() override { StopServer(); }

  // server->Shutdown(deadline), then queue.Stop(): every reactor has had its OnDone by then.
  void StopServer() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    queue_->Stop();
    server_.reset();
  }

  // Serves Connect with EchoReactors and starts the queue.
  void ServeEcho() {
    ListenBidiStream<AgentMessage, ControllerMessage>(
        queue_.get(),
        {[this](grpc::ServerContext* context,
                grpc::ServerAsyncReaderWriter<ControllerMessage, AgentMessage>* stream,
                grpc::ServerCompletionQueue* cq,
                void* tag) { agent_service_.RequestConnect(context, stream, cq, cq, tag); },
         [this](internal::BidiOps<AgentMessage, ControllerMessage>* ops,
                grpc::ServerContext*) -> BidiReactor<AgentMessage, ControllerMessage>* {
           return new EchoReactor(ops, &journal_);
         }});
    queue_->Start();
  }

  // Serves Watch with the reactors `start` makes and starts the queue.
  void ServeWatch(std::function<WriteReactor<HealthCheckResponse>*(
                      internal::WriteOps<HealthCheckResponse>*, const HealthCheckRequest*)>
                      start) {
    ListenWriteStream<HealthCheckRequest, HealthCheckResponse>(
        queue_.get(), {[this](grpc::ServerContext* context, HealthCheckRequest* request,
                              grpc::ServerAsyncWriter<HealthCheckResponse>* writer,
                              grpc::ServerCompletionQueue* cq, void* tag) {
                         health_service_.RequestWatch(context, request, writer, cq, cq, tag);
                       },
                       [start = std::move(start)](
                           internal::WriteOps<HealthCheckResponse>* ops, grpc::ServerContext*,
                           const HealthCheckRequest* request) { return start(ops, request); }});
    queue_->Start();
  }

  std::unique_ptr<grpc::ClientReaderWriter<AgentMessage, ControllerMessage>> Connect(
      grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return agent_stub_->Connect(context);
  }

  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> Watch(grpc::ClientContext* context,
                                                                 const std::string& service) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    HealthCheckRequest request;
    request.set_service(service);
    return health_stub_->Watch(context, request);
  }

  // The services outlive the queue and the server; the journal outlives the reactors.
  AgentService::AsyncService agent_service_;
  Health::AsyncService health_service_;
  Journal journal_;
  std::unique_ptr<CallQueue> queue_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<AgentService::Stub> agent_stub_;
  std::unique_ptr<Health::Stub> health_stub_;
};

TEST_F(ServerStreamsTest, BidiRoundTripsInOrderLockstep) {
  ServeEcho();
  constexpr int kMessages = 50;
  grpc::ClientContext context;
  auto stream = Connect(&context);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(stream->Write(Task("job-" + std::to_string(i), i + 1)));
    ControllerMessage reply;
    ASSERT_TRUE(stream->Read(&reply)) << "message " << i;
    ASSERT_TRUE(reply.has_start());
    EXPECT_EQ(reply.start().job_id(), "job-" + std::to_string(i));
    EXPECT_EQ(reply.start().attempt(), i + 1);
  }
  ASSERT_TRUE(stream->WritesDone());
  ControllerMessage reply;
  EXPECT_FALSE(stream->Read(&reply));
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();

  StopServer();
  EXPECT_EQ(journal_.Count("done"), 1);
  EXPECT_EQ(journal_.Count("cancel"), 0);
  EXPECT_THAT(journal_.events(), ElementsAre("start", "read failed", "done"));
}

TEST_F(ServerStreamsTest, BidiRoundTripsInOrderPipelined) {
  ServeEcho();
  constexpr int kMessages = 200;
  grpc::ClientContext context;
  auto stream = Connect(&context);
  std::thread writer([&] {
    for (int i = 0; i < kMessages; ++i) {
      if (!stream->Write(Task("job-" + std::to_string(i), i + 1))) break;
    }
    stream->WritesDone();
  });
  std::vector<int> attempts;
  ControllerMessage reply;
  while (stream->Read(&reply)) {
    const int i = static_cast<int>(attempts.size());
    EXPECT_EQ(reply.start().job_id(), "job-" + std::to_string(i));
    attempts.push_back(reply.start().attempt());
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  ASSERT_EQ(attempts.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(attempts[i], i + 1);

  StopServer();
  EXPECT_EQ(journal_.Count("done"), 1);
}

TEST_F(ServerStreamsTest, BidiEmptyStreamFinishesOk) {
  ServeEcho();
  grpc::ClientContext context;
  auto stream = Connect(&context);
  ASSERT_TRUE(stream->WritesDone());
  ControllerMessage reply;
  EXPECT_FALSE(stream->Read(&reply));
  EXPECT_TRUE(stream->Finish().ok());
  StopServer();
  EXPECT_THAT(journal_.events(), ElementsAre("start", "read failed", "done"));
}

TEST_F(ServerStreamsTest, ManyBidiStreamsAtOnce) {
  ServeEcho();
  constexpr int kStreams = 8;
  constexpr int kMessages = 20;
  grpc::ClientContext contexts[kStreams];
  std::unique_ptr<grpc::ClientReaderWriter<AgentMessage, ControllerMessage>> streams[kStreams];
  for (int s = 0; s < kStreams; ++s) streams[s] = Connect(&contexts[s]);
  // Interleaved: every stream is open while the others run.
  for (int i = 0; i < kMessages; ++i) {
    for (int s = 0; s < kStreams; ++s) {
      ASSERT_TRUE(streams[s]->Write(Task("stream-" + std::to_string(s), i)));
    }
    for (int s = 0; s < kStreams; ++s) {
      ControllerMessage reply;
      ASSERT_TRUE(streams[s]->Read(&reply));
      EXPECT_EQ(reply.start().job_id(), "stream-" + std::to_string(s));
      EXPECT_EQ(reply.start().attempt(), i);
    }
  }
  for (auto& stream : streams) {
    ASSERT_TRUE(stream->WritesDone());
    ControllerMessage reply;
    EXPECT_FALSE(stream->Read(&reply));
    EXPECT_TRUE(stream->Finish().ok());
  }
  StopServer();
  EXPECT_EQ(journal_.Count("start"), kStreams);
  EXPECT_EQ(journal_.Count("done"), kStreams);
  EXPECT_EQ(journal_.Count("cancel"), 0);
}

TEST_F(ServerStreamsTest, BidiClientCancelReachesOnCancelAndOnDone) {
  ServeEcho();
  grpc::ClientContext context;
  auto stream = Connect(&context);
  ASSERT_TRUE(stream->Write(Task("job", 1)));
  ControllerMessage reply;
  ASSERT_TRUE(stream->Read(&reply));  // The reactor is up and reading again.
  EXPECT_EQ(reply.start().job_id(), "job");

  context.TryCancel();
  while (stream->Read(&reply)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // The cancel, not the server's shutdown, ends the call.
  ASSERT_TRUE(journal_.AwaitDone(1));
  StopServer();
  const std::vector<std::string> events = journal_.events();
  EXPECT_EQ(journal_.Count("done"), 1);
  EXPECT_EQ(journal_.Count("cancel"), 1);
  EXPECT_THAT(events, Contains("read failed"));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "done");
}

// queue.Stop() waits for the calls the server's shutdown cancelled: the reactor's Finish after the
// failed read comes after grpc::Server::Shutdown returned (once that raced the completion queue's
// shutdown and aborted in gRPC's grpc_cq_begin_op).
TEST_F(ServerStreamsTest, BidiOpenAtServerShutdownEndsWithOnDone) {
  ServeEcho();
  grpc::ClientContext context;
  auto stream = Connect(&context);
  ASSERT_TRUE(stream->Write(Task("job", 1)));
  ControllerMessage reply;
  ASSERT_TRUE(stream->Read(&reply));
  // The server's shutdown cancels the call at its deadline; the reactor still ends.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  queue_->Stop();
  server_.reset();
  while (stream->Read(&reply)) {
  }
  EXPECT_FALSE(stream->Finish().ok());
  EXPECT_EQ(journal_.Count("done"), 1);
  EXPECT_EQ(journal_.events().back(), "done");
}

// Writes `count` statuses (SERVING, NOT_SERVING, SERVING...), then finishes OK.
class CountingWriter final : public WriteReactor<HealthCheckResponse> {
 public:
  CountingWriter(internal::WriteOps<HealthCheckResponse>* ops, int count, Journal* journal)
      : WriteReactor(ops), count_(count), journal_(journal) {
    journal_->Add("start");
    Next();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      journal_->Add("write failed");
      Finish(grpc::Status::CANCELLED);
      return;
    }
    Next();
  }
  void OnCancel() override { journal_->Add("cancel"); }
  void OnDone() override {
    journal_->Add("done");
    delete this;
  }

 private:
  void Next() {
    if (written_ == count_) {
      Finish(grpc::Status::OK);
      return;
    }
    out_.set_status(written_ % 2 == 0 ? HealthCheckResponse::SERVING
                                      : HealthCheckResponse::NOT_SERVING);
    ++written_;
    StartWrite(&out_);
  }

  const int count_;
  Journal* const journal_;
  int written_ = 0;
  HealthCheckResponse out_;
};

TEST_F(ServerStreamsTest, WriteStreamSendsItsMessagesThenTheStatus) {
  // The request's service names how many messages to write.
  ServeWatch([this](internal::WriteOps<HealthCheckResponse>* ops,
                    const HealthCheckRequest* request) -> WriteReactor<HealthCheckResponse>* {
    return new CountingWriter(ops, std::stoi(request->service()), &journal_);
  });
  grpc::ClientContext context;
  auto reader = Watch(&context, "3");
  std::vector<HealthCheckResponse::ServingStatus> statuses;
  HealthCheckResponse response;
  while (reader->Read(&response)) statuses.push_back(response.status());
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_THAT(statuses, ElementsAre(HealthCheckResponse::SERVING, HealthCheckResponse::NOT_SERVING,
                                    HealthCheckResponse::SERVING));

  grpc::ClientContext context0;
  auto reader0 = Watch(&context0, "0");
  EXPECT_FALSE(reader0->Read(&response));
  EXPECT_TRUE(reader0->Finish().ok());

  StopServer();
  EXPECT_EQ(journal_.Count("done"), 2);
  EXPECT_EQ(journal_.Count("cancel"), 0);
}

// A reactor that does nothing by itself: the test starts its writes and its Finish from its own
// thread, as spillwayd's event loop does.
class RemoteWriter final : public WriteReactor<HealthCheckResponse> {
 public:
  RemoteWriter(internal::WriteOps<HealthCheckResponse>* ops, Journal* journal)
      : WriteReactor(ops), journal_(journal) {}

  void OnWriteDone(bool ok) override {
    journal_->Add(ok ? "written" : "write failed");
    write_done_->Notify();
  }
  void OnCancel() override { journal_->Add("cancel"); }
  void OnDone() override {
    journal_->Add("done");
    delete this;
  }

  // Writes `status` from the calling thread and waits for OnWriteDone.
  bool Write(HealthCheckResponse::ServingStatus status) {
    out_.set_status(status);
    write_done_ = std::make_unique<absl::Notification>();
    StartWrite(&out_);
    return write_done_->WaitForNotificationWithTimeout(kWait);
  }

 private:
  Journal* const journal_;
  HealthCheckResponse out_;
  std::unique_ptr<absl::Notification> write_done_;
};

// Tests whose Watch is written by a RemoteWriter from the test's thread.
class RemoteWatchTest : public ServerStreamsTest {
 protected:
  // Serves Watch with a RemoteWriter, opens one over `context` into `*reader` and returns its
  // writer once the server made it (null if it never did).
  RemoteWriter* ServeAndOpenWatch(
      grpc::ClientContext* context,
      std::unique_ptr<grpc::ClientReader<HealthCheckResponse>>* reader) {
    // Members, not locals: the server's thread may still be returning from `start` when this
    // returns.
    ServeWatch([this](internal::WriteOps<HealthCheckResponse>* ops,
                      const HealthCheckRequest*) -> WriteReactor<HealthCheckResponse>* {
      auto* writer = new RemoteWriter(ops, &journal_);
      writer_ = writer;
      started_.Notify();
      return writer;
    });
    *reader = Watch(context, "");
    return started_.WaitForNotificationWithTimeout(kWait) ? writer_ : nullptr;
  }

 private:
  absl::Notification started_;
  RemoteWriter* writer_ = nullptr;
};

TEST_F(RemoteWatchTest, WriteStreamDrivenFromAnotherThread) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader;
  RemoteWriter* writer = ServeAndOpenWatch(&context, &reader);
  ASSERT_NE(writer, nullptr);

  HealthCheckResponse response;
  ASSERT_TRUE(writer->Write(HealthCheckResponse::SERVING));
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  ASSERT_TRUE(writer->Write(HealthCheckResponse::NOT_SERVING));
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  std::thread([writer] {
    writer->Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "enough"));
  }).join();

  EXPECT_FALSE(reader->Read(&response));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "enough");

  StopServer();
  EXPECT_EQ(journal_.Count("written"), 2);
  EXPECT_EQ(journal_.Count("done"), 1);
  EXPECT_EQ(journal_.events().back(), "done");
}

TEST_F(RemoteWatchTest, WriteStreamClientCancelReachesOnCancelAndTheReactorStillFinishes) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader;
  RemoteWriter* writer = ServeAndOpenWatch(&context, &reader);
  ASSERT_NE(writer, nullptr);
  HealthCheckResponse response;
  ASSERT_TRUE(writer->Write(HealthCheckResponse::SERVING));
  ASSERT_TRUE(reader->Read(&response));

  context.TryCancel();
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(journal_.Await("cancel", 1));
  // The call is over but not done: OnDone waits for the reactor's Finish.
  EXPECT_EQ(journal_.Count("done"), 0);
  ASSERT_TRUE(writer->Write(HealthCheckResponse::NOT_SERVING));  // Fails: the call is over.
  EXPECT_EQ(journal_.Count("write failed"), 1);
  EXPECT_EQ(journal_.Count("done"), 0);
  writer->Finish(grpc::Status::CANCELLED);
  ASSERT_TRUE(journal_.AwaitDone(1));

  StopServer();
  EXPECT_EQ(journal_.Count("done"), 1);
  EXPECT_EQ(journal_.Count("cancel"), 1);
  EXPECT_EQ(journal_.events().back(), "done");
}

}  // namespace
}  // namespace spillway::rpc
