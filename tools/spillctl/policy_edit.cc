#include "tools/spillctl/policy_edit.h"

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/spillctl/enum_names.h"
#include "tools/spillctl/money.h"
#include "tools/spillctl/proto_time.h"
#include "tools/spillctl/status_macros.h"

namespace spillway::spillctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Reflection;

bool IsMoney(const FieldDescriptor& field) {
  return absl::StrContains(field.name(), "micro_usd");
}

bool IsDuration(const FieldDescriptor& field) {
  return field.message_type() == google::protobuf::Duration::descriptor();
}

bool IsPriorityWaits(const FieldDescriptor& field) {
  return field.is_repeated() &&
         field.message_type() == v1::PriorityWait::descriptor();
}

absl::Status FieldError(const FieldDescriptor& field,
                        absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(field.name(), ": ", message));
}

absl::StatusOr<int64_t> ParseInteger(const FieldDescriptor& field,
                                     absl::string_view text) {
  int64_t value = 0;
  if (IsMoney(field)) {
    absl::StatusOr<int64_t> micro_usd = ParseMicroUsd(text);
    if (!micro_usd.ok()) return FieldError(field, micro_usd.status().message());
    value = *micro_usd;
  } else if (!absl::SimpleAtoi(text, &value)) {
    return FieldError(field,
                      absl::StrCat("want an integer, got \"", text, "\""));
  }
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_INT32 &&
      (value < std::numeric_limits<int32_t>::min() ||
       value > std::numeric_limits<int32_t>::max())) {
    return FieldError(field, absl::StrCat(value, " does not fit in an int32"));
  }
  return value;
}

absl::StatusOr<google::protobuf::Duration> ParseDurationValue(
    const FieldDescriptor& field, absl::string_view text) {
  SPILLCTL_ASSIGN_OR_RETURN(const absl::Duration duration,
                            ParseNonNegativeDuration(field.name(), text));
  return ToProtoDuration(duration);
}

// "500:2m,900:30s" -> two PriorityWaits; "none" or "" -> none.
absl::Status ParsePriorityWaits(const FieldDescriptor& field,
                                absl::string_view text, v1::Policy* policy) {
  policy->clear_priority_max_wait();
  if (text.empty() || text == "none") return absl::OkStatus();
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    const std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(absl::StripAsciiWhitespace(item),
                       absl::MaxSplits(':', 1));
    int32_t min_priority = 0;
    if (!absl::SimpleAtoi(parts.first, &min_priority) || parts.second.empty()) {
      return FieldError(
          field,
          absl::StrCat("want MIN_PRIORITY:DURATION,... like 500:2m,900:30s, "
                       "got \"",
                       item, "\""));
    }
    SPILLCTL_ASSIGN_OR_RETURN(google::protobuf::Duration max_wait,
                              ParseDurationValue(field, parts.second));
    v1::PriorityWait* wait = policy->add_priority_max_wait();
    wait->set_min_priority(min_priority);
    *wait->mutable_max_wait() = std::move(max_wait);
  }
  return absl::OkStatus();
}

// Sets `field` of `policy` from `text`.
absl::Status SetField(const FieldDescriptor& field, absl::string_view text,
                      v1::Policy* policy) {
  const Reflection& reflection = *policy->GetReflection();
  if (IsPriorityWaits(field)) return ParsePriorityWaits(field, text, policy);
  if (field.is_repeated())
    return FieldError(field, "repeated fields cannot be set");
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      SPILLCTL_ASSIGN_OR_RETURN(const int64_t value, ParseInteger(field, text));
      reflection.SetInt32(policy, &field, static_cast<int32_t>(value));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      SPILLCTL_ASSIGN_OR_RETURN(const int64_t value, ParseInteger(field, text));
      reflection.SetInt64(policy, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value = false;
      if (!absl::SimpleAtob(text, &value)) {
        return FieldError(
            field, absl::StrCat("want true or false, got \"", text, "\""));
      }
      reflection.SetBool(policy, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      absl::StatusOr<int> number = ParseEnumNumber(*field.enum_type(), text);
      if (!number.ok()) return FieldError(field, number.status().message());
      reflection.SetEnumValue(policy, &field, *number);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (IsDuration(field)) {
        SPILLCTL_ASSIGN_OR_RETURN(const google::protobuf::Duration value,
                                  ParseDurationValue(field, text));
        reflection.MutableMessage(policy, &field)->CopyFrom(value);
        return absl::OkStatus();
      }
      break;
    default:
      break;
  }
  return FieldError(field, absl::StrCat("fields of type ", field.type_name(),
                                        " cannot be set by spillctl"));
}

std::string FormatPriorityWaits(const v1::Policy& policy) {
  if (policy.priority_max_wait().empty()) return "none";
  return absl::StrJoin(policy.priority_max_wait(), ",",
                       [](std::string* out, const v1::PriorityWait& wait) {
                         absl::StrAppend(out, wait.min_priority(), ":",
                                         FormatDuration(wait.max_wait()));
                       });
}

}  // namespace

