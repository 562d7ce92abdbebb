// Typed values of flags, with errors that name the flag ("--priority: ...").
#ifndef SPILLWAY_TOOLS_SPILLCTL_FLAG_VALUES_H_
#define SPILLWAY_TOOLS_SPILLCTL_FLAG_VALUES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"
#include "tools/spillctl/enum_names.h"

namespace spillway::spillctl {

// Prefixes a non-OK status's message with "--flag: ".
absl::Status ForFlag(absl::string_view flag, const absl::Status& status);

// A decimal integer in [min_value, max_value].
absl::StatusOr<int64_t> ParseIntFlag(absl::string_view flag,
                                     absl::string_view text, int64_t min_value,
                                     int64_t max_value);

// "key=value": the key non-empty, the value may be empty.
absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValue(
    absl::string_view flag, absl::string_view text);

// Adds every "key=value" of a repeatable flag to `map`; a key given twice is an
// error.
absl::Status AddKeyValues(absl::string_view flag,
                          const std::vector<std::string>& texts,
                          google::protobuf::Map<std::string, std::string>* map);

// An enum by its short or full name (see enum_names.h).
template <typename E>
absl::StatusOr<E> ParseEnumFlag(absl::string_view flag,
                                absl::string_view text) {
  absl::StatusOr<E> value = ParseEnum<E>(text);
  if (!value.ok()) return ForFlag(flag, value.status());
  return value;
}

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_FLAG_VALUES_H_
