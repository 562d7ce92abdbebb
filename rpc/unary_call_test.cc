// ListenUnary over real gRPC (loopback, port 0), with grpc.health.v1.Health/Check as the method
// and handlers of the tests' own: what Finish sends, Finish from another thread, the call
// limiter, and many calls at once.
#include "rpc/unary_call.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "rpc/call_limiter.h"
#include "rpc/call_queue.h"

namespace spillway::rpc {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

using CheckMethod = UnaryMethod<HealthCheckRequest, HealthCheckResponse>;
using CheckHandler =
    std::function<void(const HealthCheckRequest*, HealthCheckResponse*, UnaryReactor*)>;

// The test's answer to a Check: SERVING for "serving", NOT_SERVING for anything else.
HealthCheckResponse::ServingStatus AnswerFor(const std::string& service) {
  return service == "serving" ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

// A call whose handler kept it open: the test finishes it.
struct HeldCall {
  HealthCheckResponse* response = nullptr;
  UnaryReactor* reactor = nullptr;
};

class UnaryCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    queue_ = std::make_unique<CallQueue>(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
    stub_ = Health::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                                grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    queue_->Stop();
  }

  // Serves Check with `handle` (counting the thread it runs on) and starts the queue.
  void Serve(CheckHandler handle, CallLimiter* limiter = nullptr, int outstanding = 1) {
    CheckMethod method;
    method.request = [this](grpc::ServerContext* context, HealthCheckRequest* request,
                            grpc::ServerAsyncResponseWriter<HealthCheckResponse>* writer,
                            grpc::ServerCompletionQueue* cq, void* tag) {
      service_.RequestCheck(context, request, writer, cq, cq, tag);
    };
    method.handle = [this, handle = std::move(handle)](const HealthCheckRequest* request,
                                                       HealthCheckResponse* response,
                                                       UnaryReactor* reactor) {
      {
        absl::MutexLock lock(&mu_);
        handler_threads_.push_back(std::this_thread::get_id());
      }
      handle(request, response, reactor);
    };
    method.limiter = limiter;
    ListenUnary(queue_.get(), std::move(method), outstanding);
    queue_->Start();
  }

  // Serves Check answering AnswerFor(service) on the queue's thread.
  void ServeInline(CallLimiter* limiter = nullptr, int outstanding = 1) {
    Serve(
        [](const HealthCheckRequest* request, HealthCheckResponse* response,
           UnaryReactor* reactor) {
          response->set_status(AnswerFor(request->service()));
          reactor->Finish(grpc::Status::OK);
        },
        limiter, outstanding);
  }

  grpc::Status Check(const std::string& service, HealthCheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    HealthCheckRequest request;
    request.set_service(service);
    return stub_->Check(&context, request, response);
  }

  // The threads the handlers ran on, in order.
  std::vector<std::thread::id> HandlerThreads() {
    absl::MutexLock lock(&mu_);
    return handler_threads_;
  }

  Health::AsyncService service_;  // Outlives the queue and the server.
  std::unique_ptr<CallQueue> queue_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<Health::Stub> stub_;
  absl::Mutex mu_;
  std::vector<std::thread::id> handler_threads_ ABSL_GUARDED_BY(mu_);
};

TEST_F(UnaryCallTest, FinishOkSendsTheResponse) {
  ServeInline();
  HealthCheckResponse response;
  ASSERT_TRUE(Check("serving", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  ASSERT_TRUE(Check("other", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);

  // Both handlers ran on the queue's thread (the same one), not on the test's.
  const std::vector<std::thread::id> threads = HandlerThreads();
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0], threads[1]);
  EXPECT_NE(threads[0], std::this_thread::get_id());
}

TEST_F(UnaryCallTest, FinishWithErrorSendsOnlyTheStatus) {
  Serve(
      [](const HealthCheckRequest* request, HealthCheckResponse* response, UnaryReactor* reactor) {
        response->set_status(HealthCheckResponse::SERVING);  // Not sent: the call fails.
        reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                     "no entry for " + request->service()));
      });
  HealthCheckResponse response;
  const grpc::Status status = Check("guest", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "no entry for guest");
  EXPECT_EQ(response.status(), HealthCheckResponse::UNKNOWN);
}

