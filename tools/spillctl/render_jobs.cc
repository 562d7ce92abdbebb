#include "tools/spillctl/render_jobs.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/spillctl/enum_names.h"
#include "tools/spillctl/money.h"
#include "tools/spillctl/proto_time.h"
#include "tools/spillctl/quantity.h"
#include "tools/spillctl/render_util.h"

namespace spillway::spillctl {
namespace {

// Unspecified enum values (e.g. the backend of a queued job) show as "-".
template <typename E>
std::string EnumOrNone(E value) {
  return static_cast<int>(value) == 0 ? kNone : ShortName(value);
}

// Shell-like: words with blanks or quotes are single-quoted.
std::string FormatArgv(const v1::JobSpec& spec) {
  std::vector<std::string> words;
  auto add = [&words](const std::string& word) {
    if (!word.empty() &&
        word.find_first_of(" \t\n'\"\\$") == std::string::npos) {
      words.push_back(word);
    } else {
      std::string quoted = "'";
      for (char c : word)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      words.push_back(quoted + "'");
    }
  };
  for (const std::string& word : spec.command()) add(word);
  for (const std::string& word : spec.args()) add(word);
  return words.empty() ? "(image entrypoint)" : absl::StrJoin(words, " ");
}

std::string FormatEnv(const v1::JobSpec& spec) {
  if (spec.env().empty()) return kNone;
  return absl::StrJoin(
      spec.env(), " ", [](std::string* out, const v1::EnvVar& env) {
        absl::StrAppend(out, env.name(), "=",
                        env.secret() ? "<secret>" : env.value());
      });
}

std::string StateWithReason(v1::JobState state, const std::string& reason) {
  if (reason.empty()) return ShortName(state);
  return absl::StrCat(ShortName(state), " (", reason, ")");
}

std::string TimeWithAge(const google::protobuf::Timestamp& time,
                        absl::Time now) {
  if (time.seconds() == 0 && time.nanos() == 0) return kNone;
  return absl::StrCat(FormatTimestamp(time), " (", FormatAge(time, now),
                      " ago)");
}

void AddSpecRows(const v1::JobSpec& spec, Table* details) {
  details->AddRow({"Image:", OrNone(spec.image())});
  details->AddRow({"Command:", FormatArgv(spec)});
  details->AddRow(
      {"Resources:",
       absl::StrCat("cpu ", FormatCpuMillis(spec.cpu_millis()), ", memory ",
                    FormatMemoryMib(spec.memory_mib()))});
  details->AddRow({"Priority:", absl::StrCat(spec.priority())});
  details->AddRow({"Max wait:", spec.has_max_wait()
                                    ? FormatDuration(spec.max_wait())
                                    : "policy default"});
  details->AddRow({"Burst:", ShortName(spec.burst_mode())});
  std::string restart = ShortName(spec.restart_policy());
  if (spec.restart_policy() != v1::RESTART_POLICY_NEVER &&
      spec.restart_policy() != v1::RESTART_POLICY_UNSPECIFIED) {
    absl::StrAppend(&restart, " (max ", spec.max_restarts(), " restarts)");
  }
  details->AddRow({"Restart:", restart});
  details->AddRow({"Migratable:", spec.migratable() ? "yes" : "no"});
  details->AddRow(
      {"Expected duration:", spec.has_expected_duration()
                                 ? FormatDuration(spec.expected_duration())
                                 : kNone});
  details->AddRow({"Node selector:", FormatStringMap(spec.node_selector())});
  details->AddRow({"Affinity:", FormatList(spec.affinity())});
  details->AddRow({"Anti-affinity:", FormatList(spec.anti_affinity())});
  details->AddRow({"Labels:", FormatStringMap(spec.labels())});
  details->AddRow({"Env:", FormatEnv(spec)});
}

std::string RenderAttempts(const v1::Job& job) {
  Table table({"#", "BACKEND", "WHERE", "STATE", "PLACED", "STARTED",
               "FINISHED", "EXIT", "COST", "REASON"});
  for (const v1::Attempt& attempt : job.attempts()) {
    const bool finished = attempt.has_finish_time();
    table.AddRow({absl::StrCat(attempt.number()), EnumOrNone(attempt.backend()),
                  Where(attempt.node_id(), attempt.aci_group()),
                  ShortName(attempt.state()),
                  FormatTimestamp(attempt.placed_time()),
                  FormatTimestamp(attempt.start_time()),
                  FormatTimestamp(attempt.finish_time()),
                  finished ? absl::StrCat(attempt.exit_code()) : kNone,
                  attempt.backend() == v1::BACKEND_ACI
                      ? FormatMicroUsd(attempt.cost_micro_usd())
                      : kNone,
                  OrNone(attempt.reason())});
  }
  return table.Render();
}

std::string RenderHistory(const v1::Job& job) {
  Table table({"REVISION", "TIME", "STATE", "ATTEMPT", "REASON"});
  for (const v1::Transition& transition : job.history()) {
    table.AddRow(
        {absl::StrCat(transition.revision()),
         FormatTimestamp(transition.time()), ShortName(transition.state()),
         transition.attempt() > 0 ? absl::StrCat(transition.attempt()) : kNone,
         OrNone(transition.reason())});
  }
  return table.Render();
}

std::string RenderDecision(const v1::Decision& decision) {
  Table details;
  details.AddRow({"Outcome:", OrNone(decision.outcome())});
  details.AddRow({"Message:", OrNone(decision.message())});
  details.AddRow({"Time:", FormatTimestamp(decision.time())});
  details.AddRow(
      {"Predicted VM wait:", decision.has_predicted_vm_wait()
                                 ? FormatDuration(decision.predicted_vm_wait())
                                 : kNone});
  std::string out = details.Render();
  if (!decision.rejections().empty()) {
    // Most rejecting filter first; ties by name so the output is stable.
    std::vector<std::pair<std::string, int32_t>> rejections(
        decision.rejections().begin(), decision.rejections().end());
    std::sort(
        rejections.begin(), rejections.end(), [](const auto& a, const auto& b) {
          return a.second != b.second ? a.second > b.second : a.first < b.first;
        });
    Table table({"FILTER", "NODES REJECTED"});
    for (const auto& [filter, nodes] : rejections)
      table.AddRow({filter, absl::StrCat(nodes)});
    absl::StrAppend(&out, table.Render());
  }
  return out;
}

}  // namespace

Table NewJobTable() {
  return Table({"ID", "NAME", "STATE", "BACKEND", "WHERE", "CPU", "MEMORY",
                "PRIORITY", "ATTEMPTS", "AGE", "REASON"});
}

void AddJobRow(const v1::Job& job, absl::Time now, Table* table) {
  table->AddRow(
      {job.id(), job.spec().name(), ShortName(job.state()),
       EnumOrNone(job.backend()), Where(job.node_id(), job.aci_group()),
       FormatCpuMillis(job.spec().cpu_millis()),
       FormatMemoryMib(job.spec().memory_mib()),
       absl::StrCat(job.spec().priority()), absl::StrCat(job.attempts_size()),
       FormatAge(job.create_time(), now), OrNone(job.reason())});
}

std::string RenderJobDetails(const v1::Job& job, absl::Time now) {
  Table details;
  details.AddRow({"ID:", job.id()});
  details.AddRow({"Name:", job.spec().name()});
  details.AddRow({"State:", StateWithReason(job.state(), job.reason())});
  details.AddRow({"Backend:", EnumOrNone(job.backend())});
  details.AddRow({"Where:", Where(job.node_id(), job.aci_group())});
  details.AddRow({"Created:", TimeWithAge(job.create_time(), now)});
  details.AddRow({"Updated:", TimeWithAge(job.update_time(), now)});
  details.AddRow({"Revision:", absl::StrCat(job.revision())});
  details.AddRow({"Idempotency key:", OrNone(job.idempotency_key())});
  AddSpecRows(job.spec(), &details);

  std::string out = details.Render();
  absl::StrAppend(&out, "\nAttempts:\n");
  absl::StrAppend(&out,
                  job.attempts().empty() ? "  none\n" : RenderAttempts(job));
  absl::StrAppend(&out, "\nHistory:\n");
  absl::StrAppend(&out,
                  job.history().empty() ? "  none\n" : RenderHistory(job));
  absl::StrAppend(&out, "\nLast decision:\n");
  absl::StrAppend(&out, job.has_last_decision()
                            ? RenderDecision(job.last_decision())
                            : "  none\n");
  return out;
}

std::string JobEventHeader() {
  return absl::StrFormat("%-10s %-20s %-24s %-10s %-7s %-20s %-7s %s\n",
                         "REVISION", "TIME", "JOB", "STATE", "BACKEND", "WHERE",
                         "ATTEMPT", "REASON");
}

std::string RenderJobEvent(const v1::JobEvent& event) {
  return absl::StrFormat(
      "%-10d %-20s %-24s %-10s %-7s %-20s %-7s %s\n", event.revision(),
      FormatTimestamp(event.time()), event.job_id(), ShortName(event.state()),
      EnumOrNone(event.backend()), Where(event.node_id(), event.aci_group()),
      event.attempt() > 0 ? absl::StrCat(event.attempt()) : kNone,
      OrNone(event.reason()));
}

}  // namespace spillway::spillctl
