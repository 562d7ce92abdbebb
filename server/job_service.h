// spillway.v1.JobService on spillwayd's call queue (rpc/call_queue.h: gRPC's async API, one
// thread).
//
// Every handler validates the request's fields on the queue's thread (INVALID_ARGUMENT naming the
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
#include "rpc/call_limiter.h"
#include "rpc/call_queue.h"
#include "rpc/unary_call.h"
#include "server/event_loop.h"

namespace spillway {

// SubmitJob calls asked of gRPC at once: a burst is matched without waiting for the queue's thread.
inline constexpr int kSubmitCallsAsked = 32;

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
  rpc::CallLimiter* calls = nullptr;
};

class JobServiceImpl final : public spillway::v1::JobService::AsyncService,
                             public rpc::QueueService {
 public:
  // `loop` must outlive the service (and the gRPC server it is registered with).
  explicit JobServiceImpl(EventLoop* loop, JobServiceOptions options = JobServiceOptions());

  grpc::Service* grpc_service() override { return this; }
  void Listen(rpc::CallQueue* queue) override;

  // The handlers (on the queue's thread).
  void SubmitJob(const spillway::v1::SubmitJobRequest* request,
                 spillway::v1::SubmitJobResponse* response, rpc::UnaryReactor* reactor);
  void GetJob(const spillway::v1::GetJobRequest* request, spillway::v1::Job* response,
              rpc::UnaryReactor* reactor);
  void ListJobs(const spillway::v1::ListJobsRequest* request,
                spillway::v1::ListJobsResponse* response, rpc::UnaryReactor* reactor);
  void CancelJob(const spillway::v1::CancelJobRequest* request, spillway::v1::Job* response,
                 rpc::UnaryReactor* reactor);
  void GetJobLogs(const spillway::v1::GetJobLogsRequest* request,
                  spillway::v1::GetJobLogsResponse* response, rpc::UnaryReactor* reactor);

 private:
  EventLoop* const loop_;
  const JobServiceOptions options_;
};

}  // namespace spillway

#endif  // SPILLWAY_SERVER_JOB_SERVICE_H_
