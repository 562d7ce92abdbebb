#include "tools/spillctl/render_admin.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/spillctl/enum_names.h"
#include "tools/spillctl/money.h"
#include "tools/spillctl/policy_edit.h"
#include "tools/spillctl/proto_time.h"
#include "tools/spillctl/quantity.h"
#include "tools/spillctl/render_util.h"
#include "tools/spillctl/table.h"

namespace spillway::spillctl {
namespace {

constexpr int kJobIdsPerNode = 3;

Table NewNodeTable() {
  return Table({"ID", "STATE", "CPU", "MEMORY", "LABELS", "JOBS"});
}

void AddNodeRow(const v1::Node& node, Table* table) {
  table->AddRow(
      {node.id(), ShortName(node.state()),
       absl::StrCat(FormatCpuMillis(node.allocated().cpu_millis()), "/",
                    FormatCpuMillis(node.capacity().cpu_millis())),
       absl::StrCat(FormatMemoryMib(node.allocated().memory_mib()), "/",
                    FormatMemoryMib(node.capacity().memory_mib())),
       FormatStringMap(node.labels()),
       FormatList(node.job_ids(), kJobIdsPerNode)});
}

std::string RenderAciInstances(const v1::GetClusterResponse& cluster,
                               absl::Time now) {
  Table table(
      {"GROUP", "JOB", "ATTEMPT", "STATE", "CPU", "MEMORY", "COST", "AGE"});
  for (const v1::AciInstance& instance : cluster.aci_instances()) {
    table.AddRow({instance.group(), OrNone(instance.job_id()),
                  absl::StrCat(instance.attempt()), OrNone(instance.state()),
                  FormatCpuMillis(instance.resources().cpu_millis()),
                  FormatMemoryMib(instance.resources().memory_mib()),
                  FormatMicroUsd(instance.cost_micro_usd()),
                  FormatAge(instance.create_time(), now)});
  }
  return table.Render();
}

std::string RenderQueue(const v1::GetClusterResponse& cluster) {
  // Largest class first; ties by name so the output is stable.
  std::vector<std::pair<std::string, int32_t>> reasons(
      cluster.queue_by_reason().begin(), cluster.queue_by_reason().end());
  std::sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  Table table({"REASON", "JOBS"});
  for (const auto& [reason, jobs] : reasons)
    table.AddRow({reason, absl::StrCat(jobs)});
  return table.Render();
}

std::string RenderPolicyHistory(const v1::GetPolicyResponse& response) {
  Table table({"VERSION", "TIME", "CALLER", "CHANGE"});
  for (const v1::PolicyChange& change : response.history()) {
    const std::string version = absl::StrCat(change.version());
    if (change.diff().empty()) {
      table.AddRow({version, FormatTimestamp(change.time()),
                    OrNone(change.caller()), kNone});
      continue;
    }
    // One row per diff line; the version, time and caller only on the first.
    for (int i = 0; i < change.diff_size(); ++i) {
      if (i == 0) {
        table.AddRow({version, FormatTimestamp(change.time()),
                      OrNone(change.caller()), change.diff(i)});
      } else {
        table.AddRow({"", "", "", change.diff(i)});
      }
    }
  }
  return table.Render();
}

}  // namespace

std::string RenderCluster(const v1::GetClusterResponse& cluster,
                          absl::Time now) {
  std::string out = absl::StrCat("Nodes (", cluster.nodes_size(), "):\n");
  if (cluster.nodes().empty()) {
    absl::StrAppend(&out, "  none\n");
  } else {
    Table nodes = NewNodeTable();
    for (const v1::Node& node : cluster.nodes()) AddNodeRow(node, &nodes);
    absl::StrAppend(&out, nodes.Render());
  }

  absl::StrAppend(&out, "\nACI instances (", cluster.aci_instances_size(),
                  "):\n");
  absl::StrAppend(&out, cluster.aci_instances().empty()
                            ? "  none\n"
                            : RenderAciInstances(cluster, now));

  absl::StrAppend(&out, "\nQueue (", cluster.queue_depth(), " pending):\n");
  absl::StrAppend(&out, cluster.queue_by_reason().empty()
                            ? "  empty\n"
                            : RenderQueue(cluster));

  Table summary;
  summary.AddRow(
      {"ACI spend:",
       absl::StrCat(
           FormatMicroUsd(cluster.aci_spend_micro_usd()), " so far, ",
           FormatMicroUsdPerHour(cluster.aci_spend_rate_micro_usd_per_hour()),
           " now")});
  summary.AddRow(
      {"VM pool cost:",
       FormatMicroUsdPerHour(cluster.vm_pool_cost_rate_micro_usd_per_hour())});
  summary.AddRow({"Burst:", OrNone(cluster.burst_status())});
  const v1::Beliefs& beliefs = cluster.beliefs();
  summary.AddRow(
      {"ACI start:",
       absl::StrCat("using ", FormatDuration(beliefs.aci_start_latency_used()),
                    beliefs.aci_start_samples() > 0
                        ? absl::StrCat(" (measured p50 ",
                                       FormatDuration(beliefs.aci_start_latency_p50()),
                                       ", p90 ",
                                       FormatDuration(beliefs.aci_start_latency_p90()),
                                       ", ", beliefs.aci_start_samples(), " samples)")
                        : " (policy; nothing measured yet)")});
  summary.AddRow({"ACI failures:",
                  absl::StrCat(beliefs.aci_failure_percent(), "% of recent creates; circuit ",
                               beliefs.aci_circuit_open() ? "OPEN" : "closed")});
  summary.AddRow({"VM releases:",
                  absl::StrCat(beliefs.vm_release_millicores_per_minute(), "m cpu/min")});
  for (const v1::ClassRunTime& c : beliefs.run_times()) {
    summary.AddRow({"Run time:", absl::StrCat(c.job_class(), " p50 ", FormatDuration(c.p50()),
                                              " (", c.samples(), " samples)")});
  }
  summary.AddRow({"Policy version:", absl::StrCat(cluster.policy_version())});
  summary.AddRow({"As of:", FormatTimestamp(cluster.time())});
  absl::StrAppend(&out, "\n", summary.Render());
  return out;
}

std::string RenderNode(const v1::Node& node) {
  Table table = NewNodeTable();
  AddNodeRow(node, &table);
  return table.Render();
}

std::string RenderPolicy(const v1::GetPolicyResponse& response) {
  const v1::Policy& policy = response.policy();
  const google::protobuf::Descriptor& descriptor = *v1::Policy::descriptor();
  Table fields({"FIELD", "VALUE"});
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const google::protobuf::FieldDescriptor& field = *descriptor.field(i);
    fields.AddRow({field.name(), FormatPolicyField(policy, field)});
  }
  std::string out = fields.Render();
  absl::StrAppend(&out, "\nHistory:\n");
  absl::StrAppend(&out, response.history().empty()
                            ? "  none\n"
                            : RenderPolicyHistory(response));
  return out;
}

std::string RenderPolicyUpdate(int64_t old_version,
                               const v1::UpdatePolicyResponse& response,
                               const std::vector<std::string>& diff) {
  std::string out = absl::StrCat("policy version ", old_version, " -> ",
                                 response.policy().version(), "\n");
  for (const std::string& line : diff) absl::StrAppend(&out, "  ", line, "\n");
  return out;
}

}  // namespace spillway::spillctl
