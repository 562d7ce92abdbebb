#include "sim/policy_file.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Error(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

absl::Status SetMessage(const YAML::Node& node, Message& message, const std::string& path);

absl::Status SetValue(const YAML::Node& node, Message& message, const FieldDescriptor* field,
                      const std::string& path) {
  const Reflection* r = message.GetReflection();
  const bool add = field->is_repeated();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    Message* sub = add ? r->AddMessage(&message, field) : r->MutableMessage(&message, field);
    if (sub->GetDescriptor() == google::protobuf::Duration::descriptor()) {
      absl::Duration d;
      if (!node.IsScalar() || !absl::ParseDuration(node.Scalar(), &d)) {
        return Error(path, "expected a duration such as \"90s\"");
      }
      static_cast<google::protobuf::Duration&>(*sub) = ToProtoDuration(d);
      return absl::OkStatus();
    }
    sub->Clear();
    return SetMessage(node, *sub, path);
  }
  if (!node.IsScalar()) return Error(path, "expected a scalar");
  const std::string text = node.Scalar();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return Error(path, "expected an integer");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
        if (v < INT32_MIN || v > INT32_MAX) return Error(path, "out of range");
        add ? r->AddInt32(&message, field, static_cast<int32_t>(v))
            : r->SetInt32(&message, field, static_cast<int32_t>(v));
      } else {
        add ? r->AddInt64(&message, field, v) : r->SetInt64(&message, field, v);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v = false;
      if (!absl::SimpleAtob(text, &v)) return Error(path, "expected true or false");
      add ? r->AddBool(&message, field, v) : r->SetBool(&message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* type = field->enum_type();
      const auto* value = type->FindValueByName(text);
      if (value == nullptr) {
        // The suffix: SPREAD for PLACEMENT_STRATEGY_SPREAD.
        std::string prefix;
        for (char c : type->name()) {
          if (absl::ascii_isupper(c) && !prefix.empty()) prefix.push_back('_');
          prefix.push_back(absl::ascii_toupper(c));
        }
        value = type->FindValueByName(absl::StrCat(prefix, "_", text));
      }
      if (value == nullptr) return Error(path, absl::StrCat("unknown value \"", text, "\""));
      add ? r->AddEnumValue(&message, field, value->number())
          : r->SetEnumValue(&message, field, value->number());
      return absl::OkStatus();
    }
    default:
      return Error(path, "unsupported field type");
  }
}

absl::Status SetMessage(const YAML::Node& node, Message& message, const std::string& path) {
  if (!node.IsMap()) return Error(path.empty() ? "policy" : path, "expected a mapping");
  const auto* descriptor = message.GetDescriptor();
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const std::string field_path = path.empty() ? key : absl::StrCat(path, ".", key);
    const FieldDescriptor* field = descriptor->FindFieldByName(key);
    if (field == nullptr) return Error(field_path, "unknown field");
    if (descriptor == spillway::v1::Policy::descriptor() && key == "version") {
      return Error(field_path, "is output only");
    }
    if (field->is_map()) return Error(field_path, "map fields are not supported");
    if (field->is_repeated()) {
      message.GetReflection()->ClearField(&message, field);
      if (!entry.second.IsSequence()) return Error(field_path, "expected a list");
      int i = 0;
      for (const auto& element : entry.second) {
        if (absl::Status s =
                SetValue(element, message, field, absl::StrCat(field_path, "[", i++, "]"));
            !s.ok()) {
          return s;
        }
      }
      continue;
    }
    if (absl::Status s = SetValue(entry.second, message, field, field_path); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<spillway::v1::Policy> ParseTree(const YAML::Node& root) {
  spillway::v1::Policy policy = DefaultPolicy();
  if (!root.IsDefined() || root.IsNull()) return policy;
  YAML::Node section = root;
  if (root.IsMap() && root["policy"]) section = root["policy"];  // A whole spillwayd config.
  if (absl::Status s = SetMessage(section, policy, ""); !s.ok()) return s;
  if (absl::Status s = ValidatePolicy(policy); !s.ok()) return s;
  return policy;
}

}  // namespace

absl::StatusOr<spillway::v1::Policy> ParsePolicyYaml(absl::string_view yaml) {
  // yaml-cpp throws; this is the boundary.
  try {
    return ParseTree(YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("policy YAML: ", e.what()));
  }
}

absl::StatusOr<spillway::v1::Policy> LoadPolicyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<spillway::v1::Policy> policy = ParsePolicyYaml(text.str());
  if (!policy.ok()) {
    return absl::Status(policy.status().code(),
                        absl::StrCat(path, ": ", policy.status().message()));
  }
  return policy;
}

absl::Status SetPolicyField(spillway::v1::Policy& policy, const std::string& field,
                            const std::string& value) {
  try {
    YAML::Node node;
    node[field] = YAML::Load(value);
    if (absl::Status s = SetMessage(node, policy, ""); !s.ok()) return s;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", e.what()));
  }
  return ValidatePolicy(policy);
}

}  // namespace sim
}  // namespace spillway
