// The Spillway gRPC services behind absl::Status: one method per RPC spillctl
// uses.
#ifndef SPILLWAY_TOOLS_SPILLCTL_GRPC_CLIENT_H_
#define SPILLWAY_TOOLS_SPILLCTL_GRPC_CLIENT_H_

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/spillway/v1/admin.grpc.pb.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"

namespace spillway::spillctl {

// gRPC's codes and absl's have the same numbers; the message is kept.
absl::Status FromGrpcStatus(const grpc::Status& status);

class SpillwayClient {
 public:
  // Every unary call gets `rpc_timeout` as its deadline; WatchJobs has none.
  SpillwayClient(std::shared_ptr<grpc::Channel> channel,
                 absl::Duration rpc_timeout);

  // An insecure channel to `server` ("host:port").
  static std::unique_ptr<SpillwayClient> Connect(const std::string& server,
                                                 absl::Duration rpc_timeout);

  absl::StatusOr<v1::SubmitJobResponse> SubmitJob(
      const v1::SubmitJobRequest& request);
  absl::StatusOr<v1::Job> GetJob(const v1::GetJobRequest& request);
  absl::StatusOr<v1::ListJobsResponse> ListJobs(
      const v1::ListJobsRequest& request);
  absl::StatusOr<v1::Job> CancelJob(const v1::CancelJobRequest& request);
  absl::StatusOr<v1::GetJobLogsResponse> GetJobLogs(const v1::GetJobLogsRequest& request);
  // Calls on_event for each event until the stream ends (returning its final
  // status) or on_event fails (cancelling the stream and returning that
  // failure).
  absl::Status WatchJobs(
      const v1::WatchJobsRequest& request,
      absl::FunctionRef<absl::Status(const v1::JobEvent&)> on_event);

  absl::StatusOr<v1::GetPolicyResponse> GetPolicy(
      const v1::GetPolicyRequest& request);
  absl::StatusOr<v1::UpdatePolicyResponse> UpdatePolicy(
      const v1::UpdatePolicyRequest& request);
  absl::StatusOr<v1::GetClusterResponse> GetCluster(
      const v1::GetClusterRequest& request);
  absl::StatusOr<v1::Node> CordonNode(const v1::NodeRequest& request);
  absl::StatusOr<v1::Node> UncordonNode(const v1::NodeRequest& request);
  absl::StatusOr<v1::Node> DrainNode(const v1::NodeRequest& request);

 private:
  // Runs one unary call `rpc(context, response)` under the deadline.
  template <typename Response, typename Rpc>
  absl::StatusOr<Response> Unary(Rpc rpc);

  std::unique_ptr<v1::JobService::Stub> jobs_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  absl::Duration rpc_timeout_;
};

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_GRPC_CLIENT_H_
