// spillway.v1.AdminService on spillwayd's call queue (rpc/call_queue.h): the burst policy, the
// cluster view and node operations. Same shape as JobServiceImpl: fields validated on the queue's
// thread, core work on the loop thread, mutations acknowledged after the batch commit.
#ifndef SPILLWAY_SERVER_ADMIN_SERVICE_H_
#define SPILLWAY_SERVER_ADMIN_SERVICE_H_

#include "proto/spillway/v1/admin.grpc.pb.h"
#include "rpc/call_limiter.h"
#include "rpc/call_queue.h"
#include "rpc/unary_call.h"
#include "server/event_loop.h"

namespace spillway {

// gRPC metadata naming who makes a policy change (for the audit log); the peer address otherwise.
inline constexpr char kCallerMetadataKey[] = "x-spillway-caller";

class AdminServiceImpl final : public spillway::v1::AdminService::AsyncService,
                               public rpc::QueueService {
 public:
  // `loop` and `calls` (null: no limit on unary calls in progress) must outlive the service (and
  // the gRPC server it is registered with).
  explicit AdminServiceImpl(EventLoop* loop, rpc::CallLimiter* calls = nullptr);

  grpc::Service* grpc_service() override { return this; }
  void Listen(rpc::CallQueue* queue) override;

  // The handlers (on the queue's thread).
  void GetPolicy(const spillway::v1::GetPolicyRequest* request,
                 spillway::v1::GetPolicyResponse* response, rpc::UnaryReactor* reactor);
  // The request carries the full policy (version ignored); expected_version is the version the
  // caller read: a stale one is ABORTED by the core.
  void UpdatePolicy(const spillway::v1::UpdatePolicyRequest* request,
                    spillway::v1::UpdatePolicyResponse* response, rpc::UnaryReactor* reactor);
  void GetCluster(const spillway::v1::GetClusterRequest* request,
                  spillway::v1::GetClusterResponse* response, rpc::UnaryReactor* reactor);
  void CordonNode(const spillway::v1::NodeRequest* request, spillway::v1::Node* response,
                  rpc::UnaryReactor* reactor);
  void UncordonNode(const spillway::v1::NodeRequest* request, spillway::v1::Node* response,
                    rpc::UnaryReactor* reactor);
  void DrainNode(const spillway::v1::NodeRequest* request, spillway::v1::Node* response,
                 rpc::UnaryReactor* reactor);

 private:
  // Cordon, uncordon and drain: apply `body`, answer with the node as GetCluster shows it.
  void NodeOperation(const spillway::v1::NodeRequest* request, spillway::v1::Node* response,
                     EventBody body, rpc::UnaryReactor* reactor);

  EventLoop* const loop_;
  rpc::CallLimiter* const calls_;
};

}  // namespace spillway

#endif  // SPILLWAY_SERVER_ADMIN_SERVICE_H_
