#include "server/config.h"

#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/message.h"
#include "scheduler/model/job_validation.h"
#include "scheduler/model/policy.h"
#include "yaml-cpp/yaml.h"

namespace spillway {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Walks the YAML tree. Every error names the key path and the line. yaml-cpp only throws from
// YAML::Load and on misuse of nodes; ParseConfig catches both, naming path(): the walker keeps
// the path of the key it is reading.
class Walker {
 public:
  explicit Walker(std::string source) : source_(std::move(source)) {}

  const std::string& path() const { return path_; }

  // "vm_pool.nodes[1].cpu: unknown key (spillwayd.yaml line 7)".
  absl::Status Error(const YAML::Node& node, absl::string_view why) const {
    const std::string where = path_.empty() ? "(top level)" : path_;
    const YAML::Mark mark = node.Mark();
    const std::string at = mark.is_null() ? absl::StrCat(" (", source_, ")")
                                          : absl::StrCat(" (", source_, " line ", mark.line + 1, ")");
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", why, at));
  }

  // Runs `fn(key, value)` for each entry of a mapping (null = empty), with path() extended by the
  // key. Stops at the first error.
  template <typename Fn>
  absl::Status ForEachEntry(const YAML::Node& node, Fn fn) {
    if (node.IsNull()) return absl::OkStatus();
    if (!node.IsMap()) return Error(node, "must be a mapping");
    std::set<std::string> seen;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) return Error(entry.first, "keys must be plain strings");
      const std::string key = entry.first.Scalar();
      PathScope scope(this, path_.empty() ? key : absl::StrCat(path_, ".", key));
      if (!seen.insert(key).second) return Error(entry.first, "duplicate key");
      if (absl::Status s = fn(key, entry.second); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Runs `fn(index, element)` for each element of a sequence (null = empty).
  template <typename Fn>
  absl::Status ForEachElement(const YAML::Node& node, Fn fn) {
    if (node.IsNull()) return absl::OkStatus();
    if (!node.IsSequence()) return Error(node, "must be a list");
    int index = 0;
    for (const auto& element : node) {
      PathScope scope(this, absl::StrCat(path_, "[", index, "]"));
      if (absl::Status s = fn(index, element); !s.ok()) return s;
      ++index;
    }
    return absl::OkStatus();
  }

  absl::Status UnknownKey(const YAML::Node& node) const { return Error(node, "unknown key"); }

  absl::StatusOr<std::string> String(const YAML::Node& node) const {
    if (!node.IsScalar()) return Error(node, "must be a string");
    return node.Scalar();
  }

  absl::StatusOr<int64_t> Int(const YAML::Node& node, int64_t lo, int64_t hi) const {
    int64_t value = 0;
    if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &value)) {
      return Error(node, "must be an integer");
    }
    if (value < lo || value > hi) {
      return Error(node, absl::StrCat(value, " is outside [", lo, ", ", hi, "]"));
    }
    return value;
  }

  absl::StatusOr<uint64_t> Uint(const YAML::Node& node) const {
    uint64_t value = 0;
    if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &value)) {
      return Error(node, "must be a non-negative integer");
    }
    return value;
  }

  absl::StatusOr<double> Double(const YAML::Node& node) const {
    double value = 0;
    if (!node.IsScalar() || !absl::SimpleAtod(node.Scalar(), &value)) {
      return Error(node, "must be a number");
    }
    return value;
  }

  absl::StatusOr<bool> Bool(const YAML::Node& node) const {
    bool value = false;
    if (!node.IsScalar() || !absl::SimpleAtob(node.Scalar(), &value)) {
      return Error(node, "must be true or false");
    }
    return value;
  }

  // "60s", "1m30s", "250ms", "0": non-negative.
  absl::StatusOr<absl::Duration> Duration(const YAML::Node& node) const {
    absl::Duration value;
    if (!node.IsScalar() || !absl::ParseDuration(node.Scalar(), &value)) {
      return Error(node, "must be a duration such as \"60s\", \"1m30s\" or \"250ms\"");
    }
    if (value < absl::ZeroDuration()) return Error(node, "must not be negative");
    if (value == absl::InfiniteDuration()) return Error(node, "must be finite");
    return value;
  }

 private:
  class PathScope {
   public:
    PathScope(Walker* walker, std::string path) : walker_(walker), saved_(walker->path_) {
      walker_->path_ = std::move(path);
    }
    ~PathScope() { walker_->path_ = std::move(saved_); }

   private:
    Walker* walker_;
    std::string saved_;
  };

  std::string source_;
  std::string path_;
};

