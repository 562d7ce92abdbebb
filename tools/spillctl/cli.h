// spillctl's whole command line: global flags, subcommand dispatch, usage and
// exit codes.
#ifndef SPILLWAY_TOOLS_SPILLCTL_CLI_H_
#define SPILLWAY_TOOLS_SPILLCTL_CLI_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace spillway::spillctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError =
    1;  // The RPC failed (or its output could not be printed).
inline constexpr int kExitUsage = 2;  // Bad command line; nothing was sent.

struct CliEnvironment {
  std::optional<std::string> server_env;  // $SPILLWAY_SERVER.
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  absl::Time now;  // Ages in tables are measured from here.
};

// Runs `args` (argv without argv[0]) and returns the exit code. Usage errors
// print "error: <message>" and the usage to err; server errors print "error:
// <STATUS_CODE>: <server message>".
int RunCli(const std::vector<std::string>& args, const CliEnvironment& env);

// The usage of all commands (what `spillctl help` prints).
std::string GeneralUsage();

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_CLI_H_
