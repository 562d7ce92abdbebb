// AciBackend against a scripted ARM (FakeHttpClient): the retry and recovery rules, exactly.
#include "common/clock.h"
#include "backends/aci/aci_backend.h"

#include <atomic>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "backends/aci/fake_http_client.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

constexpr char kGroup[] = "sw-t-job-1-a1";

AciBackendConfig TestConfig() {
  AciBackendConfig config;
  config.arm_base_url = "http://arm";
  config.subscription_id = "sub";
  config.resource_group = "rg";
  config.location = "eastus";
  config.cluster_name = "t";
  config.poll_interval = absl::Milliseconds(20);
  config.backoff_initial = absl::Milliseconds(10);
  config.backoff_max = absl::Milliseconds(40);
  config.max_retries = 3;
  config.worker_threads = 2;
  return config;
}

CreateAciGroup Create() {
  CreateAciGroup create;
  create.job_id = "job-1";
  create.attempt = 1;
  create.group_name = kGroup;
  create.spec.set_image("busybox");
  create.resources = Resources{1000, 1024};
  return create;
}

const char* kRunningThenExited(int n) {
  return n < 2 ? R"({"name":"sw-t-job-1-a1","properties":{"provisioningState":"Succeeded",
      "instanceView":{"state":"Running"}}})"
               : R"({"name":"sw-t-job-1-a1","properties":{"provisioningState":"Succeeded",
      "containers":[{"name":"main","properties":{"instanceView":{"currentState":
      {"state":"Terminated","exitCode":4}}}}]}})";
}

// Collects events until a predicate holds; woken by the backend, never sleeping.
class Events {
 public:
  explicit Events(AciBackend* backend) : backend_(backend) {
    backend_->SetWakeup([this] {
      absl::MutexLock lock(&mu_);
      woken_ = true;
    });
  }
  bool WaitFor(const std::function<bool(const std::vector<Event>&)>& done) {
    const absl::Time deadline = RealClock::Get()->Now() + absl::Seconds(20);
    while (true) {
      for (Event& e : backend_->Poll(RealClock::Get()->Now())) events_.push_back(std::move(e));
      if (done(events_)) return true;
      if (RealClock::Get()->Now() > deadline) return false;
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&woken_), absl::Milliseconds(100));
      woken_ = false;
    }
  }
  const std::vector<Event>& all() const { return events_; }

 private:
  AciBackend* backend_;
  std::vector<Event> events_;
  absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
};

template <typename T>
const T* Find(const std::vector<Event>& events) {
  for (const Event& e : events) {
    if (const T* t = std::get_if<T>(&e.body)) return t;
  }
  return nullptr;
}

int Count(const std::vector<HttpRequest>& requests, const std::string& method) {
  int n = 0;
  for (const HttpRequest& r : requests) n += r.method == method && absl::StrContains(r.url, kGroup);
  return n;
}

std::unique_ptr<AciBackend> Make(FakeHttpClient::Handler handler, FakeHttpClient** fake) {
  auto http = std::make_unique<FakeHttpClient>(std::move(handler));
  *fake = http.get();
  return std::make_unique<AciBackend>(TestConfig(), std::move(http),
                                      std::make_unique<NoAuthTokenSource>(), RealClock::Get());
}

TEST(AciBackendTest, TimedOutCreateIsLookedUpNotResent) {
  std::atomic<int> gets{0};
  FakeHttpClient* fake = nullptr;
  auto backend = Make(
      [&](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
        if (r.method == "PUT") return absl::DeadlineExceededError("timed out");
        if (r.method == "GET" && absl::StrContains(r.url, kGroup)) {
          return Reply(200, kRunningThenExited(gets++));
        }
        if (r.method == "DELETE") return Reply(204, "");
        return Reply(200, R"({"value":[]})");
      },
      &fake);
  Events events(backend.get());
  backend->Execute(Create(), RealClock::Get()->Now());
  ASSERT_TRUE(events.WaitFor([](const auto& e) { return Find<TaskExited>(e) != nullptr; }));
  EXPECT_EQ(Find<TaskExited>(events.all())->exit_code, 4);
  EXPECT_NE(Find<TaskStarting>(events.all()), nullptr);
  EXPECT_NE(Find<TaskRunning>(events.all()), nullptr);
  EXPECT_EQ(Count(fake->requests(), "PUT"), 1);
  EXPECT_EQ(backend->stats().creates_verified, 1);
  backend->Execute(DeleteAciGroup{"job-1", 1, kGroup, "done"}, RealClock::Get()->Now());
  ASSERT_TRUE(events.WaitFor([](const auto& e) { return Find<AciGroupDeleted>(e) != nullptr; }));
  EXPECT_TRUE(backend->AwaitIdle(absl::Seconds(10)));
}

