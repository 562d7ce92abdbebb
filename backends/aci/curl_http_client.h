// HttpClient over libcurl (one easy handle per request; TLS verified). Never logs bodies or
// headers: they carry tokens and secrets.
#ifndef SPILLWAY_BACKENDS_ACI_CURL_HTTP_CLIENT_H_
#define SPILLWAY_BACKENDS_ACI_CURL_HTTP_CLIENT_H_

#include "backends/aci/http_client.h"

namespace spillway {

class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient();  // Initialises libcurl once per process.

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;
};

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_CURL_HTTP_CLIENT_H_
