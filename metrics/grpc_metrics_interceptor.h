// A gRPC server interceptor that counts every request by method and status code and observes its
// latency. Method labels are bounded: only Spillway's, health and reflection methods keep their
// names; anything else is "other".
#ifndef SPILLWAY_METRICS_GRPC_METRICS_INTERCEPTOR_H_
#define SPILLWAY_METRICS_GRPC_METRICS_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "metrics/spillway_metrics.h"

namespace spillway {

class GrpcMetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit GrpcMetricsInterceptorFactory(SpillwayMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  SpillwayMetrics* metrics_;
};

// "/spillway.v1.JobService/SubmitJob" -> "spillway.v1.JobService/SubmitJob"; unknown -> "other".
std::string MethodLabel(const char* method);

}  // namespace spillway

#endif  // SPILLWAY_METRICS_GRPC_METRICS_INTERCEPTOR_H_
