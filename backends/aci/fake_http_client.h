// A scripted HttpClient for unit tests: records every request, answers with a handler.
#ifndef SPILLWAY_BACKENDS_ACI_FAKE_HTTP_CLIENT_H_
#define SPILLWAY_BACKENDS_ACI_FAKE_HTTP_CLIENT_H_

#include <functional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "backends/aci/http_client.h"

namespace spillway {

class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;
  explicit FakeHttpClient(Handler handler) : handler_(std::move(handler)) {}

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
    }
    return handler_(request);
  }

  std::vector<HttpRequest> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  const Handler handler_;
  mutable absl::Mutex mu_;
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

inline HttpResponse Reply(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_FAKE_HTTP_CLIENT_H_
