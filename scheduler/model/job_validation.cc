#include "scheduler/model/job_validation.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

using spillway::v1::BurstMode;
using spillway::v1::JobSpec;

constexpr int kMaxArgs = 256;
constexpr size_t kMaxArgBytes = 4096;
constexpr int kMaxEnv = 256;
constexpr size_t kMaxEnvValueBytes = 32 * 1024;
constexpr int kMaxLabels = 64;
constexpr int kMaxAffinityKeys = 16;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return IsLower(c) || (c >= 'A' && c <= 'Z'); }

bool IsValidJobName(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!IsLower(name[0]) && !IsDigit(name[0])) return false;
  for (char c : name) {
    if (!IsLower(c) && !IsDigit(c) && c != '-' && c != '.' && c != '_') return false;
  }
  return true;
}

bool IsValidEnvName(absl::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  if (!IsAlpha(name[0]) && name[0] != '_') return false;
  for (char c : name) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '_') return false;
  }
  return true;
}

bool IsValidImage(absl::string_view image) {
  if (image.size() > 512) return false;
  for (char c : image) {
    if (c <= ' ' || c == 0x7f) return false;
  }
  return true;
}

absl::Status ValidateDuration(absl::string_view field, const google::protobuf::Duration& d,
                              absl::Duration max) {
  if (d.seconds() < 0 || d.nanos() < 0 || d.nanos() > 999999999) {
    return Invalid(field, "must be a non-negative duration");
  }
  if (ToAbslDuration(d) > max) {
    return Invalid(field, absl::StrCat("must be at most ", absl::FormatDuration(max)));
  }
  return absl::OkStatus();
}

