// grpc.health.v1 on a CallQueue over real gRPC (loopback, port 0): Check's answers, Watch's stream
// of changes, and how Shutdown() and a client's cancel end a Watch.
#include "rpc/health_service.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "rpc/call_queue.h"

namespace spillway::rpc {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

constexpr char kJobService[] = "spillway.v1.JobService";

// The Watch calls the server holds: an interceptor of each lives as long as its call's
// grpc::ServerContext, i.e. until the watch's reactor is done and its call object deleted.
class LiveWatches {
 public:
  class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
   public:
    explicit Factory(LiveWatches* live) : live_(live) {}
    grpc::experimental::Interceptor* CreateServerInterceptor(
        grpc::experimental::ServerRpcInfo* info) override {
      if (std::string(info->method()) != "/grpc.health.v1.Health/Watch") return nullptr;
      return new Observer(live_);
    }

   private:
    LiveWatches* const live_;
  };

  // True once exactly `count` Watch calls are live; false after 10 s.
  bool AwaitCount(int count) {
    absl::MutexLock lock(&mu_);
    const auto reached = [&] { return count_ == count; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(10));
  }

 private:
  class Observer final : public grpc::experimental::Interceptor {
   public:
    explicit Observer(LiveWatches* live) : live_(live) { live_->Add(1); }
    ~Observer() override { live_->Add(-1); }
    void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
      methods->Proceed();
    }

   private:
    LiveWatches* const live_;
  };

  void Add(int delta) {
    absl::MutexLock lock(&mu_);
    count_ += delta;
  }

  absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

class HealthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
    observers.push_back(std::make_unique<LiveWatches::Factory>(&live_watches_));
    builder.experimental().SetInterceptorCreators(std::move(observers));
    builder.RegisterService(health_.grpc_service());
    queue_ = std::make_unique<CallQueue>(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    health_.Listen(queue_.get());
    queue_->Start();
    stub_ = Health::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                grpc::InsecureChannelCredentials()));
  }

  void TearDown() override { StopServer(absl::Seconds(5)); }

  // server->Shutdown(now + grace), then queue.Stop(): how long the server's shutdown took.
  absl::Duration StopServer(absl::Duration grace) {
    if (server_ == nullptr) return absl::ZeroDuration();
    // gRPC deadlines are wall-clock time.
    const absl::Time start = RealClock::Get()->Now();
    server_->Shutdown(absl::ToChronoTime(start + grace));
    const absl::Duration took = RealClock::Get()->Now() - start;
    queue_->Stop();
    server_.reset();
    return took;
  }

  grpc::Status Check(const std::string& service, HealthCheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    HealthCheckRequest request;
    request.set_service(service);
    return stub_->Check(&context, request, response);
  }

  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> Watch(grpc::ClientContext* context,
                                                                 const std::string& service) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    HealthCheckRequest request;
    request.set_service(service);
    return stub_->Watch(context, request);
  }

  // The next status of a Watch; UNKNOWN (and a test failure) when the stream ended instead.
  static HealthCheckResponse::ServingStatus Next(grpc::ClientReader<HealthCheckResponse>* reader) {
    HealthCheckResponse response;
    if (!reader->Read(&response)) {
      ADD_FAILURE() << "the Watch stream ended";
      return HealthCheckResponse::UNKNOWN;
    }
    return response.status();
  }

  LiveWatches live_watches_;             // Outlives the server's calls.
  HealthService health_{{kJobService}};  // Outlives the queue and the server.
  std::unique_ptr<CallQueue> queue_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthServiceTest, CheckOverallFollowsSetServing) {
  HealthCheckResponse response;
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);

  health_.SetServing(true);
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  health_.SetServing(false);
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
}

