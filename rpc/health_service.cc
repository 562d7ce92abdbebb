#include "rpc/health_service.h"

#include <utility>

#include "rpc/server_streams.h"
#include "rpc/unary_call.h"

namespace spillway::rpc {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Watch stream: the latest status to send, written one at a time (a change while a write is
// in flight is sent after it, only the newest).
class HealthService::Watch final : public WriteReactor<HealthCheckResponse> {
 public:
  Watch(internal::WriteOps<HealthCheckResponse>* ops, HealthService* health, std::string service)
      : WriteReactor(ops), health_(health), service_(std::move(service)) {}

  // The status now (and whether the stream ends after it).
  void Update(Status status, bool last) {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      pending_ = status;
      has_pending_ = true;
      if (last) finishing_ = true;
    }
    Pump();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        has_pending_ = false;
        finishing_ = true;
        final_ = grpc::Status(grpc::StatusCode::CANCELLED, "write failed");
      }
    }
    Pump();
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      has_pending_ = false;
      finishing_ = true;
      final_ = grpc::Status::CANCELLED;
    }
    Pump();
  }

  void OnDone() override {
    health_->Forget(this);
    delete this;
  }

 private:
  void Pump() {
    bool write = false;
    bool finish = false;
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      if (has_pending_) {
        current_.set_status(pending_);
        has_pending_ = false;
        writing_ = true;
        write = true;
      } else if (finishing_) {
        finished_ = true;
        finish = true;
        status = final_;
      }
    }
    if (write) StartWrite(&current_);
    if (finish) Finish(status);
  }

  HealthService* const health_;
  const std::string service_;
  absl::Mutex mu_;
  HealthCheckResponse current_;  // Being written; only touched by the writer of the moment.
  Status pending_ ABSL_GUARDED_BY(mu_) = HealthCheckResponse::UNKNOWN;
  bool has_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_ ABSL_GUARDED_BY(mu_) = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                          "the server is shutting down");

  friend class HealthService;
};

HealthService::HealthService(std::vector<std::string> services)
    : services_(services.begin(), services.end()) {}

HealthService::Status HealthService::StatusOf(const std::string& service) const {
  if (!service.empty() && services_.count(service) == 0)
    return HealthCheckResponse::SERVICE_UNKNOWN;
  return serving_ ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

void HealthService::SetServing(bool serving) {
  // Under mu_ no watch can end (Forget takes it); Update does not call back into this service.
  absl::MutexLock lock(&mu_);
  if (shut_down_ || serving_ == serving) return;
  serving_ = serving;
  for (Watch* watch : watches_) {
    if (!watch->service_.empty() && services_.count(watch->service_) == 0) continue;  // Unknown.
    watch->Update(StatusOf(watch->service_), false);
  }
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  serving_ = false;
  shut_down_ = true;
  for (Watch* watch : watches_) watch->Update(StatusOf(watch->service_), true);
}

void HealthService::Forget(Watch* watch) {
  absl::MutexLock lock(&mu_);
  watches_.erase(watch);
}

void HealthService::Listen(CallQueue* queue) {
  ListenUnary<HealthCheckRequest, HealthCheckResponse>(
      queue, {[this](grpc::ServerContext* context, HealthCheckRequest* request,
                     grpc::ServerAsyncResponseWriter<HealthCheckResponse>* writer,
                     grpc::ServerCompletionQueue* cq,
                     void* tag) { service_.RequestCheck(context, request, writer, cq, cq, tag); },
              [this](const HealthCheckRequest* request, HealthCheckResponse* response,
                     UnaryReactor* reactor) {
                Status status;
                {
                  absl::MutexLock lock(&mu_);
                  status = StatusOf(request->service());
                }
                if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
                  reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                               "unknown service " + request->service()));
                  return;
                }
                response->set_status(status);
                reactor->Finish(grpc::Status::OK);
              }});
  ListenWriteStream<HealthCheckRequest, HealthCheckResponse>(
      queue,
      {[this](grpc::ServerContext* context, HealthCheckRequest* request,
              grpc::ServerAsyncWriter<HealthCheckResponse>* writer, grpc::ServerCompletionQueue* cq,
              void* tag) { service_.RequestWatch(context, request, writer, cq, cq, tag); },
       [this](internal::WriteOps<HealthCheckResponse>* ops, grpc::ServerContext*,
              const HealthCheckRequest* request) -> WriteReactor<HealthCheckResponse>* {
         auto* watch = new Watch(ops, this, request->service());
         absl::MutexLock lock(&mu_);
         watches_.insert(watch);
         watch->Update(StatusOf(request->service()), shut_down_);
         return watch;
       }});
}

}  // namespace spillway::rpc
