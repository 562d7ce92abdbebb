#include "agent/cgroup_v2.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/task_files.h"

namespace spillway {
namespace {

absl::Status WriteControl(const std::string& path, const std::string& value) {
  FILE* f = fopen(path.c_str(), "w");
  if (f == nullptr) return absl::PermissionDeniedError(absl::StrCat(path, ": ", strerror(errno)));
  const bool ok = fputs(value.c_str(), f) >= 0;
  const bool closed = fclose(f) == 0;
  if (!ok || !closed) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CgroupV2> CgroupV2::Detect(const std::string& root) {
  absl::StatusOr<std::string> controllers = ReadSmallFile(root + "/cgroup.controllers");
  if (!controllers.ok()) {
    return absl::UnavailableError(absl::StrCat("cgroup v2 not mounted at ", root));
  }
  std::vector<std::string> names = absl::StrSplit(absl::StripAsciiWhitespace(*controllers), ' ');
  bool cpu = false, memory = false;
  for (const auto& n : names) {
    cpu |= n == "cpu";
    memory |= n == "memory";
  }
  if (!cpu || !memory) {
    return absl::UnavailableError(
        absl::StrCat("cgroup v2 at ", root, " lacks the cpu or memory controller"));
  }
  if (access((root + "/cgroup.subtree_control").c_str(), W_OK) != 0) {
    return absl::UnavailableError(absl::StrCat(root, " is not writable"));
  }
  const std::string parent = root + "/spillway-agent";
  if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat(parent, ": ", strerror(errno)));
  }
  // Controllers must be enabled at the root and in our parent for the tasks' groups.
  if (absl::Status s = WriteControl(root + "/cgroup.subtree_control", "+cpu +memory"); !s.ok()) {
    return absl::UnavailableError(s.message());
  }
  if (absl::Status s = WriteControl(parent + "/cgroup.subtree_control", "+cpu +memory");
      !s.ok()) {
    return absl::UnavailableError(s.message());
  }
  return CgroupV2(parent);
}

absl::StatusOr<std::string> CgroupV2::CreateTaskGroup(const std::string& name, int64_t cpu_millis,
                                                      int64_t memory_mib) const {
  const std::string dir = parent_ + "/" + name;
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat(dir, ": ", strerror(errno)));
  }
  // cpu.max: quota per 100ms period; 1000 millicores = 100000us.
  const int64_t quota_us = std::max<int64_t>(1000, cpu_millis * 100);
  if (absl::Status s = WriteControl(dir + "/cpu.max", absl::StrCat(quota_us, " 100000"));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteControl(dir + "/memory.max", absl::StrCat(memory_mib * 1048576));
      !s.ok()) {
    return s;
  }
  (void)WriteControl(dir + "/memory.swap.max", "0");  // Absent without swap accounting.
  return dir;
}

absl::Status CgroupV2::Join(const std::string& group_dir) {
  return WriteControl(group_dir + "/cgroup.procs", absl::StrCat(getpid()));
}

int64_t CgroupV2::OomKills(const std::string& group_dir) {
  absl::StatusOr<std::string> events = ReadSmallFile(group_dir + "/memory.events");
  if (!events.ok()) return 0;
  for (absl::string_view line : absl::StrSplit(*events, '\n')) {
    if (absl::ConsumePrefix(&line, "oom_kill ")) {
      int64_t n = 0;
      if (absl::SimpleAtoi(line, &n)) return n;
    }
  }
  return 0;
}

int64_t CgroupV2::MemoryCurrentMib(const std::string& group_dir) {
  absl::StatusOr<std::string> text = ReadSmallFile(group_dir + "/memory.current");
  int64_t bytes = 0;
  if (!text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &bytes)) return 0;
  return bytes / 1048576;
}

void CgroupV2::KillAll(const std::string& group_dir) {
  (void)WriteControl(group_dir + "/cgroup.kill", "1");
}

void CgroupV2::Remove(const std::string& group_dir) { rmdir(group_dir.c_str()); }

}  // namespace spillway
