// Entra ID access tokens for ARM: client credentials or managed identity (IMDS), cached and
// refreshed before expiry and once after a 401, one refresh at a time. Secrets and tokens are
// never logged or put into Status messages.
#ifndef SPILLWAY_BACKENDS_ACI_TOKEN_SOURCE_H_
#define SPILLWAY_BACKENDS_ACI_TOKEN_SOURCE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backends/aci/http_client.h"
#include "common/clock.h"

namespace spillway {

struct AccessToken {
  std::string value;
  absl::Time expires_at = absl::InfinitePast();
};

// One network round trip for a fresh token.
class TokenFetcher {
 public:
  virtual ~TokenFetcher() = default;
  virtual absl::StatusOr<AccessToken> Fetch() = 0;
};

// What the ARM client asks for a bearer token. Thread-safe.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A valid token ("" = send no Authorization header, e.g. an emulator without auth).
  virtual absl::StatusOr<std::string> Token() = 0;
  // ARM answered 401 to `rejected`: refresh unless another caller already did, then the token.
  virtual absl::StatusOr<std::string> RefreshAfterUnauthorized(const std::string& rejected) = 0;
};

class NoAuthTokenSource final : public TokenSource {
 public:
  absl::StatusOr<std::string> Token() override { return std::string(); }
  absl::StatusOr<std::string> RefreshAfterUnauthorized(const std::string&) override {
    return std::string();
  }
};

// POST {login_base_url}/{tenant}/oauth2/v2.0/token (form-encoded client credentials grant).
class ClientCredentialsFetcher final : public TokenFetcher {
 public:
  ClientCredentialsFetcher(HttpClient* http, const Clock* clock, std::string login_base_url,
                           std::string tenant_id, std::string client_id,
                           std::string client_secret, std::string scope, absl::Duration timeout);
  absl::StatusOr<AccessToken> Fetch() override;

 private:
  HttpClient* const http_;
  const Clock* const clock_;
  const std::string url_;
  const std::string client_id_;
  const std::string client_secret_;
  const std::string scope_;
  const absl::Duration timeout_;
};

// GET {imds_base_url}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=... with
// "Metadata: true". IMDS sends its numbers as strings.
class ManagedIdentityFetcher final : public TokenFetcher {
 public:
  ManagedIdentityFetcher(HttpClient* http, const Clock* clock, std::string imds_base_url,
                         std::string resource, std::string client_id, absl::Duration timeout);
  absl::StatusOr<AccessToken> Fetch() override;

 private:
  HttpClient* const http_;
  const Clock* const clock_;
  const std::string url_;
  const absl::Duration timeout_;
};

// Parses a token endpoint's JSON answer (expires_in as number or string) into a token that
// expires at now + expires_in.
absl::StatusOr<AccessToken> ParseTokenResponse(const HttpResponse& response, absl::Time now);

// Caches the fetcher's token. Refreshes when it is within `refresh_before_expiry` of expiring
// (callers holding a still-valid token keep using it if the refresh fails) and once per rejected
// token after a 401. Only one Fetch runs at a time; other callers wait for its result.
class CachingTokenSource final : public TokenSource {
 public:
  CachingTokenSource(std::unique_ptr<TokenFetcher> fetcher, const Clock* clock,
                     absl::Duration refresh_before_expiry);

  absl::StatusOr<std::string> Token() override;
  absl::StatusOr<std::string> RefreshAfterUnauthorized(const std::string& rejected) override;

  int fetches() const;  // Network fetches so far (tests).

 private:
  // Fetches unless `still_fine` holds once any refresh in flight has finished.
  absl::StatusOr<std::string> Refresh(bool force, const std::string& rejected);

  const std::unique_ptr<TokenFetcher> fetcher_;
  const Clock* const clock_;
  const absl::Duration refresh_before_expiry_;
  mutable absl::Mutex mu_;
  AccessToken token_ ABSL_GUARDED_BY(mu_);
  bool refreshing_ ABSL_GUARDED_BY(mu_) = false;
  int fetches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_TOKEN_SOURCE_H_
