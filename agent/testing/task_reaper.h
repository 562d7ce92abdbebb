// Test helper: makes the test process a child subreaper, so task monitors and jobs orphaned by a
// killed agent are re-parented to it, and on destruction kills every job process group and
// monitor recorded under the given work dirs and reaps every child. Construct it first in a test
// (before agents start) so nothing outlives the test, even when it fails.
#ifndef SPILLWAY_AGENT_TESTING_TASK_REAPER_H_
#define SPILLWAY_AGENT_TESTING_TASK_REAPER_H_

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "absl/time/time.h"
#include "agent/task_files.h"

namespace spillway {

class TaskReaper {
 public:
  TaskReaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~TaskReaper() { KillAll(); }

  void Watch(const std::string& work_dir) { work_dirs_.push_back(work_dir); }

  void KillAll() {
    for (const std::string& work_dir : work_dirs_) {
      const std::string root = TasksRoot(work_dir);
      for (const std::string& name : ListDirs(root)) {
        const int pid = ReadPidFile(root + "/" + name + "/pid");
        if (pid > 0) killpg(pid, SIGKILL);
        const int monitor = ReadPidFile(root + "/" + name + "/monitor_pid");
        if (monitor > 0) kill(monitor, SIGKILL);
      }
    }
    // Reap everything that is ours (now including orphans), for at most a few seconds.
    const absl::Time deadline = RealClock::Get()->Now() + absl::Seconds(5);
    while (RealClock::Get()->Now() < deadline) {
      int status = 0;
      const pid_t r = waitpid(-1, &status, WNOHANG);
      if (r < 0 && errno == ECHILD) break;
      if (r == 0) absl::SleepFor(absl::Milliseconds(10));
    }
  }

 private:
  std::vector<std::string> work_dirs_;
};

// Pids of live (not zombie) processes whose process group is `pgid`, from /proc.
inline std::vector<int> LiveProcessesInGroup(int pgid) {
  std::vector<int> pids;
  for (const std::string& name : ListDirs("/proc")) {
    int pid = 0;
    if (!absl::SimpleAtoi(name, &pid)) continue;
    auto stat = ReadSmallFile("/proc/" + name + "/stat", 1024);
    if (!stat.ok()) continue;
    const size_t paren = stat->rfind(')');
    if (paren == std::string::npos) continue;
    // After ") ": state, ppid, pgrp.
    std::vector<std::string> fields = absl::StrSplit(stat->substr(paren + 2), ' ');
    int pgrp = 0;
    if (fields.size() < 3 || fields[0] == "Z" || !absl::SimpleAtoi(fields[2], &pgrp)) continue;
    if (pgrp == pgid) pids.push_back(pid);
  }
  return pids;
}

// The spillway-agent binary in the test's runfiles.
inline std::string AgentBinaryPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return std::string(srcdir != nullptr ? srcdir : ".") + "/spillway/agent/spillway-agent";
}

// A fresh directory under TEST_TMPDIR.
inline std::string FreshTestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name;
  (void)std::system(("rm -rf '" + dir + "'").c_str());
  (void)MakeDirs(dir);
  return dir;
}

}  // namespace spillway

#endif  // SPILLWAY_AGENT_TESTING_TASK_REAPER_H_
