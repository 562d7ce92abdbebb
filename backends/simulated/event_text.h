// Test helper: one line per backend event, "+31s TaskExited job-a#1 0 exited with code 0" — the
// offset from `origin`, then the event's fields — so tests can compare whole event sequences.
#ifndef SPILLWAY_BACKENDS_SIMULATED_EVENT_TEXT_H_
#define SPILLWAY_BACKENDS_SIMULATED_EVENT_TEXT_H_

#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "scheduler/core/events.h"

namespace spillway {

inline std::string DescribeEvent(const Event& event, absl::Time origin) {
  const absl::Duration offset = event.time - origin;
  const std::string when =
      absl::StrCat("+", offset == absl::ZeroDuration() ? "0s" : absl::FormatDuration(offset));
  return std::visit(
      [&when](const auto& body) -> std::string {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, NodeUp>) {
          std::vector<std::string> labels;
          for (const auto& [k, v] : body.labels) labels.push_back(absl::StrCat(k, "=", v));
          return absl::StrCat(when, " NodeUp ", body.node_id, " ", body.capacity.cpu_millis, "m ",
                              body.capacity.memory_mib, "Mi {", absl::StrJoin(labels, ","), "}");
        } else if constexpr (std::is_same_v<T, NodeDown>) {
          return absl::StrCat(when, " NodeDown ", body.node_id, " ", body.reason);
        } else if constexpr (std::is_same_v<T, TaskStarting>) {
          return absl::StrCat(when, " TaskStarting ", body.job_id, "#", body.attempt);
        } else if constexpr (std::is_same_v<T, TaskRunning>) {
          return absl::StrCat(when, " TaskRunning ", body.job_id, "#", body.attempt);
        } else if constexpr (std::is_same_v<T, TaskExited>) {
          return absl::StrCat(when, " TaskExited ", body.job_id, "#", body.attempt, " ",
                              body.exit_code, " ", body.reason);
        } else if constexpr (std::is_same_v<T, TaskFailed>) {
          return absl::StrCat(when, " TaskFailed ", body.job_id, "#", body.attempt, " ",
                              body.reason);
        } else if constexpr (std::is_same_v<T, AciGroupDeleted>) {
          return absl::StrCat(when, " AciGroupDeleted ", body.group_name);
        } else {
          return absl::StrCat(when, " ", EventName(body));
        }
      },
      event.body);
}

inline std::vector<std::string> DescribeEvents(const std::vector<Event>& events,
                                               absl::Time origin) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(DescribeEvent(e, origin));
  return out;
}

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_SIMULATED_EVENT_TEXT_H_
