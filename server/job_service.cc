#include "server/job_service.h"

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "rpc/server_streams.h"
#include "rpc/unary_call.h"
#include "scheduler/model/job_validation.h"
#include "server/handler_support.h"
#include "server/redaction.h"
#include "server/status_mapping.h"

namespace spillway {
namespace {

using spillway::v1::Job;
using spillway::v1::JobEvent;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr int kMaxLabelSelectors = 64;
constexpr size_t kMaxReasonBytes = 1024;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status JobNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("job ", id, " not found"));
}

absl::Status ValidateListRequest(const spillway::v1::ListJobsRequest& request) {
  if (!spillway::v1::JobState_IsValid(request.state())) return Invalid("state", "unknown value");
  if (!spillway::v1::Backend_IsValid(request.backend())) {
    return Invalid("backend", "unknown value");
  }
  if (request.label_selector_size() > kMaxLabelSelectors) {
    return Invalid("label_selector", absl::StrCat("at most ", kMaxLabelSelectors, " entries"));
  }
  // Sorted, so the first error is deterministic.
  const std::map<std::string, std::string> selector(request.label_selector().begin(),
                                                    request.label_selector().end());
  for (const auto& [key, value] : selector) {
    if (!IsValidLabelKey(key)) {
      return Invalid(absl::StrCat("label_selector[", key.substr(0, 64), "]"),
                     "key must be 1-63 chars of [A-Za-z0-9._/-]");
    }
    if (!IsValidLabelValue(value)) {
      return Invalid(absl::StrCat("label_selector[", key, "]"),
                     "value must be at most 63 chars of [A-Za-z0-9._/-]");
    }
  }
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return Invalid("page_size",
                   absl::StrCat(request.page_size(), " is outside [0, ", kMaxPageSize, "]"));
  }
  if (!request.page_token().empty()) {
    if (absl::Status s = ValidateJobId("page_token", request.page_token()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The state of one WatchJobs stream, shared by its reactor (the call queue's thread) and the event loop
// (which holds it as a JobEventSink until the stream ends). Events wait in `buffer_` and are
// written one at a time. The reactor is only touched while the stream is unfinished and, for a
// write, while `writing_` is set, so it is never used after OnDone.
class WatchStream final : public JobEventSink {
 public:
  WatchStream(EventLoop* loop, rpc::WriteReactor<JobEvent>* reactor, std::string job_id,
              size_t capacity)
      : loop_(loop), reactor_(reactor), job_id_(std::move(job_id)), capacity_(capacity) {}

  // --- JobEventSink (loop thread) ---
  size_t Room() override {
    absl::MutexLock lock(&mu_);
    if (finishing_) return 0;
    return buffer_.size() >= capacity_ ? 0 : capacity_ - buffer_.size();
  }

  bool Deliver(std::vector<JobEvent> events) override {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return false;
      for (JobEvent& event : events) {
        if (!job_id_.empty() && event.job_id() != job_id_) continue;
        buffer_.push_back(std::move(event));
      }
    }
    Pump();
    return true;
  }

  void OnPaused() override {
    {
      absl::MutexLock lock(&mu_);
      if (buffer_.size() > capacity_ / 2) {
        paused_ = true;  // OnWriteDone nudges the loop once half the buffer is written.
        return;
      }
    }
    loop_->Nudge();  // Writes drained the buffer meanwhile.
  }

  void Fail(const absl::Status& status) override { FinishAfterBuffer(ToGrpcStatus(status)); }

  bool Alive() override {
    absl::MutexLock lock(&mu_);
    return !done_ && !finishing_;
  }

  // --- From the reactor (the call queue's thread) ---
  void OnWriteDone(bool ok) {
    bool nudge = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {  // The client is gone or the call was cancelled.
        buffer_.clear();
        if (!finishing_) {
          finishing_ = true;
          finish_status_ = grpc::Status(grpc::StatusCode::CANCELLED, "write failed");
        }
      }
      if (paused_ && buffer_.size() <= capacity_ / 2) {
        paused_ = false;
        nudge = true;
      }
    }
    if (nudge) loop_->Nudge();
    Pump();
  }

  void OnCancel() {
    {
      absl::MutexLock lock(&mu_);
      buffer_.clear();
      if (finishing_) return;
      finishing_ = true;
      finish_status_ = grpc::Status::CANCELLED;
    }
    Pump();
  }

  void OnDone() {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    loop_->Nudge();  // So the loop drops this sink now rather than at the next event.
  }

  // Finishes once the buffered events are written (used for every end of the stream).
  void FinishAfterBuffer(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      finishing_ = true;
      finish_status_ = std::move(status);
    }
    Pump();
  }

 private:
  // Starts the next write, or the Finish when the stream is finishing and nothing is left.
  void Pump() {
    bool write = false;
    bool finish = false;
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_ || done_) return;
      if (!buffer_.empty()) {
        current_ = std::move(buffer_.front());
        buffer_.pop_front();
        writing_ = true;
        write = true;
      } else if (finishing_) {
        finished_ = true;
        finish = true;
        status = finish_status_;
      }
    }
    // Outside the lock: gRPC may run reactions inline.
    if (write) reactor_->StartWrite(&current_);
    if (finish) reactor_->Finish(status);
  }

  EventLoop* const loop_;
  rpc::WriteReactor<JobEvent>* const reactor_;
  const std::string job_id_;
  const size_t capacity_;

  absl::Mutex mu_;
  std::deque<JobEvent> buffer_ ABSL_GUARDED_BY(mu_);
  JobEvent current_;  // The event being written; only touched by the writer of the moment.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;  // No more events; Finish once drained.
  bool finished_ ABSL_GUARDED_BY(mu_) = false;   // Finish was called.
  bool done_ ABSL_GUARDED_BY(mu_) = false;       // OnDone ran: the reactor is gone.
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
};

