#include "sim/trace.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "backends/simulated/simulated_vm_pool.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

absl::StatusOr<absl::Duration> Seconds(absl::string_view text, bool allow_negative = false) {
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !std::isfinite(v) || (!allow_negative && v < 0)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not a number of seconds"));
  }
  return absl::Milliseconds(std::llround(v * 1000));
}

absl::StatusOr<int64_t> Int(absl::string_view text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not an integer in [", lo, ", ", hi, "]"));
  }
  return v;
}

std::string FormatSeconds(absl::Duration d) {
  return absl::StrFormat("%.3f", absl::ToDoubleSeconds(d));
}

bool IsKnownColumn(absl::string_view column) {
  for (absl::string_view known : absl::StrSplit(kTraceHeader, ',')) {
    if (column == known) return true;
  }
  return false;
}

absl::Status SetField(const std::string& column, absl::string_view value, TraceJob& job) {
  const bool empty = value.empty();
  if (column == "submit_s" || column == "duration_s") {
    if (empty) return absl::InvalidArgumentError("is required");
    auto v = Seconds(value);
    if (!v.ok()) return v.status();
    (column == "submit_s" ? job.submit : job.duration) = *v;
    return absl::OkStatus();
  }
  if (column == "cpu_millis" || column == "memory_mib") {
    auto v = Int(value, 1, int64_t{1} << 40);
    if (!v.ok()) return v.status();
    (column == "cpu_millis" ? job.cpu_millis : job.memory_mib) = *v;
    return absl::OkStatus();
  }
  if (empty) return absl::OkStatus();  // The rest are optional.
  if (column == "priority") {
    auto v = Int(value, 0, 1000);
    if (!v.ok()) return v.status();
    job.priority = static_cast<int>(*v);
    return absl::OkStatus();
  }
  if (column == "max_wait_s" || column == "expected_duration_s") {
    auto v = Seconds(value);
    if (!v.ok()) return v.status();
    (column == "max_wait_s" ? job.max_wait : job.expected_duration) = *v;
    return absl::OkStatus();
  }
  if (column == "migratable") {
    if (value != "0" && value != "1") return absl::InvalidArgumentError("must be 0 or 1");
    job.migratable = value == "1";
    return absl::OkStatus();
  }
  if (column == "labels") {
    for (absl::string_view pair : absl::StrSplit(value, ';', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
      if (kv.first.empty()) return absl::InvalidArgumentError("labels must be k=v;k=v");
      job.labels[kv.first] = kv.second;
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("unknown column");
}

}  // namespace

absl::StatusOr<Trace> ParseTraceCsv(absl::string_view csv) {
  Trace trace;
  std::vector<std::string> columns;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(csv, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (columns.empty()) {
      for (std::string& c : cells) columns.push_back(std::string(absl::StripAsciiWhitespace(c)));
      for (const char* required : {"submit_s", "duration_s", "cpu_millis", "memory_mib"}) {
        if (std::find(columns.begin(), columns.end(), required) == columns.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat("line ", line_number, ": header lacks column ", required));
        }
      }
      for (const std::string& c : columns) {
        if (!IsKnownColumn(c)) {
          return absl::InvalidArgumentError(
              absl::StrCat("line ", line_number, ": unknown column \"", c, "\""));
        }
      }
      continue;
    }
    if (cells.size() != columns.size()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", cells.size(),
                                                     " cells, header has ", columns.size()));
    }
    TraceJob job;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (absl::Status s = SetField(columns[i], absl::StripAsciiWhitespace(cells[i]), job);
          !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_number, ": ", columns[i], ": ", s.message()));
      }
    }
    trace.push_back(std::move(job));
  }
  if (columns.empty()) return absl::InvalidArgumentError("no header line");
  std::stable_sort(trace.begin(), trace.end(),
                   [](const TraceJob& a, const TraceJob& b) { return a.submit < b.submit; });
  return trace;
}

absl::StatusOr<Trace> LoadTraceFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseTraceCsv(text.str());
}

std::string WriteTraceCsv(const Trace& trace) {
  std::string out = absl::StrCat("# spillsim trace v1 (see sim/trace.h)\n", kTraceHeader, "\n");
  for (const TraceJob& j : trace) {
    std::vector<std::string> labels;
    for (const auto& [k, v] : j.labels) labels.push_back(absl::StrCat(k, "=", v));
    absl::StrAppend(&out, FormatSeconds(j.submit), ",", FormatSeconds(j.duration), ",",
                    j.cpu_millis, ",", j.memory_mib, ",", j.priority, ",",
                    j.max_wait ? FormatSeconds(*j.max_wait) : "", ",",
                    j.expected_duration ? FormatSeconds(*j.expected_duration) : "", ",",
                    j.migratable ? "1" : "0", ",", absl::StrJoin(labels, ";"), "\n");
  }
  return out;
}

spillway::v1::JobSpec ToJobSpec(const TraceJob& job) {
  spillway::v1::JobSpec spec;
  spec.set_name("sim");
  spec.set_image("sim");
  spec.set_cpu_millis(job.cpu_millis);
  spec.set_memory_mib(job.memory_mib);
  spec.set_priority(job.priority);
  if (job.max_wait) *spec.mutable_max_wait() = ToProtoDuration(*job.max_wait);
  if (job.expected_duration) {
    *spec.mutable_expected_duration() = ToProtoDuration(*job.expected_duration);
  }
  spec.set_migratable(job.migratable);
  for (const auto& [k, v] : job.labels) (*spec.mutable_labels())[k] = v;
  (*spec.mutable_labels())[kSimDurationLabel] = absl::FormatDuration(job.duration);
  return spec;
}

}  // namespace sim
}  // namespace spillway