TEST_F(UnaryCallTest, FinishFromAnotherThread) {
  absl::Notification arrived;
  HeldCall held;
  std::string request_service;
  Serve(
      [&](const HealthCheckRequest* request, HealthCheckResponse* response, UnaryReactor* reactor) {
        request_service = request->service();  // Read before Notify: the test reads it after.
        held = {response, reactor};
        arrived.Notify();
      });

  HealthCheckResponse response;
  grpc::Status status(grpc::StatusCode::INTERNAL, "client call did not return");
  std::thread client([&] { status = Check("serving", &response); });
  ASSERT_TRUE(arrived.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(request_service, "serving");
  // The handler has returned long since (or is returning): the call waits for the test.
  held.response->set_status(AnswerFor(request_service));
  held.reactor->Finish(grpc::Status::OK);
  client.join();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
}

TEST_F(UnaryCallTest, ErrorFromAnotherThread) {
  absl::Notification arrived;
  HeldCall held;
  Serve([&](const HealthCheckRequest*, HealthCheckResponse* response, UnaryReactor* reactor) {
    held = {response, reactor};
    arrived.Notify();
  });

  HealthCheckResponse response;
  grpc::Status status;
  std::thread client([&] { status = Check("x", &response); });
  ASSERT_TRUE(arrived.WaitForNotificationWithTimeout(absl::Seconds(10)));
  std::thread finisher(
      [&] { held.reactor->Finish(grpc::Status(grpc::StatusCode::ABORTED, "from a thread")); });
  finisher.join();
  client.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(status.error_message(), "from a thread");
}

TEST_F(UnaryCallTest, LimiterShedsCallsBeyondItsBoundUntilTheHeldOneIsDone) {
  CallLimiter limiter(1);
  absl::Notification arrived;
  HeldCall held;
  std::atomic<int> handled{0};
  Serve(
      [&](const HealthCheckRequest* request, HealthCheckResponse* response, UnaryReactor* reactor) {
        handled.fetch_add(1);
        if (request->service() == "hold") {
          held = {response, reactor};
          arrived.Notify();
          return;
        }
        response->set_status(AnswerFor(request->service()));
        reactor->Finish(grpc::Status::OK);
      },
      &limiter);

  HealthCheckResponse held_response;
  grpc::Status held_status(grpc::StatusCode::INTERNAL, "client call did not return");
  std::thread client([&] { held_status = Check("hold", &held_response); });
  ASSERT_TRUE(arrived.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(limiter.in_progress(), 1);

  // Beyond the bound: answered at once, without reaching the handler.
  HealthCheckResponse response;
  grpc::Status status = Check("serving", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("--max_calls_in_flight"));
  EXPECT_EQ(limiter.rejected(), 1);
  EXPECT_EQ(handled.load(), 1);
  EXPECT_EQ(limiter.in_progress(), 1);

  held.response->set_status(HealthCheckResponse::SERVING);
  held.reactor->Finish(grpc::Status::OK);
  client.join();
  ASSERT_TRUE(held_status.ok()) << held_status.error_message();
  EXPECT_EQ(held_response.status(), HealthCheckResponse::SERVING);

  // The call is counted until gRPC is done with it, which the queue's thread learns just after
  // the client got its answer.
  ASSERT_TRUE(PollUntil([&] { return limiter.in_progress() == 0; }, absl::Seconds(10),
                        absl::Milliseconds(1)));

  status = Check("serving", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  EXPECT_EQ(handled.load(), 2);
  EXPECT_EQ(limiter.rejected(), 1);
  EXPECT_TRUE(PollUntil([&] { return limiter.in_progress() == 0; }, absl::Seconds(10),
                        absl::Milliseconds(1)));
}

// Sends `count` Checks at once (service "serving" for even i, else "other"); their statuses and
// responses by index.
void CheckMany(Health::Stub* stub, int count, std::vector<grpc::Status>* statuses,
               std::vector<HealthCheckResponse>* responses) {
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientAsyncResponseReader<HealthCheckResponse>>> readers;
  statuses->assign(count, grpc::Status(grpc::StatusCode::INTERNAL, "no answer"));
  responses->assign(count, HealthCheckResponse());
  for (int i = 0; i < count; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    HealthCheckRequest request;
    request.set_service(i % 2 == 0 ? "serving" : "other");
    readers.push_back(stub->AsyncCheck(contexts.back().get(), request, &cq));
    readers.back()->Finish(&(*responses)[i], &(*statuses)[i], reinterpret_cast<void*>(i + 1));
  }
  std::vector<bool> seen(count, false);
  for (int i = 0; i < count; ++i) {
    void* tag = nullptr;
    bool ok = false;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    EXPECT_TRUE(ok);
    const auto index = reinterpret_cast<intptr_t>(tag) - 1;
    ASSERT_GE(index, 0);
    ASSERT_LT(index, count);
    EXPECT_FALSE(seen[index]) << "call " << index << " completed twice";
    seen[index] = true;
  }
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  EXPECT_FALSE(cq.Next(&tag, &ok));
}

TEST_F(UnaryCallTest, ManyConcurrentCallsAreAllAnswered) {
  constexpr int kCalls = 200;
  ServeInline(/*limiter=*/nullptr, /*outstanding=*/4);
  std::vector<grpc::Status> statuses;
  std::vector<HealthCheckResponse> responses;
  CheckMany(stub_.get(), kCalls, &statuses, &responses);
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << "call " << i << ": " << statuses[i].error_message();
    EXPECT_EQ(responses[i].status(),
              i % 2 == 0 ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING)
        << "call " << i;
  }
  EXPECT_EQ(HandlerThreads().size(), static_cast<size_t>(kCalls));
}

TEST_F(UnaryCallTest, ManyConcurrentCallsFinishedFromAnotherThread) {
  constexpr int kCalls = 200;
  // A worker finishes every call, as spillwayd's event loop does.
  absl::Mutex mu;
  std::vector<std::pair<const HealthCheckRequest*, HeldCall>> work;
  bool done = false;
  std::thread worker([&] {
    for (;;) {
      std::vector<std::pair<const HealthCheckRequest*, HeldCall>> batch;
      {
        absl::MutexLock lock(&mu);
        const auto ready = [&] { return !work.empty() || done; };
        mu.Await(absl::Condition(&ready));
        if (work.empty() && done) return;
        batch.swap(work);
      }
      for (auto& [request, call] : batch) {
        call.response->set_status(AnswerFor(request->service()));
        call.reactor->Finish(grpc::Status::OK);
      }
    }
  });
  Serve(
      [&](const HealthCheckRequest* request, HealthCheckResponse* response, UnaryReactor* reactor) {
        absl::MutexLock lock(&mu);
        work.push_back({request, HeldCall{response, reactor}});
      },
      /*limiter=*/nullptr, /*outstanding=*/4);

  std::vector<grpc::Status> statuses;
  std::vector<HealthCheckResponse> responses;
  CheckMany(stub_.get(), kCalls, &statuses, &responses);
  {
    absl::MutexLock lock(&mu);
    done = true;
  }
  worker.join();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << "call " << i << ": " << statuses[i].error_message();
    EXPECT_EQ(responses[i].status(),
              i % 2 == 0 ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING)
        << "call " << i;
  }
}

TEST_F(UnaryCallTest, ManyConcurrentCallsUnderALimiterAreAnsweredOrShed) {
  constexpr int kCalls = 200;
  CallLimiter limiter(4);
  ServeInline(&limiter, /*outstanding=*/4);
  std::vector<grpc::Status> statuses;
  std::vector<HealthCheckResponse> responses;
  CheckMany(stub_.get(), kCalls, &statuses, &responses);
  int answered = 0;
  int shed = 0;
  for (int i = 0; i < kCalls; ++i) {
    if (statuses[i].ok()) {
      ++answered;
      EXPECT_EQ(responses[i].status(),
                i % 2 == 0 ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING)
          << "call " << i;
    } else {
      ++shed;
      EXPECT_EQ(statuses[i].error_code(), grpc::StatusCode::UNAVAILABLE) << "call " << i;
      EXPECT_THAT(statuses[i].error_message(), HasSubstr("--max_calls_in_flight"));
    }
  }
  EXPECT_EQ(answered + shed, kCalls);
  EXPECT_GT(answered, 0);
  EXPECT_EQ(limiter.rejected(), shed);
  EXPECT_EQ(HandlerThreads().size(), static_cast<size_t>(answered));
  EXPECT_TRUE(PollUntil([&] { return limiter.in_progress() == 0; }, absl::Seconds(10),
                        absl::Milliseconds(1)));
}

}  // namespace
}  // namespace spillway::rpc
