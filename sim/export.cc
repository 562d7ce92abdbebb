#include "sim/export.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "google/protobuf/util/time_util.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(t));
}

}  // namespace

Trace TraceFromJobs(const std::vector<spillway::v1::Job>& jobs, ExportStats* stats) {
  ExportStats local;
  Trace trace;
  absl::Time first = absl::InfiniteFuture();
  std::vector<absl::Time> created;  // Of the rows kept; made relative to the first below.
  for (const auto& job : jobs) {
    ++local.jobs;
    const spillway::v1::JobSpec& spec = job.spec();
    TraceJob row;
    // Cancelled before any attempt ran: no load to replay.
    bool ran = false;
    for (const auto& a : job.attempts()) ran = ran || a.has_start_time();
    if (job.state() == spillway::v1::JOB_STATE_CANCELLED && !ran) {
      ++local.skipped;
      continue;
    }
    bool known = false;
    if (job.attempts_size() > 0) {
      const spillway::v1::Attempt& last = job.attempts(job.attempts_size() - 1);
      if (last.has_start_time() && last.has_finish_time()) {
        row.duration = ToTime(last.finish_time()) - ToTime(last.start_time());
        known = true;
      }
    }
    if (!known && spec.has_expected_duration()) {
      row.duration = ToAbslDuration(spec.expected_duration());
      known = true;
    }
    if (!known) {
      ++local.skipped;
      continue;
    }
    row.cpu_millis = spec.cpu_millis();
    row.memory_mib = spec.memory_mib();
    row.priority = spec.priority();
    if (spec.has_max_wait()) row.max_wait = ToAbslDuration(spec.max_wait());
    if (spec.has_expected_duration()) {
      row.expected_duration = ToAbslDuration(spec.expected_duration());
    }
    row.migratable = spec.migratable();
    for (const auto& [k, v] : spec.labels()) {
      if (absl::StartsWith(k, "spillway.sim/")) continue;
      row.labels[k] = v;
    }
    created.push_back(ToTime(job.create_time()));
    first = std::min(first, created.back());
    trace.push_back(std::move(row));
  }
  for (size_t i = 0; i < trace.size(); ++i) trace[i].submit = created[i] - first;
  std::stable_sort(trace.begin(), trace.end(),
                   [](const TraceJob& a, const TraceJob& b) { return a.submit < b.submit; });
  if (stats != nullptr) *stats = local;
  return trace;
}

absl::StatusOr<std::vector<spillway::v1::Job>> ListAllJobs(const std::string& address) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = spillway::v1::JobService::NewStub(channel);
  std::vector<spillway::v1::Job> jobs;
  std::string token;
  do {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(RealClock::Get()->Now() + absl::Seconds(30)));
    spillway::v1::ListJobsRequest request;
    request.set_page_size(1000);
    request.set_page_token(token);
    spillway::v1::ListJobsResponse response;
    grpc::Status s = stub->ListJobs(&context, request, &response);
    if (!s.ok()) {
      return absl::UnavailableError(absl::StrCat("ListJobs on ", address, ": ", s.error_message()));
    }
    for (auto& job : *response.mutable_jobs()) jobs.push_back(std::move(job));
    token = response.next_page_token();
  } while (!token.empty());
  return jobs;
}

}  // namespace sim
}  // namespace spillway
