// spillway.v1.AdminService over gRPC's callback API: the burst policy, the cluster view and node
// operations. Same shape as JobServiceImpl: fields validated on the gRPC thread, core work on the
// loop thread, mutations acknowledged after the batch commit.
#ifndef SPILLWAY_SERVER_ADMIN_SERVICE_H_
#define SPILLWAY_SERVER_ADMIN_SERVICE_H_

#include "proto/spillway/v1/admin.grpc.pb.h"
#include "server/call_limiter.h"
#include "server/event_loop.h"

namespace spillway {

// gRPC metadata naming who makes a policy change (for the audit log); the peer address otherwise.
inline constexpr char kCallerMetadataKey[] = "x-spillway-caller";

class AdminServiceImpl final : public spillway::v1::AdminService::CallbackService {
 public:
  // `loop` and `calls` (null: no limit on unary calls in progress) must outlive the service (and
  // the gRPC server it is registered with).
  explicit AdminServiceImpl(EventLoop* loop, CallLimiter* calls = nullptr);

  grpc::ServerUnaryReactor* GetPolicy(grpc::CallbackServerContext* context,
                                      const spillway::v1::GetPolicyRequest* request,
                                      spillway::v1::GetPolicyResponse* response) override;
  // The request carries the full policy (version ignored); expected_version is the version the
  // caller read: a stale one is ABORTED by the core.
  grpc::ServerUnaryReactor* UpdatePolicy(grpc::CallbackServerContext* context,
                                         const spillway::v1::UpdatePolicyRequest* request,
                                         spillway::v1::UpdatePolicyResponse* response) override;
  grpc::ServerUnaryReactor* GetCluster(grpc::CallbackServerContext* context,
                                       const spillway::v1::GetClusterRequest* request,
                                       spillway::v1::GetClusterResponse* response) override;
  grpc::ServerUnaryReactor* CordonNode(grpc::CallbackServerContext* context,
                                       const spillway::v1::NodeRequest* request,
                                       spillway::v1::Node* response) override;
  grpc::ServerUnaryReactor* UncordonNode(grpc::CallbackServerContext* context,
                                         const spillway::v1::NodeRequest* request,
                                         spillway::v1::Node* response) override;
  grpc::ServerUnaryReactor* DrainNode(grpc::CallbackServerContext* context,
                                      const spillway::v1::NodeRequest* request,
                                      spillway::v1::Node* response) override;

 private:
  // Cordon, uncordon and drain: apply `body`, answer with the node as GetCluster shows it.
  grpc::ServerUnaryReactor* NodeOperation(grpc::CallbackServerContext* context,
                                          const spillway::v1::NodeRequest* request,
                                          spillway::v1::Node* response, EventBody body);

  EventLoop* const loop_;
  CallLimiter* const calls_;
};

}  // namespace spillway

#endif  // SPILLWAY_SERVER_ADMIN_SERVICE_H_
