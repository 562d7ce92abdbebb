// Running short helper commands (the docker CLI) from the agent: posix_spawn, no shell.
#ifndef SPILLWAY_AGENT_SUBPROCESS_H_
#define SPILLWAY_AGENT_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace spillway {

struct CommandResult {
  int exit_code = 0;   // 128 + signal when killed by a signal.
  std::string output;  // stdout, then stderr (at most 64 KiB).
};

// Runs argv[0] (searched in PATH) and waits for it.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv);

// Starts argv[0] without waiting; reap it with ReapIfDone.
absl::StatusOr<pid_t> SpawnCommand(const std::vector<std::string>& argv);
// True once `pid` has exited (and was reaped).
bool ReapIfDone(pid_t pid);

}  // namespace spillway

#endif  // SPILLWAY_AGENT_SUBPROCESS_H_
