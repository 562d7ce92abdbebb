#include "tools/spillctl/global_options.h"

#include "absl/strings/str_cat.h"
#include "tools/spillctl/proto_time.h"
#include "tools/spillctl/status_macros.h"

namespace spillway::spillctl {

std::vector<FlagSpec> GlobalFlagSpecs() {
  return {
      {"server"},
      {"output", 'o'},
      {"timeout"},
      {"help", 'h', /*takes_value=*/false},
  };
}

GlobalOptions DefaultGlobalOptions(
    const std::optional<std::string>& server_env) {
  GlobalOptions options;
  if (server_env.has_value() && !server_env->empty())
    options.server = *server_env;
  return options;
}

absl::Status ApplyGlobalFlags(const ParsedArgs& args, GlobalOptions* options) {
  if (std::optional<std::string> server = args.Get("server")) {
    if (server->empty())
      return absl::InvalidArgumentError("--server: want HOST:PORT");
    options->server = *server;
  }
  if (std::optional<std::string> output = args.Get("output")) {
    if (*output == "json") {
      options->output = OutputFormat::kJson;
    } else if (*output == "table") {
      options->output = OutputFormat::kTable;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--output: want table or json, got \"", *output, "\""));
    }
  }
  if (std::optional<std::string> timeout = args.Get("timeout")) {
    SPILLCTL_ASSIGN_OR_RETURN(options->rpc_timeout,
                              ParseNonNegativeDuration("--timeout", *timeout));
    if (options->rpc_timeout == absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--timeout: must be more than 0s");
    }
  }
  if (args.GetSwitch("help")) options->help = true;
  return absl::OkStatus();
}

std::vector<FlagSpec> WithGlobalFlags(std::vector<FlagSpec> specs) {
  for (FlagSpec& spec : GlobalFlagSpecs()) specs.push_back(std::move(spec));
  return specs;
}

}  // namespace spillway::spillctl
