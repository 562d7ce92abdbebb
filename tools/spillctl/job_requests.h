// Flags of `get`, `list`, `cancel` and `watch` -> their request messages.
#ifndef SPILLWAY_TOOLS_SPILLCTL_JOB_REQUESTS_H_
#define SPILLWAY_TOOLS_SPILLCTL_JOB_REQUESTS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "tools/spillctl/args.h"

namespace spillway::spillctl {

// spillctl get JOB
absl::StatusOr<v1::GetJobRequest> BuildGetRequest(const ParsedArgs& args);

// spillctl list [--state S] [--backend B] [--label k=v]... [--limit N] [--all]
std::vector<FlagSpec> ListFlagSpecs();
struct ListOptions {
  v1::ListJobsRequest request;  // --limit is the page size.
  bool all_pages = false;       // --all: follow next_page_token to the end.
};
absl::StatusOr<ListOptions> BuildListOptions(const ParsedArgs& args);

// spillctl cancel JOB [--reason R]
std::vector<FlagSpec> CancelFlagSpecs();
absl::StatusOr<v1::CancelJobRequest> BuildCancelRequest(const ParsedArgs& args);

// spillctl watch [--from REV] [--job JOB]
std::vector<FlagSpec> WatchFlagSpecs();
std::vector<FlagSpec> LogsFlagSpecs();
absl::StatusOr<v1::GetJobLogsRequest> BuildLogsRequest(const ParsedArgs& args);

absl::StatusOr<v1::WatchJobsRequest> BuildWatchRequest(const ParsedArgs& args);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_JOB_REQUESTS_H_
