#include "tools/spillctl/flag_values.h"

#include "absl/strings/numbers.h"

namespace spillway::spillctl {

absl::Status ForFlag(absl::string_view flag, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat("--", flag, ": ", status.message()));
}

absl::StatusOr<int64_t> ParseIntFlag(absl::string_view flag,
                                     absl::string_view text, int64_t min_value,
                                     int64_t max_value) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < min_value ||
      value > max_value) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": want an integer in ", min_value, "..",
                     max_value, ", got \"", text, "\""));
  }
  return value;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValue(
    absl::string_view flag, absl::string_view text) {
  const size_t eq = text.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": want KEY=VALUE, got \"", text, "\""));
  }
  return std::make_pair(std::string(text.substr(0, eq)),
                        std::string(text.substr(eq + 1)));
}

absl::Status AddKeyValues(
    absl::string_view flag, const std::vector<std::string>& texts,
    google::protobuf::Map<std::string, std::string>* map) {
  for (const std::string& text : texts) {
    absl::StatusOr<std::pair<std::string, std::string>> kv =
        ParseKeyValue(flag, text);
    if (!kv.ok()) return kv.status();
    if (map->count(kv->first) > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": key \"", kv->first, "\" given twice"));
    }
    (*map)[kv->first] = kv->second;
  }
  return absl::OkStatus();
}

}  // namespace spillway::spillctl