class WatchReactor final : public rpc::WriteReactor<JobEvent> {
 public:
  WatchReactor(rpc::internal::WriteOps<JobEvent>* ops, EventLoop* loop,
               const spillway::v1::WatchJobsRequest& request, size_t capacity)
      : WriteReactor(ops),
        stream_(std::make_shared<WatchStream>(loop, this, request.job_id(), capacity)) {
    if (absl::Status s = Validate(request); !s.ok()) {
      stream_->FinishAfterBuffer(ToGrpcStatus(s));
      return;
    }
    const int64_t from = request.from_revision();
    const bool from_now = request.from_now();
    std::shared_ptr<WatchStream> stream = stream_;
    const bool posted = loop->Post([stream, from, from_now](LoopContext& ctx) {
      const int64_t head = ctx.core().revision();
      if (from > head) {
        stream->Fail(absl::OutOfRangeError(
            absl::StrCat("from_revision ", from, " is ahead of the current revision ", head)));
        return;
      }
      // Older history is checked (OUT_OF_RANGE) at the first delivery.
      ctx.Watch(from_now ? head : from, stream);
    });
    if (!posted) {
      stream_->FinishAfterBuffer(
          ToGrpcStatus(absl::UnavailableError("spillwayd is shutting down")));
    }
  }

  void OnWriteDone(bool ok) override { stream_->OnWriteDone(ok); }
  void OnCancel() override { stream_->OnCancel(); }
  void OnDone() override {
    stream_->OnDone();
    delete this;
  }

 private:
  static absl::Status Validate(const spillway::v1::WatchJobsRequest& request) {
    if (request.from_revision() < 0) {
      return Invalid("from_revision", absl::StrCat(request.from_revision(), " is negative"));
    }
    if (!request.job_id().empty()) return ValidateJobId("job_id", request.job_id());
    return absl::OkStatus();
  }

  std::shared_ptr<WatchStream> stream_;
};

}  // namespace

JobServiceImpl::JobServiceImpl(EventLoop* loop, JobServiceOptions options)
    : loop_(loop), options_(options) {
}

