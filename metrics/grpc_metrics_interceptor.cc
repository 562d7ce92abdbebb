#include "metrics/grpc_metrics_interceptor.h"

#include <chrono>
#include <string>

#include "absl/strings/match.h"

namespace spillway {
namespace {

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",         "UNKNOWN",       "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

class GrpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  GrpcMetricsInterceptor(grpc::experimental::ServerRpcInfo* info, SpillwayMetrics* metrics)
      : metrics_(metrics),
        method_(MethodLabel(info->method())),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
      metrics_->RecordGrpc(method_, CodeName(status.error_code()), elapsed.count());
    }
    methods->Proceed();
  }

 private:
  SpillwayMetrics* metrics_;
  std::string method_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::string MethodLabel(const char* method) {
  if (method == nullptr) return "other";
  absl::string_view m = method;
  if (!m.empty() && m.front() == '/') m.remove_prefix(1);
  for (absl::string_view known : {"spillway.v1.", "grpc.health.v1.", "grpc.reflection.v1alpha."}) {
    if (absl::StartsWith(m, known) && m.size() < 128) return std::string(m);
  }
  return "other";
}

grpc::experimental::Interceptor* GrpcMetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new GrpcMetricsInterceptor(info, metrics_);
}

}  // namespace spillway