// --- Protobuf fields by reflection (the policy section) ---

absl::Status SetMessage(Walker& w, const YAML::Node& node, Message& message);

absl::Status SetEnum(Walker& w, const YAML::Node& node, Message& message,
                     const FieldDescriptor* field, bool add) {
  absl::StatusOr<std::string> name = w.String(node);
  if (!name.ok()) return name.status();
  const auto* enum_type = field->enum_type();
  const auto* value = enum_type->FindValueByName(*name);
  if (value == nullptr) {
    // Also accept the suffix: SPREAD for PLACEMENT_STRATEGY_SPREAD.
    std::string upper;
    for (char c : enum_type->name()) {  // PlacementStrategy -> PLACEMENT_STRATEGY_
      if (absl::ascii_isupper(c) && !upper.empty()) upper.push_back('_');
      upper.push_back(absl::ascii_toupper(c));
    }
    value = enum_type->FindValueByName(absl::StrCat(upper, "_", *name));
  }
  if (value == nullptr) {
    std::string names;
    for (int i = 0; i < enum_type->value_count(); ++i) {
      absl::StrAppend(&names, i == 0 ? "" : ", ", enum_type->value(i)->name());
    }
    return w.Error(node, absl::StrCat("unknown value \"", *name, "\" (one of ", names, ")"));
  }
  const Reflection* r = message.GetReflection();
  if (add) {
    r->AddEnumValue(&message, field, value->number());
  } else {
    r->SetEnumValue(&message, field, value->number());
  }
  return absl::OkStatus();
}

