// grpc.health.v1.Health on a CallQueue (gRPC's default health service uses the callback API,
// whose threads rpc/call_queue.h keeps out of the process). Check answers the overall status for
// "" and for each service named at construction, NOT_FOUND for any other name. Watch sends the
// status at once and again whenever it changes (SERVICE_UNKNOWN for an unknown name, and the
// stream stays open, as the protocol says); Shutdown() ends every Watch.
#ifndef SPILLWAY_RPC_HEALTH_SERVICE_H_
#define SPILLWAY_RPC_HEALTH_SERVICE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "rpc/call_queue.h"

namespace spillway::rpc {

class HealthService final : public QueueService {
 public:
  explicit HealthService(std::vector<std::string> services);

  // SERVING or NOT_SERVING (the start: NOT_SERVING). Thread-safe.
  void SetServing(bool serving);
  // NOT_SERVING, and every Watch stream ends (UNAVAILABLE) after sending it; new ones end at
  // once. Thread-safe.
  void Shutdown();

  grpc::Service* grpc_service() override { return &service_; }
  void Listen(CallQueue* queue) override;

  class Watch;

 private:
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;
  Status StatusOf(const std::string& service) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Forget(Watch* watch);

  grpc::health::v1::Health::AsyncService service_;
  const std::set<std::string> services_;
  mutable absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::set<Watch*> watches_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spillway::rpc

#endif  // SPILLWAY_RPC_HEALTH_SERVICE_H_
