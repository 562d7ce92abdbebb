#include "scheduler/model/policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"

namespace spillway {

using spillway::v1::Policy;

absl::Duration ToAbslDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

namespace {

void SetDuration(google::protobuf::Duration* d, absl::Duration value) {
  *d = ToProtoDuration(value);
}

bool IsUnset(const google::protobuf::Duration& d) { return d.seconds() == 0 && d.nanos() == 0; }

}  // namespace

Policy DefaultPolicy() {
  Policy p;
  p.set_version(1);
  p.set_placement_strategy(spillway::v1::PLACEMENT_STRATEGY_BIN_PACK);
  p.set_affinity_weight(50);
  p.set_burst_enabled(true);
  SetDuration(p.mutable_default_max_wait(), absl::Seconds(60));
  auto* high = p.add_priority_max_wait();
  high->set_min_priority(500);
  SetDuration(high->mutable_max_wait(), absl::Seconds(15));
  SetDuration(p.mutable_default_expected_duration(), absl::Minutes(10));
  SetDuration(p.mutable_aci_start_latency(), absl::Seconds(25));
  p.set_aci_priority(spillway::v1::ACI_PRIORITY_REGULAR);
  p.set_aci_max_cores(100);
  p.set_aci_max_groups(100);
  p.set_aci_max_group_cpu_millis(4000);
  p.set_aci_max_group_memory_mib(16384);
  p.set_aci_creates_per_5min(100);
  p.set_aci_creates_per_hour(300);
  p.set_aci_deletes_per_5min(100);
  p.set_aci_deletes_per_hour(300);
  p.set_spend_budget_micro_usd_per_hour(5000000);
  p.set_aci_vcpu_hour_micro_usd(40500);
  p.set_aci_gb_hour_micro_usd(4450);
  p.set_vm_node_hour_micro_usd(96000);
  SetDuration(p.mutable_drain_stable_window(), absl::Minutes(2));
  p.set_drain_moves_per_minute(6);
  SetDuration(p.mutable_burst_cooldown(), absl::Minutes(1));
  SetDuration(p.mutable_retry_backoff_initial(), absl::Seconds(10));
  SetDuration(p.mutable_retry_backoff_max(), absl::Minutes(5));
  p.set_default_max_restarts(3);
  p.set_burst_strategy(spillway::v1::BURST_STRATEGY_COST_AWARE);
  p.set_feedback_min_samples(5);
  p.set_aci_breaker_failure_percent(50);
  p.set_aci_breaker_min_creates(5);
  SetDuration(p.mutable_aci_breaker_window(), absl::Minutes(10));
  SetDuration(p.mutable_aci_breaker_cooldown(), absl::Minutes(5));
  // Budgets up to an hour order the queue fully by deadline: patient jobs give their VM slot to
  // urgent ones, which ACI's last-moment check (burst_decision.h) keeps safe (sim/results).
  SetDuration(p.mutable_deadline_order_window(), absl::Hours(1));
  return p;
}

void FillPolicyDefaults(Policy& policy) {
  const Policy defaults = DefaultPolicy();
  const auto* descriptor = policy.GetDescriptor();
  const auto* reflection = policy.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->name() == "version" || field->type() == google::protobuf::FieldDescriptor::TYPE_BOOL) {
      continue;
    }
    if (field->is_repeated()) continue;  // priority_max_wait: empty is a valid choice.
    const bool unset =
        field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE
            ? !reflection->HasField(policy, field) ||
                  IsUnset(static_cast<const google::protobuf::Duration&>(
                      reflection->GetMessage(policy, field)))
            : !reflection->HasField(policy, field);
    if (!unset) continue;
    switch (field->cpp_type()) {
      case google::protobuf::FieldDescriptor::CPPTYPE_INT32:
        reflection->SetInt32(&policy, field, reflection->GetInt32(defaults, field));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_INT64:
        reflection->SetInt64(&policy, field, reflection->GetInt64(defaults, field));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_ENUM:
        reflection->SetEnumValue(&policy, field, reflection->GetEnumValue(defaults, field));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE:
        reflection->MutableMessage(&policy, field)->CopyFrom(reflection->GetMessage(defaults, field));
        break;
      default:
        break;
    }
  }
}

