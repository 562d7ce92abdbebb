#include "common/clock.h"
#include "backends/aci/token_source.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "backends/aci/fake_http_client.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

// Hands out "t1", "t2", ... valid for `lifetime`; optionally blocks until released.
class CountingFetcher final : public TokenFetcher {
 public:
  CountingFetcher(const Clock* clock, absl::Duration lifetime, absl::Notification* gate = nullptr)
      : clock_(clock), lifetime_(lifetime), gate_(gate) {}
  absl::StatusOr<AccessToken> Fetch() override {
    entered_.fetch_add(1);
    if (gate_ != nullptr) gate_->WaitForNotification();
    if (fail_.load()) return absl::UnavailableError("login down");
    const int n = count_.fetch_add(1) + 1;
    return AccessToken{absl::StrCat("t", n), clock_->Now() + lifetime_};
  }
  std::atomic<int> entered_{0};
  std::atomic<int> count_{0};
  std::atomic<bool> fail_{false};

 private:
  const Clock* clock_;
  absl::Duration lifetime_;
  absl::Notification* gate_;
};

TEST(CachingTokenSourceTest, CachesAndRefreshesBeforeExpiry) {
  SimulatedClock clock;
  auto fetcher = std::make_unique<CountingFetcher>(&clock, absl::Hours(1));
  CountingFetcher* f = fetcher.get();
  CachingTokenSource tokens(std::move(fetcher), &clock, absl::Minutes(5));
  EXPECT_EQ(*tokens.Token(), "t1");
  EXPECT_EQ(*tokens.Token(), "t1");
  clock.Advance(absl::Minutes(54));
  EXPECT_EQ(*tokens.Token(), "t1");
  clock.Advance(absl::Minutes(2));  // Within 5 minutes of expiry: refresh early.
  EXPECT_EQ(*tokens.Token(), "t2");
  EXPECT_EQ(f->count_.load(), 2);
}

TEST(CachingTokenSourceTest, KeepsAValidTokenWhenAnEarlyRefreshFails) {
  SimulatedClock clock;
  auto fetcher = std::make_unique<CountingFetcher>(&clock, absl::Hours(1));
  CountingFetcher* f = fetcher.get();
  CachingTokenSource tokens(std::move(fetcher), &clock, absl::Minutes(5));
  EXPECT_EQ(*tokens.Token(), "t1");
  f->fail_ = true;
  clock.Advance(absl::Minutes(57));
  EXPECT_EQ(*tokens.Token(), "t1");
  clock.Advance(absl::Minutes(4));  // Expired: the failure shows.
  EXPECT_FALSE(tokens.Token().ok());
}

TEST(CachingTokenSourceTest, RefreshesOncePerRejectedToken) {
  SimulatedClock clock;
  auto fetcher = std::make_unique<CountingFetcher>(&clock, absl::Hours(1));
  CountingFetcher* f = fetcher.get();
  CachingTokenSource tokens(std::move(fetcher), &clock, absl::Minutes(5));
  EXPECT_EQ(*tokens.Token(), "t1");
  EXPECT_EQ(*tokens.RefreshAfterUnauthorized("t1"), "t2");
  // A second caller that also saw t1 rejected gets t2 without another fetch.
  EXPECT_EQ(*tokens.RefreshAfterUnauthorized("t1"), "t2");
  EXPECT_EQ(f->count_.load(), 2);
}

TEST(CachingTokenSourceTest, OneRefreshAtATime) {
  SimulatedClock clock;
  absl::Notification gate;
  auto fetcher = std::make_unique<CountingFetcher>(&clock, absl::Hours(1), &gate);
  CountingFetcher* f = fetcher.get();
  CachingTokenSource tokens(std::move(fetcher), &clock, absl::Minutes(5));
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      if (tokens.Token().value_or("") == "t1") ok.fetch_add(1);
    });
  }
  // Wait (on a condition, with a deadline) until one caller is inside Fetch, then release it.
  const absl::Time deadline = RealClock::Get()->Now() + absl::Seconds(10);
  while (f->entered_.load() == 0 && RealClock::Get()->Now() < deadline) std::this_thread::yield();
  gate.Notify();
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(f->entered_.load(), 1);
  EXPECT_EQ(tokens.fetches(), 1);
}

TEST(ClientCredentialsFetcherTest, PostsTheFormAndParses) {
  SimulatedClock clock;
  FakeHttpClient http([](const HttpRequest&) {
    return Reply(200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"abc"})");
  });
  ClientCredentialsFetcher fetcher(&http, &clock, "http://login", "tenant-1", "app id",
                                   "s&cret", "https://management.azure.com/.default",
                                   absl::Seconds(5));
  absl::StatusOr<AccessToken> token = fetcher.Fetch();
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->value, "abc");
  EXPECT_EQ(token->expires_at, clock.Now() + absl::Seconds(3599));
  const HttpRequest request = http.requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://login/tenant-1/oauth2/v2.0/token");
  EXPECT_EQ(request.body,
            "grant_type=client_credentials&client_id=app%20id&client_secret=s%26cret"
            "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
}

TEST(ClientCredentialsFetcherTest, RefusalNamesTheErrorNotTheSecret) {
  SimulatedClock clock;
  FakeHttpClient http([](const HttpRequest&) {
    return Reply(401, R"({"error":"invalid_client","error_description":"bad secret"})");
  });
  ClientCredentialsFetcher fetcher(&http, &clock, "http://login", "t", "id", "TOPSECRET",
                                   "scope", absl::Seconds(5));
  absl::StatusOr<AccessToken> token = fetcher.Fetch();
  ASSERT_FALSE(token.ok());
  EXPECT_TRUE(absl::StrContains(token.status().message(), "invalid_client"));
  EXPECT_FALSE(absl::StrContains(token.status().ToString(), "TOPSECRET"));
}

TEST(ManagedIdentityFetcherTest, SendsMetadataAndReadsStringNumbers) {
  SimulatedClock clock;
  FakeHttpClient http([](const HttpRequest& request) {
    if (request.headers.count("Metadata") == 0) return Reply(400, R"({"error":"invalid_request"})");
    return Reply(200, R"({"access_token":"mi","expires_in":"86399","expires_on":"1767312000",
                          "resource":"https://management.azure.com/","token_type":"Bearer"})");
  });
  ManagedIdentityFetcher fetcher(&http, &clock, "http://169.254.169.254",
                                 "https://management.azure.com/", "", absl::Seconds(5));
  absl::StatusOr<AccessToken> token = fetcher.Fetch();
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->value, "mi");
  EXPECT_EQ(token->expires_at, clock.Now() + absl::Seconds(86399));
  EXPECT_EQ(http.requests().at(0).url,
            "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01"
            "&resource=https%3A%2F%2Fmanagement.azure.com%2F");
}

}  // namespace
}  // namespace spillway
