// cpu and memory limits with cgroup v2, where the machine allows it: /sys/fs/cgroup is a cgroup2
// mount, writable, with the cpu and memory controllers available. Each task gets
// <root>/spillway-agent/<task>/ with cpu.max and memory.max (swap off), killed as a whole with
// cgroup.kill and asked for OOM kills via memory.events.
#ifndef SPILLWAY_AGENT_CGROUP_V2_H_
#define SPILLWAY_AGENT_CGROUP_V2_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace spillway {

class CgroupV2 {
 public:
  // OK when limits can be enforced under `root` (default /sys/fs/cgroup); otherwise the reason
  // they cannot (e.g. "cgroup v2 not mounted at /sys/fs/cgroup").
  static absl::StatusOr<CgroupV2> Detect(const std::string& root = "/sys/fs/cgroup");

  // Creates the task's cgroup with its limits; returns its directory.
  absl::StatusOr<std::string> CreateTaskGroup(const std::string& name, int64_t cpu_millis,
                                              int64_t memory_mib) const;
  // Async-signal-safe enough for a child before exec: writes our pid to cgroup.procs.
  static absl::Status Join(const std::string& group_dir);
  static int64_t OomKills(const std::string& group_dir);
  static int64_t MemoryCurrentMib(const std::string& group_dir);
  static void KillAll(const std::string& group_dir);  // cgroup.kill
  static void Remove(const std::string& group_dir);

 private:
  explicit CgroupV2(std::string parent) : parent_(std::move(parent)) {}
  std::string parent_;
};

}  // namespace spillway

#endif  // SPILLWAY_AGENT_CGROUP_V2_H_