namespace {

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status CheckRange(absl::string_view field, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi) {
    return Invalid(field, absl::StrFormat("%d is outside [%d, %d]", value, lo, hi));
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(absl::string_view field, const google::protobuf::Duration& d,
                           absl::Duration lo, absl::Duration hi) {
  if (d.nanos() < 0 || d.nanos() > 999999999 || (d.seconds() < 0)) {
    return Invalid(field, "must be a non-negative duration");
  }
  const absl::Duration v = ToAbslDuration(d);
  if (v < lo || v > hi) {
    return Invalid(field, absl::StrFormat("%s is outside [%s, %s]", absl::FormatDuration(v),
                                          absl::FormatDuration(lo), absl::FormatDuration(hi)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidatePolicy(const Policy& p) {
  const absl::Duration day = absl::Hours(24);
  if (!spillway::v1::PlacementStrategy_IsValid(p.placement_strategy())) {
    return Invalid("placement_strategy", "unknown value");
  }
  if (!spillway::v1::AciPriority_IsValid(p.aci_priority())) {
    return Invalid("aci_priority", "unknown value");
  }
  if (!spillway::v1::BurstStrategy_IsValid(p.burst_strategy())) {
    return Invalid("burst_strategy", "unknown value");
  }
  absl::Status s;
  auto check = [&s](absl::Status st) {
    if (s.ok()) s = st;
  };
  check(CheckRange("affinity_weight", p.affinity_weight(), 0, 100));
  check(CheckDuration("default_max_wait", p.default_max_wait(), absl::ZeroDuration(), 7 * day));
  for (int i = 0; i < p.priority_max_wait_size(); ++i) {
    const auto& pw = p.priority_max_wait(i);
    const std::string prefix = absl::StrCat("priority_max_wait[", i, "]");
    check(CheckRange(prefix + ".min_priority", pw.min_priority(), 0, 1000));
    check(CheckDuration(prefix + ".max_wait", pw.max_wait(), absl::ZeroDuration(), 7 * day));
  }
  check(CheckDuration("default_expected_duration", p.default_expected_duration(), absl::Seconds(1),
                      30 * day));
  check(CheckDuration("aci_start_latency", p.aci_start_latency(), absl::ZeroDuration(),
                      absl::Hours(1)));
  check(CheckRange("aci_max_cores", p.aci_max_cores(), 0, 100000));
  check(CheckRange("aci_max_groups", p.aci_max_groups(), 0, 100000));
  check(CheckRange("aci_max_group_cpu_millis", p.aci_max_group_cpu_millis(), 10, 31000));
  check(CheckRange("aci_max_group_memory_mib", p.aci_max_group_memory_mib(), 103, 240 * 1024));
  check(CheckRange("aci_creates_per_5min", p.aci_creates_per_5min(), 0, 100000));
  check(CheckRange("aci_creates_per_hour", p.aci_creates_per_hour(), 0, 100000));
  check(CheckRange("aci_deletes_per_5min", p.aci_deletes_per_5min(), 1, 100000));
  check(CheckRange("aci_deletes_per_hour", p.aci_deletes_per_hour(), 1, 100000));
  check(CheckRange("spend_budget_micro_usd_per_hour", p.spend_budget_micro_usd_per_hour(), 0,
                   int64_t{1000000} * 1000000));
  check(CheckRange("aci_vcpu_hour_micro_usd", p.aci_vcpu_hour_micro_usd(), 0, 100000000));
  check(CheckRange("aci_gb_hour_micro_usd", p.aci_gb_hour_micro_usd(), 0, 100000000));
  check(CheckRange("vm_node_hour_micro_usd", p.vm_node_hour_micro_usd(), 0, 1000000000));
  check(CheckDuration("drain_stable_window", p.drain_stable_window(), absl::ZeroDuration(), day));
  check(CheckRange("drain_moves_per_minute", p.drain_moves_per_minute(), 0, 10000));
  check(CheckDuration("burst_cooldown", p.burst_cooldown(), absl::ZeroDuration(), day));
  check(CheckDuration("deadline_order_window", p.deadline_order_window(), absl::ZeroDuration(),
                      day));
  check(CheckDuration("retry_backoff_initial", p.retry_backoff_initial(), absl::Milliseconds(100),
                      absl::Hours(1)));
  check(CheckDuration("retry_backoff_max", p.retry_backoff_max(), absl::Milliseconds(100), day));
  check(CheckRange("default_max_restarts", p.default_max_restarts(), 0, 1000));
  check(CheckRange("feedback_min_samples", p.feedback_min_samples(), 1, 100000));
  check(CheckRange("aci_breaker_failure_percent", p.aci_breaker_failure_percent(), 1, 101));
  check(CheckRange("aci_breaker_min_creates", p.aci_breaker_min_creates(), 1, 100000));
  check(CheckDuration("aci_breaker_window", p.aci_breaker_window(), absl::Seconds(1), day));
  check(CheckDuration("aci_breaker_cooldown", p.aci_breaker_cooldown(), absl::ZeroDuration(),
                      day));
  if (s.ok() && ToAbslDuration(p.retry_backoff_max()) < ToAbslDuration(p.retry_backoff_initial())) {
    s = Invalid("retry_backoff_max", "must be at least retry_backoff_initial");
  }
  return s;
}

namespace {

// One field's value as text: durations as "1m30s", enums by name, repeated fields joined.
std::string FieldText(const Policy& p, const google::protobuf::FieldDescriptor* field) {
  const auto* reflection = p.GetReflection();
  if (field->is_repeated()) {
    std::vector<std::string> items;
    for (int i = 0; i < reflection->FieldSize(p, field); ++i) {
      const auto& pw =
          static_cast<const spillway::v1::PriorityWait&>(reflection->GetRepeatedMessage(p, field, i));
      items.push_back(absl::StrCat("priority>=", pw.min_priority(), ":",
                                   absl::FormatDuration(ToAbslDuration(pw.max_wait()))));
    }
    return items.empty() ? "[]" : absl::StrCat("[", absl::StrJoin(items, ", "), "]");
  }
  switch (field->cpp_type()) {
    case google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE:
      return absl::FormatDuration(ToAbslDuration(
          static_cast<const google::protobuf::Duration&>(reflection->GetMessage(p, field))));
    case google::protobuf::FieldDescriptor::CPPTYPE_ENUM:
      return reflection->GetEnum(p, field)->name();
    default: {
      std::string out;
      google::protobuf::TextFormat::PrintFieldValueToString(p, field, -1, &out);
      return out;
    }
  }
}

}  // namespace

std::vector<std::string> DiffPolicies(const Policy& before, const Policy& after) {
  std::vector<std::string> out;
  const auto* descriptor = before.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->name() == "version") continue;
    const std::string a = FieldText(before, field);
    const std::string b = FieldText(after, field);
    if (a != b) out.push_back(absl::StrCat(field->name(), ": ", a, " -> ", b));
  }
  return out;
}

absl::Duration EffectiveMaxWait(const spillway::v1::JobSpec& spec, const Policy& policy) {
  if (spec.has_max_wait()) return ToAbslDuration(spec.max_wait());
  int best_priority = -1;
  absl::Duration best = ToAbslDuration(policy.default_max_wait());
  for (const auto& pw : policy.priority_max_wait()) {
    if (spec.priority() >= pw.min_priority() && pw.min_priority() > best_priority) {
      best_priority = pw.min_priority();
      best = ToAbslDuration(pw.max_wait());
    }
  }
  return best;
}

absl::Duration EffectiveExpectedDuration(const spillway::v1::JobSpec& spec, const Policy& policy) {
  if (spec.has_expected_duration() && !IsUnset(spec.expected_duration())) {
    return ToAbslDuration(spec.expected_duration());
  }
  return ToAbslDuration(policy.default_expected_duration());
}

AciPrices PricesOf(const Policy& policy) {
  return AciPrices{policy.aci_vcpu_hour_micro_usd(), policy.aci_gb_hour_micro_usd()};
}

}  // namespace spillway