TEST(AciBackendTest, FiveHundredThenNotFoundResendsOnce) {
  std::atomic<int> puts{0};
  FakeHttpClient* fake = nullptr;
  auto backend = Make(
      [&](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
        if (r.method == "PUT") {
          if (puts++ == 0) return Reply(503, R"({"error":{"code":"ServerTimeout","message":"x"}})");
          return Reply(201, R"({"properties":{"provisioningState":"Pending"}})");
        }
        if (r.method == "GET" && absl::StrContains(r.url, kGroup)) {
          if (puts.load() < 2) return Reply(404, R"({"error":{"code":"ResourceNotFound"}})");
          return Reply(200, kRunningThenExited(2));
        }
        return Reply(200, R"({"value":[]})");
      },
      &fake);
  Events events(backend.get());
  backend->Execute(Create(), RealClock::Get()->Now());
  ASSERT_TRUE(events.WaitFor([](const auto& e) { return Find<TaskExited>(e) != nullptr; }));
  EXPECT_EQ(Count(fake->requests(), "PUT"), 2);
}

TEST(AciBackendTest, ThrottlingHonoursRetryAfterThenSucceeds) {
  std::atomic<int> puts{0};
  FakeHttpClient* fake = nullptr;
  auto backend = Make(
      [&](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
        if (r.method == "PUT") {
          if (puts++ < 2) {
            HttpResponse throttled = Reply(429, R"({"error":{"code":"TooManyRequests"}})");
            throttled.headers["retry-after"] = "0";
            return throttled;
          }
          return Reply(201, R"({"properties":{"provisioningState":"Pending"}})");
        }
        if (r.method == "GET" && absl::StrContains(r.url, kGroup)) {
          return Reply(200, kRunningThenExited(2));
        }
        return Reply(200, R"({"value":[]})");
      },
      &fake);
  Events events(backend.get());
  backend->Execute(Create(), RealClock::Get()->Now());
  ASSERT_TRUE(events.WaitFor([](const auto& e) { return Find<TaskExited>(e) != nullptr; }));
  EXPECT_EQ(Count(fake->requests(), "PUT"), 3);
  EXPECT_EQ(backend->stats().throttled, 2);
}

TEST(AciBackendTest, NonRetryableFailsWithArmsCodeAndRetriesRunOut) {
  FakeHttpClient* fake = nullptr;
  auto backend = Make(
      [&](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
        if (r.method == "PUT") {
          return Reply(400, R"({"error":{"code":"InaccessibleImage","message":"no such image"}})");
        }
        return Reply(200, R"({"value":[]})");
      },
      &fake);
  Events events(backend.get());
  backend->Execute(Create(), RealClock::Get()->Now());
  ASSERT_TRUE(events.WaitFor([](const auto& e) { return Find<TaskFailed>(e) != nullptr; }));
  EXPECT_EQ(Find<TaskFailed>(events.all())->reason, "InaccessibleImage: no such image");
  EXPECT_EQ(Count(fake->requests(), "PUT"), 1);

  FakeHttpClient* fake2 = nullptr;
  auto busy = Make(
      [&](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
        if (r.method == "PUT") {
          return Reply(409, R"({"error":{"code":"ServiceUnavailable","message":"no capacity"}})");
        }
        return Reply(200, R"({"value":[]})");
      },
      &fake2);
  Events busy_events(busy.get());
  busy->Execute(Create(), RealClock::Get()->Now());
  ASSERT_TRUE(busy_events.WaitFor([](const auto& e) { return Find<TaskFailed>(e) != nullptr; }));
  EXPECT_EQ(Find<TaskFailed>(busy_events.all())->reason, "ServiceUnavailable: no capacity");
  EXPECT_EQ(Count(fake2->requests(), "PUT"), 1 + TestConfig().max_retries);
}

TEST(AciBackendTest, DeletesFollowTheOperationAndNeverGiveUp) {
  std::atomic<int> deletes{0}, op_polls{0};
  FakeHttpClient* fake = nullptr;
  auto backend = Make(
      [&](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
        if (r.method == "DELETE") {
          if (deletes++ < 5) return Reply(409, R"({"error":{"code":"ContainerGroupTransitioning"}})");
          HttpResponse accepted = Reply(202, "");
          accepted.headers["azure-asyncoperation"] = "http://arm/op/1";
          return accepted;
        }
        if (absl::StrContains(r.url, "/op/1")) {
          return Reply(200, op_polls++ < 2 ? R"({"status":"InProgress"})"
                                           : R"({"status":"Succeeded"})");
        }
        return Reply(200, R"({"value":[]})");
      },
      &fake);
  Events events(backend.get());
  backend->Execute(DeleteAciGroup{"job-1", 1, kGroup, "gone"}, RealClock::Get()->Now());
  ASSERT_TRUE(events.WaitFor([](const auto& e) { return Find<AciGroupDeleted>(e) != nullptr; }));
  EXPECT_EQ(deletes.load(), 6);  // More than max_retries: deletes never give up.
  EXPECT_EQ(op_polls.load(), 3);
  EXPECT_TRUE(backend->AwaitIdle(absl::Seconds(10)));
}

}  // namespace
}  // namespace spillway
