// Resource quantities as typed on the command line and shown in tables.
//
// CPU:    "500m" (millicores), "2" or "1.5" (cores) -> millicores. Finer than
// 1m is an error. Memory: binary "512Mi", "2Gi", "1.5Gi", "64Ki", "1Ti" or
// decimal "1G", "500M", "100k"
//         -> MiB, rounded up to a whole MiB. A bare number is an error (bytes
//         or MiB?).
#ifndef SPILLWAY_TOOLS_SPILLCTL_QUANTITY_H_
#define SPILLWAY_TOOLS_SPILLCTL_QUANTITY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace spillway::spillctl {

// `flag` names the flag in error messages (e.g. "cpu" -> "--cpu: ...").
absl::StatusOr<int64_t> ParseCpuMillis(absl::string_view flag,
                                       absl::string_view text);
absl::StatusOr<int64_t> ParseMemoryMib(absl::string_view flag,
                                       absl::string_view text);

// 2000 -> "2", 500 -> "500m", 1500 -> "1500m".
std::string FormatCpuMillis(int64_t cpu_millis);
// 2048 -> "2Gi", 512 -> "512Mi", 1536 -> "1536Mi".
std::string FormatMemoryMib(int64_t memory_mib);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_QUANTITY_H_
