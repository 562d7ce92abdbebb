// Flags every command accepts: --server, -o/--output, --timeout, -h/--help.
#ifndef SPILLWAY_TOOLS_SPILLCTL_GLOBAL_OPTIONS_H_
#define SPILLWAY_TOOLS_SPILLCTL_GLOBAL_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tools/spillctl/args.h"
#include "tools/spillctl/output.h"

namespace spillway::spillctl {

inline constexpr char kDefaultServer[] = "localhost:50051";
inline constexpr absl::Duration kDefaultRpcTimeout = absl::Seconds(10);

struct GlobalOptions {
  std::string server = kDefaultServer;
  OutputFormat output = OutputFormat::kTable;
  absl::Duration rpc_timeout =
      kDefaultRpcTimeout;  // Per unary RPC; watch has none.
  bool help = false;
};

std::vector<FlagSpec> GlobalFlagSpecs();

// The defaults, with the server from $SPILLWAY_SERVER when it is set and
// non-empty.
GlobalOptions DefaultGlobalOptions(
    const std::optional<std::string>& server_env);

// Overrides `options` with the global flags present in `args` (parsed with
// GlobalFlagSpecs() among its specs).
absl::Status ApplyGlobalFlags(const ParsedArgs& args, GlobalOptions* options);

// `specs` followed by the global flags.
std::vector<FlagSpec> WithGlobalFlags(std::vector<FlagSpec> specs);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_GLOBAL_OPTIONS_H_
