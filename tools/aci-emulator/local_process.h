// Runs a container's command as a local process: /bin/sh -c in its own process group, output to a
// log file, exit code real, killed (the whole group) on delete. The emulator's "container".
#ifndef SPILLWAY_TOOLS_ACI_EMULATOR_LOCAL_PROCESS_H_
#define SPILLWAY_TOOLS_ACI_EMULATOR_LOCAL_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace spillway {

// Quotes `argv` for /bin/sh ('...' with embedded quotes escaped) and joins with spaces.
std::string ShellJoin(const std::vector<std::string>& argv);

class LocalProcess {
 public:
  // Starts `/bin/sh -c <script>` with exactly `env` (plus PATH if absent), stdout and stderr
  // appended to `log_path`, in a new process group.
  static absl::StatusOr<LocalProcess> Start(const std::string& script,
                                            const std::vector<std::pair<std::string, std::string>>& env,
                                            const std::string& log_path);

  LocalProcess() = default;
  pid_t pid() const { return pid_; }

  // Non-blocking: true with the exit code once the process ended (128 + signal if killed).
  bool Reap(int* exit_code);
  // SIGKILL to the whole process group.
  void Kill();
  // Kill() and wait for the exit (no zombie left behind).
  void KillAndWait();

 private:
  pid_t pid_ = -1;
};

}  // namespace spillway

#endif  // SPILLWAY_TOOLS_ACI_EMULATOR_LOCAL_PROCESS_H_
