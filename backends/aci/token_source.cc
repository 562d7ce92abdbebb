#include "backends/aci/token_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/aci/json_util.h"
#include "backends/aci/url.h"

namespace spillway {

absl::StatusOr<AccessToken> ParseTokenResponse(const HttpResponse& response, absl::Time now) {
  if (response.status != 200) {
    // The error body of a token endpoint names the problem (e.g. invalid_client) and no secret.
    const nlohmann::json body = ParseJson(response.body);
    std::string error = JsonString(body, "error");
    if (error.empty()) error = absl::StrCat("HTTP ", response.status);
    return absl::UnauthenticatedError(absl::StrCat("token request refused: ", error));
  }
  const nlohmann::json body = ParseJson(response.body);
  AccessToken token;
  token.value = JsonString(body, "access_token");
  int64_t expires_in_seconds = 0;
  if (token.value.empty() || !JsonInt(body, "expires_in", &expires_in_seconds) ||
      expires_in_seconds <= 0) {
    return absl::UnauthenticatedError("token response without access_token or expires_in");
  }
  token.expires_at = now + absl::Seconds(expires_in_seconds);
  return token;
}

ClientCredentialsFetcher::ClientCredentialsFetcher(HttpClient* http, const Clock* clock,
                                                   std::string login_base_url,
                                                   std::string tenant_id, std::string client_id,
                                                   std::string client_secret, std::string scope,
                                                   absl::Duration timeout)
    : http_(http),
      clock_(clock),
      url_(absl::StrCat(login_base_url, "/", UrlEncode(tenant_id), "/oauth2/v2.0/token")),
      client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      scope_(std::move(scope)),
      timeout_(timeout) {}

absl::StatusOr<AccessToken> ClientCredentialsFetcher::Fetch() {
  HttpRequest request;
  request.method = "POST";
  request.url = url_;
  request.timeout = timeout_;
  request.headers["Content-Type"] = "application/x-www-form-urlencoded";
  request.body = absl::StrCat("grant_type=client_credentials&client_id=", UrlEncode(client_id_),
                              "&client_secret=", UrlEncode(client_secret_),
                              "&scope=", UrlEncode(scope_));
  absl::StatusOr<HttpResponse> response = http_->Send(request);
  if (!response.ok()) return response.status();
  return ParseTokenResponse(*response, clock_->Now());
}

ManagedIdentityFetcher::ManagedIdentityFetcher(HttpClient* http, const Clock* clock,
                                               std::string imds_base_url, std::string resource,
                                               std::string client_id, absl::Duration timeout)
    : http_(http),
      clock_(clock),
      url_(absl::StrCat(imds_base_url,
                        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=",
                        UrlEncode(resource),
                        client_id.empty() ? "" : absl::StrCat("&client_id=", UrlEncode(client_id)))),
      timeout_(timeout) {}

absl::StatusOr<AccessToken> ManagedIdentityFetcher::Fetch() {
  HttpRequest request;
  request.method = "GET";
  request.url = url_;
  request.timeout = timeout_;
  request.headers["Metadata"] = "true";
  absl::StatusOr<HttpResponse> response = http_->Send(request);
  if (!response.ok()) return response.status();
  return ParseTokenResponse(*response, clock_->Now());
}

CachingTokenSource::CachingTokenSource(std::unique_ptr<TokenFetcher> fetcher, const Clock* clock,
                                       absl::Duration refresh_before_expiry)
    : fetcher_(std::move(fetcher)), clock_(clock), refresh_before_expiry_(refresh_before_expiry) {}

int CachingTokenSource::fetches() const {
  absl::MutexLock lock(&mu_);
  return fetches_;
}

absl::StatusOr<std::string> CachingTokenSource::Token() { return Refresh(false, ""); }

absl::StatusOr<std::string> CachingTokenSource::RefreshAfterUnauthorized(
    const std::string& rejected) {
  return Refresh(true, rejected);
}

absl::StatusOr<std::string> CachingTokenSource::Refresh(bool force, const std::string& rejected) {
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](bool* refreshing) { return !*refreshing; }, &refreshing_));
    const absl::Time now = clock_->Now();
    const bool fresh = !token_.value.empty() && now + refresh_before_expiry_ < token_.expires_at;
    // After a 401 only the rejected token is refreshed: if someone already replaced it, use theirs.
    if (force ? (!token_.value.empty() && token_.value != rejected && now < token_.expires_at)
              : fresh) {
      return token_.value;
    }
    refreshing_ = true;
    ++fetches_;
  }
  absl::StatusOr<AccessToken> fetched = fetcher_->Fetch();  // No lock held during I/O.
  absl::MutexLock lock(&mu_);
  refreshing_ = false;
  if (fetched.ok()) {
    token_ = *std::move(fetched);
    return token_.value;
  }
  // Early refresh failed but the old token still works: keep using it.
  if (!force && !token_.value.empty() && clock_->Now() < token_.expires_at) return token_.value;
  return fetched.status();
}

}  // namespace spillway
