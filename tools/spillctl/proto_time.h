// google.protobuf.Duration/Timestamp <-> absl, and how times are shown.
#ifndef SPILLWAY_TOOLS_SPILLCTL_PROTO_TIME_H_
#define SPILLWAY_TOOLS_SPILLCTL_PROTO_TIME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace spillway::spillctl {

// absl::ParseDuration syntax ("60s", "5m", "1h30m"); must be finite and not
// negative. `what` names the flag or field in the error.
absl::StatusOr<absl::Duration> ParseNonNegativeDuration(absl::string_view what,
                                                        absl::string_view text);

google::protobuf::Duration ToProtoDuration(absl::Duration duration);
absl::Duration FromProtoDuration(const google::protobuf::Duration& duration);
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& timestamp);

// "1m30s"; "0s" for zero.
std::string FormatDuration(const google::protobuf::Duration& duration);
// "2024-05-01T12:00:03Z" (UTC, whole seconds); "-" for the zero timestamp.
std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp);
// Coarse age like kubectl: "42s", "5m", "3h", "2d"; "-" for the zero timestamp.
std::string FormatAge(const google::protobuf::Timestamp& since, absl::Time now);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_PROTO_TIME_H_