// Sets (or, for repeated fields, adds) one value of `field` from `node`.
absl::Status SetValue(Walker& w, const YAML::Node& node, Message& message,
                      const FieldDescriptor* field) {
  const Reflection* r = message.GetReflection();
  const bool add = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      auto v = w.Int(node, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
      if (!v.ok()) return v.status();
      add ? r->AddInt32(&message, field, static_cast<int32_t>(*v))
          : r->SetInt32(&message, field, static_cast<int32_t>(*v));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      auto v = w.Int(node, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
      if (!v.ok()) return v.status();
      add ? r->AddInt64(&message, field, *v) : r->SetInt64(&message, field, *v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      auto v = w.Uint(node);
      if (!v.ok()) return v.status();
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
        if (*v > std::numeric_limits<uint32_t>::max()) return w.Error(node, "too large");
        add ? r->AddUInt32(&message, field, static_cast<uint32_t>(*v))
            : r->SetUInt32(&message, field, static_cast<uint32_t>(*v));
      } else {
        add ? r->AddUInt64(&message, field, *v) : r->SetUInt64(&message, field, *v);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      auto v = w.Double(node);
      if (!v.ok()) return v.status();
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        add ? r->AddDouble(&message, field, *v) : r->SetDouble(&message, field, *v);
      } else {
        add ? r->AddFloat(&message, field, static_cast<float>(*v))
            : r->SetFloat(&message, field, static_cast<float>(*v));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      auto v = w.Bool(node);
      if (!v.ok()) return v.status();
      add ? r->AddBool(&message, field, *v) : r->SetBool(&message, field, *v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      auto v = w.String(node);
      if (!v.ok()) return v.status();
      add ? r->AddString(&message, field, *v) : r->SetString(&message, field, *v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM:
      return SetEnum(w, node, message, field, add);
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* sub = add ? r->AddMessage(&message, field) : r->MutableMessage(&message, field);
      if (sub->GetDescriptor() == google::protobuf::Duration::descriptor()) {
        auto v = w.Duration(node);
        if (!v.ok()) return v.status();
        static_cast<google::protobuf::Duration&>(*sub) = ToProtoDuration(*v);
        return absl::OkStatus();
      }
      sub->Clear();
      return SetMessage(w, node, *sub);
    }
  }
  return w.Error(node, "unsupported field type");
}

// Sets the fields of `message` named by the keys of the mapping `node`.
absl::Status SetMessage(Walker& w, const YAML::Node& node, Message& message) {
  const auto* descriptor = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  return w.ForEachEntry(node, [&](const std::string& key, const YAML::Node& value) {
    const FieldDescriptor* field = descriptor->FindFieldByName(key);
    if (field == nullptr) return w.UnknownKey(value);
    if (descriptor == spillway::v1::Policy::descriptor() && key == "version") {
      return w.Error(value, "is output only (spillwayd numbers policy versions)");
    }
    if (field->is_map()) return w.Error(value, "map fields are not supported here");
    if (field->is_repeated()) {
      r->ClearField(&message, field);  // The file's list replaces the default one.
      return w.ForEachElement(value, [&](int, const YAML::Node& element) {
        return SetValue(w, element, message, field);
      });
    }
    return SetValue(w, value, message, field);
  });
}

// --- The sections ---

absl::Status ParseNode(Walker& w, const YAML::Node& node, NodeConfig& out) {
  bool has_cpu = false;
  bool has_memory = false;
  absl::Status s = w.ForEachEntry(node, [&](const std::string& key, const YAML::Node& value) {
    if (key == "id") {
      auto v = w.String(value);
      if (!v.ok()) return v.status();
      if (absl::Status s = ValidateNodeId("id", *v); !s.ok()) return w.Error(value, s.message());
      out.id = *v;
      return absl::OkStatus();
    }
    if (key == "cpu_millis" || key == "memory_mib") {
      auto v = w.Int(value, 1, int64_t{1} << 40);
      if (!v.ok()) return v.status();
      if (key == "cpu_millis") {
        out.capacity.cpu_millis = *v;
        has_cpu = true;
      } else {
        out.capacity.memory_mib = *v;
        has_memory = true;
      }
      return absl::OkStatus();
    }
    if (key == "labels") {
      return w.ForEachEntry(value, [&](const std::string& label, const YAML::Node& v) {
        if (!IsValidLabelKey(label)) {
          return w.Error(v, "label keys must be 1-63 chars of [A-Za-z0-9._/-]");
        }
        auto text = w.String(v);
        if (!text.ok()) return text.status();
        if (!IsValidLabelValue(*text)) {
          return w.Error(v, "label values must be at most 63 chars of [A-Za-z0-9._/-]");
        }
        out.labels[label] = *text;
        return absl::OkStatus();
      });
    }
    return w.UnknownKey(value);
  });
  if (!s.ok()) return s;
  if (out.id.empty()) return w.Error(node, "id is required");
  if (!has_cpu) return w.Error(node, "cpu_millis is required");
  if (!has_memory) return w.Error(node, "memory_mib is required");
  return absl::OkStatus();
}

absl::Status ParseVmPool(Walker& w, const YAML::Node& node, VmPoolConfig& out) {
  return w.ForEachEntry(node, [&](const std::string& key, const YAML::Node& value) {
    if (key == "start_delay") {
      auto v = w.Duration(value);
      if (!v.ok()) return v.status();
      out.start_delay = *v;
      return absl::OkStatus();
    }
    if (key == "agents") {
      absl::StatusOr<VmPoolAgentsConfig> agents = ParseVmPoolConfig(value);
      if (!agents.ok()) return agents.status();
      out.agents = *agents;
      return absl::OkStatus();
    }
    if (key == "nodes") {
      std::set<std::string> ids;
      return w.ForEachElement(value, [&](int, const YAML::Node& element) {
        NodeConfig node_config;
        if (absl::Status s = ParseNode(w, element, node_config); !s.ok()) return s;
        if (!ids.insert(node_config.id).second) {
          return w.Error(element, absl::StrCat("duplicate node id ", node_config.id));
        }
        out.nodes.push_back(std::move(node_config));
        return absl::OkStatus();
      });
    }
    return w.UnknownKey(value);
  });
}

absl::Status ParseSimulatedAci(Walker& w, const YAML::Node& node, SimulatedAciConfig& out) {
  return w.ForEachEntry(node, [&](const std::string& key, const YAML::Node& value) {
    std::optional<absl::Duration>* duration = nullptr;
    if (key == "start_latency") duration = &out.start_latency;
    if (key == "start_latency_jitter") duration = &out.start_latency_jitter;
    if (key == "delete_latency") duration = &out.delete_latency;
    if (duration != nullptr) {
      auto v = w.Duration(value);
      if (!v.ok()) return v.status();
      *duration = *v;
      return absl::OkStatus();
    }
    if (key == "create_failure_rate") {
      auto v = w.Double(value);
      if (!v.ok()) return v.status();
      if (!(*v >= 0 && *v <= 1)) return w.Error(value, "must be within [0, 1]");
      out.create_failure_rate = *v;
      return absl::OkStatus();
    }
    if (key == "seed") {
      auto v = w.Uint(value);
      if (!v.ok()) return v.status();
      out.seed = *v;
      return absl::OkStatus();
    }
    return w.UnknownKey(value);
  });
}

absl::Status ParseAci(Walker& w, const YAML::Node& node, AciConfig& out) {
  return w.ForEachEntry(node, [&](const std::string& key, const YAML::Node& value) {
    if (key == "simulated") return ParseSimulatedAci(w, value, out.simulated);
    if (key == "arm") {
      absl::StatusOr<AciBackendConfig> arm = ParseAciConfig(value);
      if (!arm.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("aci.arm.", arm.status().message()));
      }
      out.arm = *std::move(arm);
      return absl::OkStatus();
    }
    return w.UnknownKey(value);
  });
}

absl::Status ParsePolicy(Walker& w, const YAML::Node& node, spillway::v1::Policy& out) {
  out = DefaultPolicy();
  if (absl::Status s = SetMessage(w, node, out); !s.ok()) return s;
  if (absl::Status s = ValidatePolicy(out); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("policy.", s.message()));
  }
  return absl::OkStatus();
}

absl::Status ParseTop(Walker& w, const YAML::Node& root, Config& out) {
  if (root.IsNull() || !root.IsDefined()) return absl::OkStatus();  // An empty file.
  return w.ForEachEntry(root, [&](const std::string& key, const YAML::Node& value) {
    if (key == "cluster_name") {
      auto v = w.String(value);
      if (!v.ok()) return v.status();
      if (!IsValidLabelKey(*v)) return w.Error(value, "must be 1-63 chars of [A-Za-z0-9._/-]");
      out.cluster_name = *v;
      return absl::OkStatus();
    }
    if (key == "grpc_address" || key == "data_dir") {
      auto v = w.String(value);
      if (!v.ok()) return v.status();
      if (v->empty()) return w.Error(value, "must not be empty");
      (key == "grpc_address" ? out.grpc_address : out.data_dir) = *v;
      return absl::OkStatus();
    }
    if (key == "vm_pool") return ParseVmPool(w, value, out.vm_pool);
    if (key == "aci") return ParseAci(w, value, out.aci);
    if (key == "policy") return ParsePolicy(w, value, out.policy);
    return w.UnknownKey(value);
  });
}

}  // namespace

absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view source) {
  Config config;
  config.policy = DefaultPolicy();
  Walker walker{std::string(source)};
  // The boundary with yaml-cpp: its exceptions stop here.
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (absl::Status s = ParseTop(walker, root, config); !s.ok()) return s;
  } catch (const YAML::Exception& e) {
    const std::string where = walker.path().empty() ? std::string(source)
                                                    : absl::StrCat(walker.path(), " (", source, ")");
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", e.what()));
  }
  return config;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("error reading config file ", path));
  return ParseConfig(text.str(), path);
}

Config DefaultConfig() {
  absl::StatusOr<Config> config = ParseConfig(kDefaultConfigYaml, "<embedded default>");
  if (!config.ok()) {
    ABSL_RAW_LOG(FATAL, "the embedded default config does not parse: %s",
                 config.status().ToString().c_str());
  }
  return *std::move(config);
}

}  // namespace spillway
