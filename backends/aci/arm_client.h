// ARM REST calls for one resource group's container groups: URLs, api-version, bearer token
// (refreshed once on 401). No retries here: the backend decides (arm_error.h). Thread-safe.
#ifndef SPILLWAY_BACKENDS_ACI_ARM_CLIENT_H_
#define SPILLWAY_BACKENDS_ACI_ARM_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "backends/aci/aci_config.h"
#include "backends/aci/http_client.h"
#include "backends/aci/token_source.h"

namespace spillway {

class ArmClient {
 public:
  // `http` and `tokens` must outlive the client.
  ArmClient(const AciBackendConfig& config, HttpClient* http, TokenSource* tokens);

  // .../resourceGroups/{rg}/providers/Microsoft.ContainerInstance/containerGroups/{name}?api-version=
  std::string GroupUrl(const std::string& name) const;
  std::string ListUrl() const;
  std::string UsagesUrl() const;  // .../locations/{location}/usages
  std::string LogsUrl(const std::string& group, const std::string& container) const;

  absl::StatusOr<HttpResponse> PutGroup(const std::string& name, const std::string& body);
  absl::StatusOr<HttpResponse> GetGroup(const std::string& name);
  absl::StatusOr<HttpResponse> DeleteGroup(const std::string& name);
  // An absolute URL ARM gave us (Azure-AsyncOperation, Location, nextLink).
  absl::StatusOr<HttpResponse> GetUrl(const std::string& url);

  // Sends with the bearer token; on 401 refreshes the token once and re-sends.
  absl::StatusOr<HttpResponse> Send(HttpRequest request);

 private:
  const std::string base_;      // {arm}/subscriptions/{sub}
  const std::string groups_;    // base_/resourceGroups/{rg}/providers/.../containerGroups
  const std::string location_;
  const std::string api_version_;
  const absl::Duration timeout_;
  HttpClient* const http_;
  TokenSource* const tokens_;
};

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_ARM_CLIENT_H_