void JobServiceImpl::SubmitJob(const spillway::v1::SubmitJobRequest* request,
                               spillway::v1::SubmitJobResponse* response,
                               rpc::UnaryReactor* reactor) {
  if (absl::Status s = ValidateIdempotencyKey(request->idempotency_key()); !s.ok()) {
    FinishWith(reactor, s);
    return;
  }
  if (!request->has_spec()) {
    FinishWith(reactor, Invalid("spec", "is required"));
    return;
  }
  PostOrFinish(*loop_, reactor, [request, response, reactor](LoopContext& ctx) {
    EventLoop* loop = &ctx.loop();
    // The limits depend on the pool and the policy, which only the loop thread may read.
    if (absl::Status s = ValidateJobSpec(request->spec(), ctx.core().Limits()); !s.ok()) {
      ReplyWith(*loop, reactor, s);
      return;
    }
    ApplyResult result = ctx.Apply(JobSubmitted{request->spec(), request->idempotency_key()});
    if (!result.status.ok()) {
      ReplyWith(*loop, reactor, result.status);
      return;
    }
    Core* core = &ctx.core();
    ctx.Acknowledge([core, loop, response, reactor, id = std::move(result.job_id),
                     created = result.created](const absl::Status& committed) {
      if (!committed.ok()) {
        ReplyWith(*loop, reactor, committed);
        return;
      }
      const Job* job = core->FindJob(id);
      if (job == nullptr) {
        ReplyWith(*loop, reactor,
                  absl::InternalError(absl::StrCat("submitted job ", id, " vanished")));
        return;
      }
      RedactJobInto(*job, *response->mutable_job());  // The response is on the call's arena.
      response->set_created(created);
      ReplyWith(*loop, reactor, absl::OkStatus());
    });
  });
}

void JobServiceImpl::GetJob(const spillway::v1::GetJobRequest* request, Job* response,
                            rpc::UnaryReactor* reactor) {
  if (absl::Status s = ValidateJobId("id", request->id()); !s.ok()) {
    FinishWith(reactor, s);
    return;
  }
  PostOrFinish(*loop_, reactor, [request, response, reactor](LoopContext& ctx) {
    const Job* job = ctx.core().FindJob(request->id());
    if (job == nullptr) {
      ReplyWith(ctx.loop(), reactor, JobNotFound(request->id()));
      return;
    }
    RedactJobInto(*job, *response);  // The response is on the call's arena.
    ReplyWith(ctx.loop(), reactor, absl::OkStatus());
  });
}

void JobServiceImpl::GetJobLogs(const spillway::v1::GetJobLogsRequest* request,
                                spillway::v1::GetJobLogsResponse* response,
                                rpc::UnaryReactor* reactor) {
  if (absl::Status s = ValidateJobId("id", request->id()); !s.ok()) {
    FinishWith(reactor, s);
    return;
  }
  if (request->attempt() < 0) {
    FinishWith(reactor, absl::InvalidArgumentError("attempt: must be 0 (latest) or positive"));
    return;
  }
  const JobServiceOptions* options = &options_;
  PostOrFinish(*loop_, reactor, [request, response, reactor, options](LoopContext& ctx) {
    const Job* job = ctx.core().FindJob(request->id());
    if (job == nullptr) {
      ReplyWith(ctx.loop(), reactor, JobNotFound(request->id()));
      return;
    }
    const int n = request->attempt() == 0 ? job->attempts_size() : request->attempt();
    if (n == 0 || n > job->attempts_size()) {
      ReplyWith(ctx.loop(), reactor,
                absl::FailedPreconditionError(
                    absl::StrCat("attempt: job ", job->id(), " has ", job->attempts_size(),
                                 " attempt(s); nothing ran yet to have output")));
      return;
    }
    const spillway::v1::Attempt attempt = job->attempts(n - 1);
    response->set_backend(attempt.backend());
    response->set_attempt(n);
    // Fetching blocks on the network: never on the loop thread, nor the call queue's thread.
    std::thread([attempt, job_id = job->id(), response, reactor, options] {
      absl::StatusOr<std::string> logs = absl::UnimplementedError("no log source for this backend");
      if (attempt.backend() == spillway::v1::BACKEND_ACI && options->aci_logs) {
        response->set_source(absl::StrCat("ACI container group ", attempt.aci_group()));
        logs = options->aci_logs(attempt.aci_group());
      } else if (attempt.backend() == spillway::v1::BACKEND_VM && options->vm_logs) {
        response->set_source(absl::StrCat("vm node ", attempt.node_id()));
        logs = options->vm_logs(attempt.node_id(), job_id, attempt.number());
      }
      if (!logs.ok()) {
        FinishWith(reactor, logs.status());
        return;
      }
      response->set_content(*std::move(logs));
      reactor->Finish(grpc::Status::OK);
    }).detach();
  });
}

