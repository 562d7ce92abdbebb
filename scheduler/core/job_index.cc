#include "scheduler/core/job_index.h"

namespace spillway {

std::optional<int64_t> CanonicalJobNumber(absl::string_view id) {
  constexpr absl::string_view kPrefix = "job-";
  if (id.size() < kPrefix.size() + 8 || id.size() > kPrefix.size() + 18 ||
      id.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  const absl::string_view digits = id.substr(kPrefix.size());
  if (digits.size() > 8 && digits[0] == '0') return std::nullopt;  // "%08d" pads to 8 only.
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace spillway
