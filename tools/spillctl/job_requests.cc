#include "tools/spillctl/job_requests.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "tools/spillctl/flag_values.h"
#include "tools/spillctl/status_macros.h"

namespace spillway::spillctl {
namespace {

constexpr int64_t kMaxPageSize =
    1000;  // ListJobsRequest.page_size's documented maximum.

}  // namespace

absl::StatusOr<v1::GetJobRequest> BuildGetRequest(const ParsedArgs& args) {
  v1::GetJobRequest request;
  SPILLCTL_ASSIGN_OR_RETURN(*request.mutable_id(), OnePositional(args, "JOB"));
  return request;
}

std::vector<FlagSpec> ListFlagSpecs() {
  return {
      {"state"},
      {"backend"},
      {"label", '\0', /*takes_value=*/true, /*repeatable=*/true},
      {"limit"},
      {"all", '\0', /*takes_value=*/false},
  };
}

absl::StatusOr<ListOptions> BuildListOptions(const ParsedArgs& args) {
  SPILLCTL_RETURN_IF_ERROR(NoPositionals(args));
  ListOptions options;
  v1::ListJobsRequest& request = options.request;
  if (std::optional<std::string> text = args.Get("state")) {
    SPILLCTL_ASSIGN_OR_RETURN(const v1::JobState state,
                              ParseEnumFlag<v1::JobState>("state", *text));
    request.set_state(state);
  }
  if (std::optional<std::string> text = args.Get("backend")) {
    SPILLCTL_ASSIGN_OR_RETURN(const v1::Backend backend,
                              ParseEnumFlag<v1::Backend>("backend", *text));
    request.set_backend(backend);
  }
  SPILLCTL_RETURN_IF_ERROR(AddKeyValues("label", args.GetAll("label"),
                                        request.mutable_label_selector()));
  if (std::optional<std::string> text = args.Get("limit")) {
    SPILLCTL_ASSIGN_OR_RETURN(const int64_t limit,
                              ParseIntFlag("limit", *text, 1, kMaxPageSize));
    request.set_page_size(static_cast<int32_t>(limit));
  }
  options.all_pages = args.GetSwitch("all");
  return options;
}

std::vector<FlagSpec> CancelFlagSpecs() { return {{"reason"}}; }

absl::StatusOr<v1::CancelJobRequest> BuildCancelRequest(
    const ParsedArgs& args) {
  v1::CancelJobRequest request;
  SPILLCTL_ASSIGN_OR_RETURN(*request.mutable_id(), OnePositional(args, "JOB"));
  request.set_reason(args.Get("reason").value_or(""));
  return request;
}

std::vector<FlagSpec> LogsFlagSpecs() { return {{"attempt"}}; }

absl::StatusOr<v1::GetJobLogsRequest> BuildLogsRequest(const ParsedArgs& args) {
  v1::GetJobLogsRequest request;
  SPILLCTL_ASSIGN_OR_RETURN(*request.mutable_id(), OnePositional(args, "JOB"));
  if (std::optional<std::string> text = args.Get("attempt")) {
    SPILLCTL_ASSIGN_OR_RETURN(const int64_t attempt, ParseIntFlag("attempt", *text, 1, 100000));
    request.set_attempt(static_cast<int32_t>(attempt));
  }
  return request;
}

std::vector<FlagSpec> WatchFlagSpecs() { return {{"from"}, {"job"}}; }

absl::StatusOr<v1::WatchJobsRequest> BuildWatchRequest(const ParsedArgs& args) {
  SPILLCTL_RETURN_IF_ERROR(NoPositionals(args));
  v1::WatchJobsRequest request;
  if (std::optional<std::string> text = args.Get("from")) {
    SPILLCTL_ASSIGN_OR_RETURN(
        const int64_t revision,
        ParseIntFlag("from", *text, 0, std::numeric_limits<int64_t>::max()));
    request.set_from_revision(revision);
  } else {
    request.set_from_now(true);  // Without --from: what happens from now on.
  }
  request.set_job_id(args.Get("job").value_or(""));
  return request;
}

}  // namespace spillway::spillctl