TEST_F(HealthServiceTest, CheckNamedService) {
  HealthCheckResponse response;
  ASSERT_TRUE(Check(kJobService, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);

  health_.SetServing(true);
  ASSERT_TRUE(Check(kJobService, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
}

TEST_F(HealthServiceTest, CheckUnknownServiceIsNotFound) {
  health_.SetServing(true);
  HealthCheckResponse response;
  const grpc::Status status = Check("nope", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("nope"));
}

TEST_F(HealthServiceTest, CheckAfterShutdownIsNotServing) {
  health_.SetServing(true);
  health_.Shutdown();
  health_.SetServing(true);  // Ignored once shut down.
  HealthCheckResponse response;
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
}

TEST_F(HealthServiceTest, WatchStreamsEveryChange) {
  grpc::ClientContext context;
  auto reader = Watch(&context, "");
  // The first message means the server registered the watch: every change after it is sent.
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::NOT_SERVING);
  health_.SetServing(true);
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::SERVING);
  health_.SetServing(false);
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::NOT_SERVING);

  health_.Shutdown();
  HealthCheckResponse response;
  while (reader->Read(&response)) {
    EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HealthServiceTest, WatchNamedServiceFollowsSetServing) {
  grpc::ClientContext context;
  auto reader = Watch(&context, kJobService);
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::NOT_SERVING);
  health_.SetServing(true);
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::SERVING);
  health_.Shutdown();
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::NOT_SERVING);
  HealthCheckResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HealthServiceTest, WatchUnknownServiceSendsServiceUnknownAndStaysOpen) {
  grpc::ClientContext context;
  auto reader = Watch(&context, "nope");
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::SERVICE_UNKNOWN);
  health_.SetServing(true);  // Changes nothing for an unknown service, but the stream stays open.
  health_.Shutdown();
  HealthCheckResponse response;
  while (reader->Read(&response)) {
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVICE_UNKNOWN);
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HealthServiceTest, ShutdownEndsOpenWatch) {
  health_.SetServing(true);
  grpc::ClientContext context;
  auto reader = Watch(&context, "");
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::SERVING);

  health_.Shutdown();
  // The last status, then the end.
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::NOT_SERVING);
  HealthCheckResponse response;
  EXPECT_FALSE(reader->Read(&response));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));
  EXPECT_TRUE(live_watches_.AwaitCount(0));
}

TEST_F(HealthServiceTest, WatchAfterShutdownEndsAtOnce) {
  health_.SetServing(true);
  health_.Shutdown();
  grpc::ClientContext context;
  auto reader = Watch(&context, "");
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::NOT_SERVING);
  HealthCheckResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HealthServiceTest, ManyWatchesAllEndOnShutdown) {
  constexpr int kWatches = 8;
  grpc::ClientContext contexts[kWatches];
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> readers[kWatches];
  for (int i = 0; i < kWatches; ++i) {
    readers[i] = Watch(&contexts[i], i % 2 == 0 ? "" : kJobService);
    EXPECT_EQ(Next(readers[i].get()), HealthCheckResponse::NOT_SERVING);
  }
  EXPECT_TRUE(live_watches_.AwaitCount(kWatches));
  health_.SetServing(true);
  for (auto& reader : readers) EXPECT_EQ(Next(reader.get()), HealthCheckResponse::SERVING);
  health_.Shutdown();
  for (auto& reader : readers) {
    EXPECT_EQ(Next(reader.get()), HealthCheckResponse::NOT_SERVING);
    HealthCheckResponse response;
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  // Every watch's reactor is done and its call gone, before the server's shutdown.
  EXPECT_TRUE(live_watches_.AwaitCount(0));
}

TEST_F(HealthServiceTest, CancelledWatchLetsTheServerShutDownPromptly) {
  grpc::ClientContext context;
  auto reader = Watch(&context, "");
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::NOT_SERVING);

  ASSERT_TRUE(live_watches_.AwaitCount(1));

  context.TryCancel();
  HealthCheckResponse response;
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // No health_.Shutdown(): only the cancel ends the server's side of the Watch, reactor and all.
  ASSERT_TRUE(live_watches_.AwaitCount(0));
  // Had it not, the server's shutdown would wait out the whole grace period for it.
  const absl::Duration grace = absl::Seconds(10);
  EXPECT_LT(StopServer(grace), grace / 2);
}

// queue.Stop() waits for the calls the server's shutdown cancelled: the watch's OnCancel starts its
// Finish after grpc::Server::Shutdown returned (once that raced the completion queue's shutdown
// and aborted in gRPC's grpc_cq_begin_op).
TEST_F(HealthServiceTest, ServerShutdownCancelsAnOpenWatchAfterTheGrace) {
  // Without health_.Shutdown() a Watch stays open; the server's shutdown cancels it at its
  // deadline, and the watch's reactor must still end for the queue to stop.
  grpc::ClientContext context;
  auto reader = Watch(&context, "");
  EXPECT_EQ(Next(reader.get()), HealthCheckResponse::NOT_SERVING);
  StopServer(absl::Milliseconds(100));
  HealthCheckResponse response;
  while (reader->Read(&response)) {
  }
  EXPECT_FALSE(reader->Finish().ok());
}

}  // namespace
}  // namespace spillway::rpc