void JobServiceImpl::ListJobs(const spillway::v1::ListJobsRequest* request,
                              spillway::v1::ListJobsResponse* response,
                              rpc::UnaryReactor* reactor) {
  if (absl::Status s = ValidateListRequest(*request); !s.ok()) {
    FinishWith(reactor, s);
    return;
  }
  PostOrFinish(*loop_, reactor, [request, response, reactor](LoopContext& ctx) {
    JobFilter filter;
    filter.state = request->state();
    filter.backend = request->backend();
    filter.labels.insert(request->label_selector().begin(), request->label_selector().end());
    const int limit = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
    std::string next;
    for (const Job* job : ctx.core().ListJobs(filter, request->page_token(), limit, &next)) {
      RedactJobInto(*job, *response->add_jobs());
    }
    response->set_next_page_token(next);
    ReplyWith(ctx.loop(), reactor, absl::OkStatus());
  });
}

void JobServiceImpl::CancelJob(const spillway::v1::CancelJobRequest* request, Job* response,
                               rpc::UnaryReactor* reactor) {
  absl::Status valid = ValidateJobId("id", request->id());
  if (valid.ok()) valid = ValidateText("reason", request->reason(), kMaxReasonBytes);
  if (!valid.ok()) {
    FinishWith(reactor, valid);
    return;
  }
  PostOrFinish(*loop_, reactor, [request, response, reactor](LoopContext& ctx) {
    EventLoop* loop = &ctx.loop();
    ApplyResult result = ctx.Apply(JobCancelled{request->id(), request->reason()});
    if (!result.status.ok()) {  // NOT_FOUND for unknown ids comes from here.
      ReplyWith(*loop, reactor, result.status);
      return;
    }
    Core* core = &ctx.core();
    ctx.Acknowledge([core, loop, request, response, reactor](const absl::Status& committed) {
      if (!committed.ok()) {
        ReplyWith(*loop, reactor, committed);
        return;
      }
      const Job* job = core->FindJob(request->id());
      if (job == nullptr) {
        ReplyWith(*loop, reactor, JobNotFound(request->id()));
        return;
      }
      RedactJobInto(*job, *response);  // The response is on the call's arena.
      ReplyWith(*loop, reactor, absl::OkStatus());
    });
  });
}

void JobServiceImpl::Listen(rpc::CallQueue* queue) {
  using Self = JobServiceImpl;
  rpc::CallLimiter* calls = options_.calls;
  rpc::ListenUnaryMethod(queue, this, &Self::RequestSubmitJob, &Self::SubmitJob, calls,
                         kSubmitCallsAsked);
  rpc::ListenUnaryMethod(queue, this, &Self::RequestGetJob, &Self::GetJob, calls);
  rpc::ListenUnaryMethod(queue, this, &Self::RequestListJobs, &Self::ListJobs, calls);
  rpc::ListenUnaryMethod(queue, this, &Self::RequestCancelJob, &Self::CancelJob, calls);
  rpc::ListenUnaryMethod(queue, this, &Self::RequestGetJobLogs, &Self::GetJobLogs, calls);
  rpc::ListenWriteStream<v1::WatchJobsRequest, JobEvent>(
      queue, {[this](auto* context, auto* request, auto* writer, auto* cq, void* tag) {
                RequestWatchJobs(context, request, writer, cq, cq, tag);
              },
              [this](auto* ops, grpc::ServerContext*,
                     const v1::WatchJobsRequest* request) -> rpc::WriteReactor<JobEvent>* {
                return new WatchReactor(ops, loop_, *request, options_.watch_buffer_events);
              }});
}

}  // namespace spillway