absl::Status ValidateLabels(absl::string_view field,
                            const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.size() > kMaxLabels) {
    return Invalid(field, absl::StrCat("at most ", kMaxLabels, " entries"));
  }
  // Sorted for a deterministic first error.
  std::set<std::string> keys;
  for (const auto& [k, v] : labels) keys.insert(k);
  for (const auto& k : keys) {
    if (!IsValidLabelKey(k)) {
      return Invalid(absl::StrCat(field, "[", k.substr(0, 64), "]"),
                     "key must be 1-63 chars of [A-Za-z0-9._/-]");
    }
    if (!IsValidLabelValue(labels.at(k))) {
      return Invalid(absl::StrCat(field, "[", k, "]"),
                     "value must be at most 63 chars of [A-Za-z0-9._/-]");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateKeys(absl::string_view field,
                          const google::protobuf::RepeatedPtrField<std::string>& keys) {
  if (keys.size() > kMaxAffinityKeys) {
    return Invalid(field, absl::StrCat("at most ", kMaxAffinityKeys, " keys"));
  }
  for (int i = 0; i < keys.size(); ++i) {
    if (!IsValidLabelKey(keys[i])) {
      return Invalid(absl::StrCat(field, "[", i, "]"), "must be 1-63 chars of [A-Za-z0-9._/-]");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateArgv(absl::string_view field,
                          const google::protobuf::RepeatedPtrField<std::string>& argv) {
  if (argv.size() > kMaxArgs) return Invalid(field, absl::StrCat("at most ", kMaxArgs, " entries"));
  for (int i = 0; i < argv.size(); ++i) {
    if (argv[i].size() > kMaxArgBytes) {
      return Invalid(absl::StrCat(field, "[", i, "]"),
                     absl::StrCat("longer than ", kMaxArgBytes, " bytes"));
    }
    if (argv[i].find('\0') != std::string::npos) {
      return Invalid(absl::StrCat(field, "[", i, "]"), "contains a NUL byte");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateResources(const JobSpec& spec, const CapacityLimits& limits) {
  if (spec.cpu_millis() <= 0) return Invalid("spec.cpu_millis", "must be positive");
  if (spec.memory_mib() <= 0) return Invalid("spec.memory_mib", "must be positive");
  const BurstMode mode = spec.burst_mode();
  const bool may_vm = mode != spillway::v1::BURST_MODE_ACI_ONLY;
  const bool may_aci = mode != spillway::v1::BURST_MODE_VM_ONLY && limits.burst_enabled;
  const Resources request{spec.cpu_millis(), spec.memory_mib()};
  std::vector<Resources> sizes = limits.vm_node_sizes;
  if (sizes.empty()) sizes.push_back(limits.vm_fallback);
  bool fits_vm = false;
  Resources vm;  // The largest node by cpu, for the message.
  for (const Resources& size : sizes) {
    fits_vm = fits_vm || (may_vm && size.Fits(request));
    if (size.cpu_millis > vm.cpu_millis ||
        (size.cpu_millis == vm.cpu_millis && size.memory_mib > vm.memory_mib)) {
      vm = size;
    }
  }
  const bool fits_aci = may_aci && limits.max_aci_group.Fits(request);
  if (fits_vm || fits_aci) return absl::OkStatus();
  std::string where;
  if (may_vm) where = absl::StrCat("any VM node (largest: ", vm.ToString(), ")");
  if (may_aci) {
    absl::StrAppend(&where, where.empty() ? "" : " or ", "an ACI container group (",
                    limits.max_aci_group.ToString(), ")");
  }
  if (where.empty()) where = "anything: ACI-only job while bursting is disabled";
  const bool cpu_short = (!may_vm || request.cpu_millis > vm.cpu_millis) &&
                         (!may_aci || request.cpu_millis > limits.max_aci_group.cpu_millis);
  const char* field = cpu_short ? "spec.cpu_millis" : "spec.memory_mib";
  return Invalid(field, absl::StrCat("request ", request.ToString(), " is more than ", where,
                                     " can hold"));
}

}  // namespace

bool IsValidLabelKey(absl::string_view key) {
  if (key.empty() || key.size() > 63) return false;
  for (char c : key) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '.' && c != '_' && c != '-' && c != '/') return false;
  }
  return true;
}

bool IsValidLabelValue(absl::string_view value) {
  return value.empty() || IsValidLabelKey(value);
}

absl::Status ValidateIdempotencyKey(absl::string_view key) {
  if (key.size() > 128) return Invalid("idempotency_key", "longer than 128 chars");
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return Invalid("idempotency_key", "must be printable ASCII");
  }
  return absl::OkStatus();
}

absl::Status ValidateJobId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return Invalid(field, "is required");
  if (id.size() > 64) return Invalid(field, "longer than 64 chars");
  for (char c : id) {
    if (!IsLower(c) && !IsDigit(c) && c != '-') return Invalid(field, "must be [a-z0-9-]");
  }
  return absl::OkStatus();
}

absl::Status ValidateNodeId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return Invalid(field, "is required");
  if (!IsValidLabelKey(id)) return Invalid(field, "must be 1-63 chars of [A-Za-z0-9._/-]");
  return absl::OkStatus();
}

void NormalizeJobSpec(JobSpec& spec) {
  if (spec.burst_mode() == spillway::v1::BURST_MODE_UNSPECIFIED) {
    spec.set_burst_mode(spillway::v1::BURST_MODE_ALLOWED);
  }
  if (spec.restart_policy() == spillway::v1::RESTART_POLICY_UNSPECIFIED) {
    spec.set_restart_policy(spillway::v1::RESTART_POLICY_NEVER);
  }
}

absl::Status ValidateJobSpec(const JobSpec& spec, const CapacityLimits& limits) {
  if (!IsValidJobName(spec.name())) {
    return Invalid("spec.name",
                   "must be 1-63 chars of [a-z0-9._-], starting with a letter or digit");
  }
  if (!spillway::v1::BurstMode_IsValid(spec.burst_mode())) {
    return Invalid("spec.burst_mode", "unknown value");
  }
  if (!spillway::v1::RestartPolicy_IsValid(spec.restart_policy())) {
    return Invalid("spec.restart_policy", "unknown value");
  }
  if (!IsValidImage(spec.image())) {
    return Invalid("spec.image", "must be at most 512 chars without whitespace");
  }
  if (spec.image().empty() && spec.burst_mode() != spillway::v1::BURST_MODE_VM_ONLY) {
    return Invalid("spec.image", "is required unless burst_mode is BURST_MODE_VM_ONLY");
  }
  if (spec.image().empty() && spec.command().empty()) {
    return Invalid("spec.command", "is required when no image is given");
  }
  if (auto s = ValidateArgv("spec.command", spec.command()); !s.ok()) return s;
  if (auto s = ValidateArgv("spec.args", spec.args()); !s.ok()) return s;
  if (spec.env_size() > kMaxEnv) return Invalid("spec.env", absl::StrCat("at most ", kMaxEnv));
  std::set<std::string> env_names;
  for (int i = 0; i < spec.env_size(); ++i) {
    const auto& e = spec.env(i);
    const std::string field = absl::StrCat("spec.env[", i, "]");
    if (!IsValidEnvName(e.name())) {
      return Invalid(field + ".name", "must match [A-Za-z_][A-Za-z0-9_]*");
    }
    if (!env_names.insert(e.name()).second) {
      return Invalid(field + ".name", absl::StrCat("duplicate variable ", e.name()));
    }
    if (e.value().size() > kMaxEnvValueBytes) {
      return Invalid(field + ".value", absl::StrCat("longer than ", kMaxEnvValueBytes, " bytes"));
    }
  }
  if (auto s = ValidateResources(spec, limits); !s.ok()) return s;
  if (spec.priority() < 0 || spec.priority() > 1000) {
    return Invalid("spec.priority", absl::StrCat(spec.priority(), " is outside [0, 1000]"));
  }
  if (spec.has_max_wait()) {
    if (auto s = ValidateDuration("spec.max_wait", spec.max_wait(), absl::Hours(24 * 7)); !s.ok()) {
      return s;
    }
  }
  if (spec.has_expected_duration()) {
    if (auto s = ValidateDuration("spec.expected_duration", spec.expected_duration(),
                                  absl::Hours(24 * 30));
        !s.ok()) {
      return s;
    }
  }
  if (spec.max_restarts() < 0 || spec.max_restarts() > 100) {
    return Invalid("spec.max_restarts", absl::StrCat(spec.max_restarts(), " is outside [0, 100]"));
  }
  if (auto s = ValidateLabels("spec.node_selector", spec.node_selector()); !s.ok()) return s;
  if (auto s = ValidateLabels("spec.labels", spec.labels()); !s.ok()) return s;
  if (auto s = ValidateKeys("spec.affinity", spec.affinity()); !s.ok()) return s;
  if (auto s = ValidateKeys("spec.anti_affinity", spec.anti_affinity()); !s.ok()) return s;
  if (spec.burst_mode() == spillway::v1::BURST_MODE_ACI_ONLY && !spec.node_selector().empty()) {
    return Invalid("spec.node_selector", "has no meaning for an ACI-only job");
  }
  return absl::OkStatus();
}

}  // namespace spillway
