// A minimal blocking HTTP client interface: the ARM client and the token sources speak through it,
// so unit tests can swap in a fake and production uses libcurl (curl_http_client.h).
#ifndef SPILLWAY_BACKENDS_ACI_HTTP_CLIENT_H_
#define SPILLWAY_BACKENDS_ACI_HTTP_CLIENT_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace spillway {

struct HttpRequest {
  std::string method = "GET";  // GET, PUT, POST, DELETE.
  std::string url;
  std::map<std::string, std::string> headers;  // Names as sent.
  std::string body;
  absl::Duration timeout = absl::Seconds(30);
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // Names lowercased.
  std::string body;

  // The header's value, or "" (name in any case).
  std::string Header(const std::string& name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Sends `request` and waits for the response. Transport failures (refused, reset, timed out)
  // are UNAVAILABLE or DEADLINE_EXCEEDED; any HTTP status, even 5xx, is a response. Thread-safe.
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_HTTP_CLIENT_H_
