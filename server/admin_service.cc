#include "server/admin_service.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "scheduler/model/job_validation.h"
#include "scheduler/model/policy.h"
#include "server/handler_support.h"
#include "server/status_mapping.h"

namespace spillway {
namespace {

constexpr size_t kMaxCallerBytes = 256;

// Who asks: the x-spillway-caller metadata when present, else the peer address.
absl::StatusOr<std::string> CallerOf(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kCallerMetadataKey);
  if (it == metadata.end()) return context.peer();
  std::string caller(it->second.data(), it->second.size());
  if (absl::Status s = ValidateText(kCallerMetadataKey, caller, kMaxCallerBytes); !s.ok()) {
    return s;
  }
  if (caller.empty()) return context.peer();
  return caller;
}

}  // namespace

AdminServiceImpl::AdminServiceImpl(EventLoop* loop, rpc::CallLimiter* calls)
    : loop_(loop), calls_(calls) {}

void AdminServiceImpl::GetPolicy(const spillway::v1::GetPolicyRequest* /*request*/,
                                 spillway::v1::GetPolicyResponse* response,
                                 rpc::UnaryReactor* reactor) {
  PostOrFinish(*loop_, reactor, [response, reactor](LoopContext& ctx) {
    *response->mutable_policy() = ctx.core().policy();
    for (const spillway::v1::PolicyChange& change : ctx.core().policy_history()) {
      *response->add_history() = change;
    }
    reactor->Finish(grpc::Status::OK);
  });
}

void AdminServiceImpl::UpdatePolicy(const spillway::v1::UpdatePolicyRequest* request,
                                    spillway::v1::UpdatePolicyResponse* response,
                                    rpc::UnaryReactor* reactor) {
  if (!request->has_policy()) {
    FinishWith(reactor, absl::InvalidArgumentError("policy: is required (the full policy)"));
    return;
  }
  if (absl::Status s = ValidatePolicy(request->policy()); !s.ok()) {
    FinishWith(reactor, absl::Status(s.code(), absl::StrCat("policy.", s.message())));
    return;
  }
  if (request->expected_version() <= 0) {
    FinishWith(reactor, absl::InvalidArgumentError(absl::StrCat(
                            "expected_version: must be positive (the version you read), got ",
                            request->expected_version())));
    return;
  }
  absl::StatusOr<std::string> caller = CallerOf(*reactor->context());
  if (!caller.ok()) {
    FinishWith(reactor, caller.status());
    return;
  }
  PostOrFinish(*loop_, reactor,
               [request, response, reactor, caller = *std::move(caller)](LoopContext& ctx) {
                 ApplyResult result = ctx.Apply(
                     PolicyChanged{request->policy(), request->expected_version(), caller});
                 if (!result.status.ok()) {  // ABORTED for a stale expected_version.
                   FinishWith(reactor, result.status);
                   return;
                 }
                 Core* core = &ctx.core();
                 ctx.Defer([core, response, reactor](const absl::Status& committed) {
                   if (!committed.ok()) {
                     FinishWith(reactor, committed);
                     return;
                   }
                   *response->mutable_policy() = core->policy();
                   if (!core->policy_history().empty()) {
                     *response->mutable_change() = core->policy_history().back();
                   }
                   reactor->Finish(grpc::Status::OK);
                 });
               });
}

void AdminServiceImpl::GetCluster(const spillway::v1::GetClusterRequest* /*request*/,
                                  spillway::v1::GetClusterResponse* response,
                                  rpc::UnaryReactor* reactor) {
  PostOrFinish(*loop_, reactor, [response, reactor](LoopContext& ctx) {
    ctx.core().ClusterInto(ctx.now(), response);  // In place: the response is on an arena.
    reactor->Finish(grpc::Status::OK);
  });
}

void AdminServiceImpl::CordonNode(const spillway::v1::NodeRequest* request,
                                  spillway::v1::Node* response, rpc::UnaryReactor* reactor) {
  NodeOperation(request, response, NodeCordoned{request->node_id(), true}, reactor);
}

void AdminServiceImpl::UncordonNode(const spillway::v1::NodeRequest* request,
                                    spillway::v1::Node* response, rpc::UnaryReactor* reactor) {
  NodeOperation(request, response, NodeCordoned{request->node_id(), false}, reactor);
}

void AdminServiceImpl::DrainNode(const spillway::v1::NodeRequest* request,
                                 spillway::v1::Node* response, rpc::UnaryReactor* reactor) {
  NodeOperation(request, response, NodeDrainRequested{request->node_id()}, reactor);
}

void AdminServiceImpl::NodeOperation(const spillway::v1::NodeRequest* request,
                                     spillway::v1::Node* response, EventBody body,
                                     rpc::UnaryReactor* reactor) {
  if (absl::Status s = ValidateNodeId("node_id", request->node_id()); !s.ok()) {
    FinishWith(reactor, s);
    return;
  }
  PostOrFinish(*loop_, reactor,
               [request, response, reactor, body = std::move(body)](LoopContext& ctx) mutable {
                 ApplyResult result = ctx.Apply(std::move(body));
                 if (!result.status.ok()) {  // NOT_FOUND for unknown nodes comes from here.
                   FinishWith(reactor, result.status);
                   return;
                 }
                 Core* core = &ctx.core();
                 const absl::Time now = ctx.now();
                 ctx.Defer([core, now, request, response, reactor](const absl::Status& committed) {
                   if (!committed.ok()) {
                     FinishWith(reactor, committed);
                     return;
                   }
                   const spillway::v1::GetClusterResponse cluster = core->Cluster(now);
                   for (const spillway::v1::Node& node : cluster.nodes()) {
                     if (node.id() == request->node_id()) {
                       *response = node;
                       reactor->Finish(grpc::Status::OK);
                       return;
                     }
                   }
                   FinishWith(reactor, absl::NotFoundError(
                                           absl::StrCat("node ", request->node_id(), " not found")));
                 });
               });
}

void AdminServiceImpl::Listen(rpc::CallQueue* queue) {
  using Self = AdminServiceImpl;
  rpc::ListenUnaryMethod(queue, this, &Self::RequestGetPolicy, &Self::GetPolicy, calls_);
  rpc::ListenUnaryMethod(queue, this, &Self::RequestUpdatePolicy, &Self::UpdatePolicy, calls_);
  rpc::ListenUnaryMethod(queue, this, &Self::RequestGetCluster, &Self::GetCluster, calls_);
  rpc::ListenUnaryMethod(queue, this, &Self::RequestCordonNode, &Self::CordonNode, calls_);
  rpc::ListenUnaryMethod(queue, this, &Self::RequestUncordonNode, &Self::UncordonNode, calls_);
  rpc::ListenUnaryMethod(queue, this, &Self::RequestDrainNode, &Self::DrainNode, calls_);
}

}  // namespace spillway
