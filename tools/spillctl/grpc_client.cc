#include "tools/spillctl/grpc_client.h"

#include <utility>

#include "common/clock.h"

namespace spillway::spillctl {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

SpillwayClient::SpillwayClient(std::shared_ptr<grpc::Channel> channel,
                               absl::Duration rpc_timeout)
    : jobs_(v1::JobService::NewStub(channel)),
      admin_(v1::AdminService::NewStub(channel)),
      rpc_timeout_(rpc_timeout) {}

std::unique_ptr<SpillwayClient> SpillwayClient::Connect(
    const std::string& server, absl::Duration rpc_timeout) {
  return std::make_unique<SpillwayClient>(
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials()),
      rpc_timeout);
}

template <typename Response, typename Rpc>
absl::StatusOr<Response> SpillwayClient::Unary(Rpc rpc) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(spillway::RealClock::Get()->Now() + rpc_timeout_));
  Response response;
  const absl::Status status = FromGrpcStatus(rpc(&context, &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::SubmitJobResponse> SpillwayClient::SubmitJob(
    const v1::SubmitJobRequest& request) {
  return Unary<v1::SubmitJobResponse>(
      [&](grpc::ClientContext* context, auto* response) {
        return jobs_->SubmitJob(context, request, response);
      });
}

absl::StatusOr<v1::Job> SpillwayClient::GetJob(
    const v1::GetJobRequest& request) {
  return Unary<v1::Job>([&](grpc::ClientContext* context, auto* response) {
    return jobs_->GetJob(context, request, response);
  });
}

absl::StatusOr<v1::ListJobsResponse> SpillwayClient::ListJobs(
    const v1::ListJobsRequest& request) {
  return Unary<v1::ListJobsResponse>(
      [&](grpc::ClientContext* context, auto* response) {
        return jobs_->ListJobs(context, request, response);
      });
}

absl::StatusOr<v1::Job> SpillwayClient::CancelJob(
    const v1::CancelJobRequest& request) {
  return Unary<v1::Job>([&](grpc::ClientContext* context, auto* response) {
    return jobs_->CancelJob(context, request, response);
  });
}

absl::StatusOr<v1::GetJobLogsResponse> SpillwayClient::GetJobLogs(
    const v1::GetJobLogsRequest& request) {
  return Unary<v1::GetJobLogsResponse>([&](grpc::ClientContext* context, auto* response) {
    return jobs_->GetJobLogs(context, request, response);
  });
}

absl::Status SpillwayClient::WatchJobs(
    const v1::WatchJobsRequest& request,
    absl::FunctionRef<absl::Status(const v1::JobEvent&)> on_event) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader =
      jobs_->WatchJobs(&context, request);
  v1::JobEvent event;
  while (reader->Read(&event)) {
    absl::Status status = on_event(event);
    if (!status.ok()) {
      context.TryCancel();
      reader->Finish();  // The stream's own status (CANCELLED) is moot now.
      return status;
    }
  }
  return FromGrpcStatus(reader->Finish());
}

absl::StatusOr<v1::GetPolicyResponse> SpillwayClient::GetPolicy(
    const v1::GetPolicyRequest& request) {
  return Unary<v1::GetPolicyResponse>(
      [&](grpc::ClientContext* context, auto* response) {
        return admin_->GetPolicy(context, request, response);
      });
}

absl::StatusOr<v1::UpdatePolicyResponse> SpillwayClient::UpdatePolicy(
    const v1::UpdatePolicyRequest& request) {
  return Unary<v1::UpdatePolicyResponse>(
      [&](grpc::ClientContext* context, auto* response) {
        return admin_->UpdatePolicy(context, request, response);
      });
}

absl::StatusOr<v1::GetClusterResponse> SpillwayClient::GetCluster(
    const v1::GetClusterRequest& request) {
  return Unary<v1::GetClusterResponse>(
      [&](grpc::ClientContext* context, auto* response) {
        return admin_->GetCluster(context, request, response);
      });
}

absl::StatusOr<v1::Node> SpillwayClient::CordonNode(
    const v1::NodeRequest& request) {
  return Unary<v1::Node>([&](grpc::ClientContext* context, auto* response) {
    return admin_->CordonNode(context, request, response);
  });
}

absl::StatusOr<v1::Node> SpillwayClient::UncordonNode(
    const v1::NodeRequest& request) {
  return Unary<v1::Node>([&](grpc::ClientContext* context, auto* response) {
    return admin_->UncordonNode(context, request, response);
  });
}

absl::StatusOr<v1::Node> SpillwayClient::DrainNode(
    const v1::NodeRequest& request) {
  return Unary<v1::Node>([&](grpc::ClientContext* context, auto* response) {
    return admin_->DrainNode(context, request, response);
  });
}

}  // namespace spillway::spillctl
