// What this machine offers, for the registration when flags do not declare it.
#ifndef SPILLWAY_AGENT_MACHINE_RESOURCES_H_
#define SPILLWAY_AGENT_MACHINE_RESOURCES_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace spillway {

// CPUs this process may run on (sched_getaffinity, like nproc) × 1000.
int64_t DetectCpuMillis();
// MemTotal from `meminfo_path`, in MiB; an error when unreadable.
absl::StatusOr<int64_t> DetectMemoryMib(const std::string& meminfo_path = "/proc/meminfo");
// "k=v,k2=v2" → map; empty string → empty map. Keys must be non-empty; duplicates are errors.
absl::StatusOr<std::map<std::string, std::string>> ParseLabels(absl::string_view text);

}  // namespace spillway

#endif  // SPILLWAY_AGENT_MACHINE_RESOURCES_H_
