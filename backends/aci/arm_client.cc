#include "backends/aci/arm_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/aci/url.h"

namespace spillway {

ArmClient::ArmClient(const AciBackendConfig& config, HttpClient* http, TokenSource* tokens)
    : base_(absl::StrCat(config.arm_base_url, "/subscriptions/", UrlEncode(config.subscription_id))),
      groups_(absl::StrCat(base_, "/resourceGroups/", UrlEncode(config.resource_group),
                           "/providers/Microsoft.ContainerInstance/containerGroups")),
      location_(config.location),
      api_version_(config.api_version),
      timeout_(config.http_timeout),
      http_(http),
      tokens_(tokens) {}

std::string ArmClient::GroupUrl(const std::string& name) const {
  return absl::StrCat(groups_, "/", UrlEncode(name), "?api-version=", api_version_);
}

std::string ArmClient::ListUrl() const {
  return absl::StrCat(groups_, "?api-version=", api_version_);
}

std::string ArmClient::UsagesUrl() const {
  return absl::StrCat(base_, "/providers/Microsoft.ContainerInstance/locations/",
                      UrlEncode(location_), "/usages?api-version=", api_version_);
}

std::string ArmClient::LogsUrl(const std::string& group, const std::string& container) const {
  return absl::StrCat(groups_, "/", UrlEncode(group), "/containers/", UrlEncode(container),
                      "/logs?api-version=", api_version_);
}

absl::StatusOr<HttpResponse> ArmClient::PutGroup(const std::string& name,
                                                 const std::string& body) {
  HttpRequest request;
  request.method = "PUT";
  request.url = GroupUrl(name);
  request.body = body;
  request.headers["Content-Type"] = "application/json";
  return Send(std::move(request));
}

absl::StatusOr<HttpResponse> ArmClient::GetGroup(const std::string& name) {
  return GetUrl(GroupUrl(name));
}

absl::StatusOr<HttpResponse> ArmClient::DeleteGroup(const std::string& name) {
  HttpRequest request;
  request.method = "DELETE";
  request.url = GroupUrl(name);
  return Send(std::move(request));
}

absl::StatusOr<HttpResponse> ArmClient::GetUrl(const std::string& url) {
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  return Send(std::move(request));
}

absl::StatusOr<HttpResponse> ArmClient::Send(HttpRequest request) {
  request.timeout = timeout_;
  absl::StatusOr<std::string> token = tokens_->Token();
  if (!token.ok()) return token.status();
  if (!token->empty()) request.headers["Authorization"] = absl::StrCat("Bearer ", *token);
  absl::StatusOr<HttpResponse> response = http_->Send(request);
  if (!response.ok() || response->status != 401 || token->empty()) return response;
  absl::StatusOr<std::string> fresh = tokens_->RefreshAfterUnauthorized(*token);
  if (!fresh.ok()) return fresh.status();
  request.headers["Authorization"] = absl::StrCat("Bearer ", *fresh);
  return http_->Send(request);
}

}  // namespace spillway
