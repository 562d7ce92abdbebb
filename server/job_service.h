// spillway.v1.JobService over gRPC's callback API.
//
// Every handler validates the request's fields on the gRPC thread (INVALID_ARGUMENT naming the
// field), then posts a closure to the event loop that does the core work and finishes the call
// from the loop thread. Mutations (SubmitJob, CancelJob) are acknowledged only after the batch is
// committed. Jobs leave through RedactJob. WatchJobs replays the core's job event log from
// from_revision and then streams live events, paced by a per-stream buffer (see WatchStream in
// job_service.cc).
#ifndef SPILLWAY_SERVER_JOB_SERVICE_H_
#define SPILLWAY_SERVER_JOB_SERVICE_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"
#include "server/arena_messages.h"
#include "server/call_limiter.h"
#include "server/event_loop.h"

namespace spillway {

struct JobServiceOptions {
  // Events a WatchJobs stream may hold unsent; a stream that falls further behind once it has
  // caught up is finished with RESOURCE_EXHAUSTED (the client resumes from its last revision).
  size_t watch_buffer_events = 10000;
  // Fetch an attempt's output (blocking; called on a thread of its own, never the loop's).
  // Unset: GetJobLogs answers UNIMPLEMENTED for that backend.
  std::function<absl::StatusOr<std::string>(const std::string& aci_group)> aci_logs;
  std::function<absl::StatusOr<std::string>(const std::string& node_id, const std::string& job_id,
                                            int attempt)>
      vm_logs;
  // Bounds the unary calls in progress (not owned; must outlive the service); null: no limit.
  CallLimiter* calls = nullptr;
};

class JobServiceImpl final : public spillway::v1::JobService::CallbackService {
 public:
  // `loop` must outlive the service (and the gRPC server it is registered with).
  explicit JobServiceImpl(EventLoop* loop, JobServiceOptions options = JobServiceOptions());

  grpc::ServerUnaryReactor* SubmitJob(grpc::CallbackServerContext* context,
                                      const spillway::v1::SubmitJobRequest* request,
                                      spillway::v1::SubmitJobResponse* response) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const spillway::v1::GetJobRequest* request,
                                   spillway::v1::Job* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const spillway::v1::ListJobsRequest* request,
                                     spillway::v1::ListJobsResponse* response) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* context,
                                      const spillway::v1::CancelJobRequest* request,
                                      spillway::v1::Job* response) override;
  grpc::ServerUnaryReactor* GetJobLogs(grpc::CallbackServerContext* context,
                                       const spillway::v1::GetJobLogsRequest* request,
                                       spillway::v1::GetJobLogsResponse* response) override;
  grpc::ServerWriteReactor<spillway::v1::JobEvent>* WatchJobs(
      grpc::CallbackServerContext* context,
      const spillway::v1::WatchJobsRequest* request) override;

 private:
  EventLoop* const loop_;
  const JobServiceOptions options_;
  // SubmitJob's request and response on one arena per call (the hot path's allocations).
  ArenaMessages<spillway::v1::SubmitJobRequest, spillway::v1::SubmitJobResponse> submit_messages_;
};

}  // namespace spillway

#endif  // SPILLWAY_SERVER_JOB_SERVICE_H_
