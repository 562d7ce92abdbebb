#include "tools/spillctl/cli.h"

#include <algorithm>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/spillctl/command.h"
#include "tools/spillctl/global_options.h"
#include "tools/spillctl/grpc_client.h"
#include "tools/spillctl/output.h"
#include "tools/spillctl/table.h"

namespace spillway::spillctl {
namespace {

constexpr char kGlobalFlagsHelp[] =
    "Global flags (before or after the command):\n"
    "  --server HOST:PORT     default $SPILLWAY_SERVER, else localhost:50051\n"
    "  -o, --output FORMAT    table (default) or json (one JSON document per "
    "response)\n"
    "  --timeout D            deadline of each call, default 10s (watch has "
    "none)\n"
    "  -h, --help             show usage\n";

const std::vector<Command>& AllCommands() {
  static const auto* commands = [] {
    auto* all = new std::vector<Command>(JobCommands());
    for (Command& command : AdminCommands()) all->push_back(std::move(command));
    return all;
  }();
  return *commands;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& command : AllCommands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::string Synopsis(const Command& command) {
  std::string usage = absl::StrCat("usage: spillctl ", command.name);
  if (!command.synopsis.empty()) absl::StrAppend(&usage, " ", command.synopsis);
  return absl::StrCat(usage, "\n");
}

// What a usage error shows: the synopsis and where the rest is.
std::string ShortUsage(const Command& command) {
  return absl::StrCat(Synopsis(command), "Run `spillctl help ", command.name,
                      "` for its flags.\n");
}

std::string CommandUsage(const Command& command) {
  std::string usage = Synopsis(command);
  absl::StrAppend(&usage, "\n", command.summary, "\n");
  if (!command.flags_help.empty())
    absl::StrAppend(&usage, "\n", command.flags_help);
  absl::StrAppend(&usage, "\n", kGlobalFlagsHelp);
  return usage;
}

int UsageError(const CliEnvironment& env, absl::string_view message,
               const std::string& usage) {
  *env.err << "error: " << message << "\n\n" << usage;
  return kExitUsage;
}

// Splits "policy get ..." into "policy get"; other commands are one word.
// Returns false when "policy" lacks its verb.
bool TakeCommandName(const std::string& first, std::vector<std::string>* rest,
                     std::string* name) {
  *name = first;
  if (first != "policy") return true;
  if (rest->empty() || (*rest)[0].empty() || (*rest)[0][0] == '-') return false;
  absl::StrAppend(name, " ", (*rest)[0]);
  rest->erase(rest->begin());
  return true;
}

int Help(const std::vector<std::string>& topic, const CliEnvironment& env) {
  if (topic.empty()) {
    *env.out << GeneralUsage();
    return kExitOk;
  }
  if (topic.size() == 1 && topic[0] == "policy") {
    *env.out << CommandUsage(*FindCommand("policy get")) << "\n"
             << CommandUsage(*FindCommand("policy set"));
    return kExitOk;
  }
  std::vector<std::string> rest(topic.begin() + 1, topic.end());
  std::string name;
  const Command* command =
      TakeCommandName(topic[0], &rest, &name) ? FindCommand(name) : nullptr;
  if (command == nullptr) {
    return UsageError(
        env, absl::StrCat("no command \"", absl::StrJoin(topic, " "), "\""),
        GeneralUsage());
  }
  *env.out << CommandUsage(*command);
  return kExitOk;
}

int ServerError(const CliEnvironment& env, const GlobalOptions& options,
                const absl::Status& status) {
  *env.err << "error: " << absl::StatusCodeToString(status.code()) << ": "
           << status.message() << "\n";
  if (status.code() == absl::StatusCode::kUnavailable) {
    *env.err << "(is spillwayd running at " << options.server
             << "? set --server or SPILLWAY_SERVER)\n";
  }
  return kExitServerError;
}

}  // namespace

std::string GeneralUsage() {
  std::string usage =
      "usage: spillctl [global flags] COMMAND [ARGS]\n"
      "\n"
      "spillctl talks to the Spillway burst scheduler over gRPC.\n"
      "\n"
      "Commands:\n";
  Table commands;
  for (const Command& command : AllCommands()) {
    commands.AddRow({absl::StrCat("  ", command.name), command.summary});
  }
  commands.AddRow({"  help [COMMAND]", "show usage (of one command)"});
  absl::StrAppend(&usage, commands.Render(), "\n", kGlobalFlagsHelp);
  return usage;
}

int RunCli(const std::vector<std::string>& args, const CliEnvironment& env) {
  GlobalOptions options = DefaultGlobalOptions(env.server_env);

  // Global flags may come before the command.
  absl::StatusOr<ParsedArgs> global =
      ParseArgs(args, GlobalFlagSpecs(), /*stop_at_first_positional=*/true);
  if (!global.ok())
    return UsageError(env, global.status().message(), GeneralUsage());
  if (absl::Status status = ApplyGlobalFlags(*global, &options); !status.ok()) {
    return UsageError(env, status.message(), GeneralUsage());
  }
  if (global->positional().empty()) {
    if (global->saw_double_dash())
      return UsageError(env, "missing command", GeneralUsage());
    return Help({}, env);  // No command (or only --help).
  }

  std::vector<std::string> rest = global->passthrough();
  if (global->positional()[0] == "help") return Help(rest, env);
  std::string name;
  if (!TakeCommandName(global->positional()[0], &rest, &name)) {
    return UsageError(
        env, "policy: want `policy get` or `policy set FIELD=VALUE...`",
        GeneralUsage());
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    return UsageError(env, absl::StrCat("unknown command \"", name, "\""),
                      GeneralUsage());
  }

  const std::string usage = ShortUsage(*command);
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs(rest, WithGlobalFlags(command->flags));
  if (!parsed.ok()) return UsageError(env, parsed.status().message(), usage);
  if (absl::Status status = ApplyGlobalFlags(*parsed, &options); !status.ok()) {
    return UsageError(env, status.message(), usage);
  }
  if (options.help) {
    *env.out << CommandUsage(*command);
    return kExitOk;
  }
  if (parsed->saw_double_dash() && !command->takes_passthrough) {
    return UsageError(env, "unexpected --", usage);
  }
  absl::StatusOr<CommandRun> run = command->prepare(*parsed);
  if (!run.ok()) return UsageError(env, run.status().message(), usage);

  std::unique_ptr<SpillwayClient> client =
      SpillwayClient::Connect(options.server, options.rpc_timeout);
  Output output(options.output, *env.out, *env.err, env.now);
  if (absl::Status status = (*run)(*client, output); !status.ok()) {
    return ServerError(env, options, status);
  }
  return kExitOk;
}

}  // namespace spillway::spillctl
