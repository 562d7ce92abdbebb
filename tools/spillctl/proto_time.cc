#include "tools/spillctl/proto_time.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace spillway::spillctl {
namespace {

bool IsZero(const google::protobuf::Timestamp& timestamp) {
  return timestamp.seconds() == 0 && timestamp.nanos() == 0;
}

}  // namespace

absl::StatusOr<absl::Duration> ParseNonNegativeDuration(
    absl::string_view what, absl::string_view text) {
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) ||
      duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": cannot parse \"", text,
                     "\"; want a duration like 60s, 5m or 1h30m"));
  }
  if (duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": must not be negative"));
  }
  return duration;
}

google::protobuf::Duration ToProtoDuration(absl::Duration duration) {
  google::protobuf::Duration proto;
  const int64_t seconds =
      absl::IDivDuration(duration, absl::Seconds(1), &duration);
  proto.set_seconds(seconds);
  proto.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(duration)));
  return proto;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& duration) {
  return absl::Seconds(duration.seconds()) +
         absl::Nanoseconds(duration.nanos());
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

std::string FormatDuration(const google::protobuf::Duration& duration) {
  return absl::FormatDuration(FromProtoDuration(duration));
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  if (IsZero(timestamp)) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProtoTimestamp(timestamp),
                          absl::UTCTimeZone());
}

std::string FormatAge(const google::protobuf::Timestamp& since,
                      absl::Time now) {
  if (IsZero(since)) return "-";
  const absl::Duration age =
      std::max(now - FromProtoTimestamp(since), absl::ZeroDuration());
  if (age < absl::Minutes(2))
    return absl::StrCat(absl::ToInt64Seconds(age), "s");
  if (age < absl::Hours(2)) return absl::StrCat(absl::ToInt64Minutes(age), "m");
  if (age < absl::Hours(48)) return absl::StrCat(absl::ToInt64Hours(age), "h");
  return absl::StrCat(absl::ToInt64Hours(age) / 24, "d");
}

}  // namespace spillway::spillctl
