// A spillctl subcommand: its usage, its flags, and how it turns parsed
// arguments into work against the server.
#ifndef SPILLWAY_TOOLS_SPILLCTL_COMMAND_H_
#define SPILLWAY_TOOLS_SPILLCTL_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/spillctl/args.h"
#include "tools/spillctl/grpc_client.h"
#include "tools/spillctl/output.h"

namespace spillway::spillctl {

// The RPCs and printing of one command, ready to run. Errors are server errors.
using CommandRun =
    std::function<absl::Status(SpillwayClient& client, Output& output)>;

struct Command {
  std::string name;        // "submit", "policy set".
  std::string synopsis;    // Arguments after the name: "JOB [--reason R]".
  std::string summary;     // One line for the command list.
  std::string flags_help;  // One line per flag, already indented; may be empty.
  std::vector<FlagSpec> flags;     // Besides the global ones.
  bool takes_passthrough = false;  // Accepts `-- WORDS...` (submit's command).
  // Checks the arguments (an error is a usage error) before anything is sent.
  std::function<absl::StatusOr<CommandRun>(const ParsedArgs& args)> prepare;
};

std::vector<Command> JobCommands();  // submit, get, list, cancel, watch.
std::vector<Command>
AdminCommands();  // cluster, policy get/set, cordon, uncordon, drain.

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_COMMAND_H_
