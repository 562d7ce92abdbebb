// The admin commands: cluster, policy get/set, cordon, uncordon, drain.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/spillctl/command.h"
#include "tools/spillctl/policy_edit.h"
#include "tools/spillctl/render_admin.h"
#include "tools/spillctl/status_macros.h"

namespace spillway::spillctl {
namespace {

Command ClusterCommand() {
  Command command;
  command.name = "cluster";
  command.summary =
      "nodes, ACI container groups, the queue, spend and burst status";
  command.prepare = [](const ParsedArgs& args) -> absl::StatusOr<CommandRun> {
    SPILLCTL_RETURN_IF_ERROR(NoPositionals(args));
    return CommandRun(
        [](SpillwayClient& client, Output& output) -> absl::Status {
          SPILLCTL_ASSIGN_OR_RETURN(const v1::GetClusterResponse cluster,
                                    client.GetCluster(v1::GetClusterRequest()));
          return output.Print(
              cluster, [&] { return RenderCluster(cluster, output.now()); });
        });
  };
  return command;
}

Command PolicyGetCommand() {
  Command command;
  command.name = "policy get";
  command.summary = "show the burst policy, its version and its change history";
  command.prepare = [](const ParsedArgs& args) -> absl::StatusOr<CommandRun> {
    SPILLCTL_RETURN_IF_ERROR(NoPositionals(args));
    return CommandRun(
        [](SpillwayClient& client, Output& output) -> absl::Status {
          SPILLCTL_ASSIGN_OR_RETURN(const v1::GetPolicyResponse policy,
                                    client.GetPolicy(v1::GetPolicyRequest()));
          return output.Print(policy, [&] { return RenderPolicy(policy); });
        });
  };
  return command;
}

// Read-modify-write: the update names the version read, so a concurrent change
// makes the server answer ABORTED instead of one change silently undoing the
// other.
absl::Status RunPolicySet(const PolicyPatch& patch, SpillwayClient& client,
                          Output& output) {
  SPILLCTL_ASSIGN_OR_RETURN(const v1::GetPolicyResponse current,
                            client.GetPolicy(v1::GetPolicyRequest()));
  v1::UpdatePolicyRequest request;
  *request.mutable_policy() = current.policy();
  ApplyPolicyPatch(patch, request.mutable_policy());
  request.set_expected_version(current.policy().version());

  const std::vector<std::string> local_diff =
      PolicyDiff(current.policy(), request.policy());
  if (local_diff.empty()) {
    output.Note(absl::StrCat("policy unchanged: version ",
                             current.policy().version(),
                             " already has these values"));
    return absl::OkStatus();
  }
  SPILLCTL_ASSIGN_OR_RETURN(const v1::UpdatePolicyResponse response,
                            client.UpdatePolicy(request));
  // The server's diff is authoritative; ours stands in if it sent none.
  const std::vector<std::string> diff =
      response.change().diff().empty()
          ? local_diff
          : std::vector<std::string>(response.change().diff().begin(),
                                     response.change().diff().end());
  return output.Print(response, [&] {
    return RenderPolicyUpdate(current.policy().version(), response, diff);
  });
}

Command PolicySetCommand() {
  Command command;
  command.name = "policy set";
  command.synopsis = "FIELD=VALUE [FIELD=VALUE...]";
  command.summary =
      "change policy fields (by proto field name) and print the diff";
  command.flags_help =
      "  FIELD is a Policy field name as `policy get` shows it. VALUE is an "
      "integer,\n"
      "  true|false, an enum name (bin-pack, spread, regular, spot), a "
      "duration (60s, 5m),\n"
      "  dollars for *_micro_usd fields ($0.0405), or for priority_max_wait a "
      "list\n"
      "  MIN_PRIORITY:DURATION,... (500:2m,900:30s; none clears it).\n";
  command.prepare = [](const ParsedArgs& args) -> absl::StatusOr<CommandRun> {
    SPILLCTL_ASSIGN_OR_RETURN(PolicyPatch patch,
                              ParsePolicyAssignments(args.positional()));
    return CommandRun(
        [patch = std::move(patch)](SpillwayClient& client, Output& output) {
          return RunPolicySet(patch, client, output);
        });
  };
  return command;
}

using NodeRpc =
    absl::StatusOr<v1::Node> (SpillwayClient::*)(const v1::NodeRequest&);

Command NodeCommand(std::string name, std::string summary, NodeRpc rpc) {
  Command command;
  command.name = std::move(name);
  command.synopsis = "NODE";
  command.summary = std::move(summary);
  command.prepare =
      [rpc](const ParsedArgs& args) -> absl::StatusOr<CommandRun> {
    v1::NodeRequest request;
    SPILLCTL_ASSIGN_OR_RETURN(*request.mutable_node_id(),
                              OnePositional(args, "NODE"));
    return CommandRun([request = std::move(request), rpc](
                          SpillwayClient& client,
                          Output& output) -> absl::Status {
      SPILLCTL_ASSIGN_OR_RETURN(const v1::Node node, (client.*rpc)(request));
      return output.Print(node, [&] { return RenderNode(node); });
    });
  };
  return command;
}

}  // namespace

std::vector<Command> AdminCommands() {
  return {
      ClusterCommand(),
      PolicyGetCommand(),
      PolicySetCommand(),
      NodeCommand("cordon", "stop placing new work on a node",
                  &SpillwayClient::CordonNode),
      NodeCommand("uncordon", "let a node take new work again",
                  &SpillwayClient::UncordonNode),
      NodeCommand("drain", "cordon a node and move its migratable work away",
                  &SpillwayClient::DrainNode),
  };
}

}  // namespace spillway::spillctl