absl::StatusOr<PolicyPatch> ParsePolicyAssignments(
    const std::vector<std::string>& assignments) {
  if (assignments.empty()) {
    return absl::InvalidArgumentError(
        "want at least one field=value (see `spillctl policy get`)");
  }
  const Descriptor& descriptor = *v1::Policy::descriptor();
  PolicyPatch patch;
  for (const std::string& assignment : assignments) {
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("want field=value, got \"", assignment, "\""));
    }
    const std::string name =
        absl::StrReplaceAll(assignment.substr(0, eq), {{"-", "_"}});
    const FieldDescriptor* field = descriptor.FindFieldByName(name);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown policy field \"", name,
                       "\" (`spillctl policy get` lists them)"));
    }
    if (field->number() == v1::Policy::kVersionFieldNumber) {
      return FieldError(*field, "is output only");
    }
    for (const FieldDescriptor* seen : patch.fields) {
      if (seen == field) return FieldError(*field, "given twice");
    }
    SPILLCTL_RETURN_IF_ERROR(
        SetField(*field, assignment.substr(eq + 1), &patch.values));
    patch.fields.push_back(field);
  }
  return patch;
}

void ApplyPolicyPatch(const PolicyPatch& patch, v1::Policy* policy) {
  v1::Policy values = patch.values;
  policy->GetReflection()->SwapFields(&values, policy, patch.fields);
}

std::vector<std::string> PolicyDiff(const v1::Policy& before,
                                    const v1::Policy& after) {
  const Descriptor& descriptor = *v1::Policy::descriptor();
  std::vector<std::string> diff;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor& field = *descriptor.field(i);
    if (field.number() == v1::Policy::kVersionFieldNumber) continue;
    const std::string old_value = FormatPolicyField(before, field);
    const std::string new_value = FormatPolicyField(after, field);
    if (old_value != new_value) {
      diff.push_back(
          absl::StrCat(field.name(), ": ", old_value, " -> ", new_value));
    }
  }
  return diff;
}

std::string FormatPolicyField(const v1::Policy& policy,
                              const FieldDescriptor& field) {
  const Reflection& reflection = *policy.GetReflection();
  if (IsPriorityWaits(field)) return FormatPriorityWaits(policy);
  if (field.is_repeated())
    return absl::StrCat(reflection.FieldSize(policy, &field), " items");
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64: {
      const int64_t value = field.cpp_type() == FieldDescriptor::CPPTYPE_INT32
                                ? reflection.GetInt32(policy, &field)
                                : reflection.GetInt64(policy, &field);
      if (IsMoney(field))
        return absl::StrCat(value, " (", FormatMicroUsd(value), ")");
      return absl::StrCat(value);
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      return reflection.GetBool(policy, &field) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return ShortEnumName(*field.enum_type(),
                           reflection.GetEnumValue(policy, &field));
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (!reflection.HasField(policy, &field)) return "unset";
      if (IsDuration(field)) {
        return FormatDuration(static_cast<const google::protobuf::Duration&>(
            reflection.GetMessage(policy, &field)));
      }
      return reflection.GetMessage(policy, &field).ShortDebugString();
    default:
      return "?";
  }
}

}  // namespace spillway::spillctl
