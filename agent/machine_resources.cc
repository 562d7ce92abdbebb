#include "agent/machine_resources.h"

#include <sched.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/task_files.h"

namespace spillway {

int64_t DetectCpuMillis() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = 0;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus <= 0) cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  return static_cast<int64_t>(cpus > 0 ? cpus : 1) * 1000;
}

absl::StatusOr<int64_t> DetectMemoryMib(const std::string& meminfo_path) {
  absl::StatusOr<std::string> text = ReadSmallFile(meminfo_path);
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (!absl::ConsumePrefix(&line, "MemTotal:")) continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "kB");
    int64_t kib = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kib) && kib > 0) return kib / 1024;
  }
  return absl::DataLossError(absl::StrCat(meminfo_path, ": no MemTotal"));
}

absl::StatusOr<std::map<std::string, std::string>> ParseLabels(absl::string_view text) {
  std::map<std::string, std::string> labels;
  if (absl::StripAsciiWhitespace(text).empty()) return labels;
  for (absl::string_view pair : absl::StrSplit(text, ',')) {
    std::vector<std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || absl::StripAsciiWhitespace(kv[0]).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--labels: '", pair, "' is not key=value"));
    }
    const std::string key(absl::StripAsciiWhitespace(kv[0]));
    if (!labels.emplace(key, std::string(absl::StripAsciiWhitespace(kv[1]))).second) {
      return absl::InvalidArgumentError(absl::StrCat("--labels: duplicate key ", key));
    }
  }
  return labels;
}

}  // namespace spillway
