#include "tools/spillctl/submit_request.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tools/spillctl/flag_values.h"
#include "tools/spillctl/proto_time.h"
#include "tools/spillctl/quantity.h"
#include "tools/spillctl/status_macros.h"

namespace spillway::spillctl {
namespace {

constexpr int kMaxPriority = 1000;
constexpr int kMaxRestarts = 1000000;

absl::Status Required(const ParsedArgs& args, const std::string& flag) {
  if (args.Get(flag).has_value()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, " is required"));
}

bool IsEnvName(const std::string& name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0])))
    return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  }
  return true;
}

absl::Status AddEnv(const std::string& flag,
                    const std::vector<std::string>& texts, bool secret,
                    v1::JobSpec* spec) {
  for (const std::string& text : texts) {
    SPILLCTL_ASSIGN_OR_RETURN(const auto kv, ParseKeyValue(flag, text));
    if (!IsEnvName(kv.first)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": \"", kv.first,
                       "\" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)"));
    }
    for (const v1::EnvVar& existing : spec->env()) {
      if (existing.name() == kv.first) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", flag, ": variable \"", kv.first, "\" given twice"));
      }
    }
    v1::EnvVar* env = spec->add_env();
    env->set_name(kv.first);
    env->set_value(kv.second);
    env->set_secret(secret);
  }
  return absl::OkStatus();
}

// The optional duration flag; nullopt when it is absent.
absl::StatusOr<std::optional<absl::Duration>> OptionalDuration(
    const ParsedArgs& args, const std::string& flag) {
  std::optional<std::string> text = args.Get(flag);
  if (!text.has_value()) return std::nullopt;
  return ParseNonNegativeDuration("--" + flag, *text);
}

}  // namespace

std::vector<FlagSpec> SubmitFlagSpecs() {
  return {
      {"name"},
      {"image"},
      {"cpu"},
      {"memory"},
      {"priority"},
      {"max-wait"},
      {"burst"},
      {"restart"},
      {"max-restarts"},
      {"migratable", '\0', /*takes_value=*/false},
      {"duration"},
      {"selector", '\0', true, /*repeatable=*/true},
      {"affinity", '\0', true, true},
      {"anti-affinity", '\0', true, true},
      {"label", '\0', true, true},
      {"env", '\0', true, true},
      {"secret-env", '\0', true, true},
      {"idempotency-key"},
      {"quiet", 'q', false},  // Read by the command (print only the id), not
                              // part of the request.
  };
}

absl::StatusOr<v1::SubmitJobRequest> BuildSubmitRequest(
    const ParsedArgs& args) {
  if (!args.positional().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", args.positional()[0],
                     "\"; put the command after --, e.g. "
                     "spillctl submit --name x ... -- sleep 10"));
  }
  SPILLCTL_RETURN_IF_ERROR(Required(args, "name"));
  SPILLCTL_RETURN_IF_ERROR(Required(args, "cpu"));
  SPILLCTL_RETURN_IF_ERROR(Required(args, "memory"));

  v1::SubmitJobRequest request;
  v1::JobSpec& spec = *request.mutable_spec();
  spec.set_name(*args.Get("name"));
  spec.set_image(args.Get("image").value_or(""));

  SPILLCTL_ASSIGN_OR_RETURN(const int64_t cpu_millis,
                            ParseCpuMillis("cpu", *args.Get("cpu")));
  spec.set_cpu_millis(cpu_millis);
  SPILLCTL_ASSIGN_OR_RETURN(const int64_t memory_mib,
                            ParseMemoryMib("memory", *args.Get("memory")));
  spec.set_memory_mib(memory_mib);

  if (std::optional<std::string> text = args.Get("priority")) {
    SPILLCTL_ASSIGN_OR_RETURN(const int64_t priority,
                              ParseIntFlag("priority", *text, 0, kMaxPriority));
    spec.set_priority(static_cast<int32_t>(priority));
  }
  SPILLCTL_ASSIGN_OR_RETURN(const std::optional<absl::Duration> max_wait,
                            OptionalDuration(args, "max-wait"));
  if (max_wait.has_value())
    *spec.mutable_max_wait() = ToProtoDuration(*max_wait);
  SPILLCTL_ASSIGN_OR_RETURN(
      const std::optional<absl::Duration> expected_duration,
      OptionalDuration(args, "duration"));
  if (expected_duration.has_value()) {
    *spec.mutable_expected_duration() = ToProtoDuration(*expected_duration);
  }
  if (std::optional<std::string> text = args.Get("burst")) {
    SPILLCTL_ASSIGN_OR_RETURN(const v1::BurstMode mode,
                              ParseEnumFlag<v1::BurstMode>("burst", *text));
    spec.set_burst_mode(mode);
  }
  if (std::optional<std::string> text = args.Get("restart")) {
    SPILLCTL_ASSIGN_OR_RETURN(
        const v1::RestartPolicy policy,
        ParseEnumFlag<v1::RestartPolicy>("restart", *text));
    spec.set_restart_policy(policy);
  }
  if (std::optional<std::string> text = args.Get("max-restarts")) {
    SPILLCTL_ASSIGN_OR_RETURN(
        const int64_t restarts,
        ParseIntFlag("max-restarts", *text, 0, kMaxRestarts));
    spec.set_max_restarts(static_cast<int32_t>(restarts));
  }
  spec.set_migratable(args.GetSwitch("migratable"));

  SPILLCTL_RETURN_IF_ERROR(AddKeyValues("selector", args.GetAll("selector"),
                                        spec.mutable_node_selector()));
  SPILLCTL_RETURN_IF_ERROR(
      AddKeyValues("label", args.GetAll("label"), spec.mutable_labels()));
  for (const std::string& key : args.GetAll("affinity")) spec.add_affinity(key);
  for (const std::string& key : args.GetAll("anti-affinity"))
    spec.add_anti_affinity(key);
  SPILLCTL_RETURN_IF_ERROR(
      AddEnv("env", args.GetAll("env"), /*secret=*/false, &spec));
  SPILLCTL_RETURN_IF_ERROR(
      AddEnv("secret-env", args.GetAll("secret-env"), /*secret=*/true, &spec));

  const std::vector<std::string>& command = args.passthrough();
  if (!command.empty()) {
    spec.add_command(command[0]);
    for (size_t i = 1; i < command.size(); ++i) spec.add_args(command[i]);
  }
  request.set_idempotency_key(args.Get("idempotency-key").value_or(""));
  return request;
}

}  // namespace spillway::spillctl
