#include "backends/aci/json_util.h"

#include "absl/strings/numbers.h"

namespace spillway {

nlohmann::json ParseJson(absl::string_view text) {
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

const nlohmann::json* JsonObject(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return nullptr;
  return &*it;
}

const nlohmann::json* JsonArray(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return nullptr;
  return &*it;
}

std::string JsonString(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

bool JsonInt(const nlohmann::json& j, const char* key, int64_t* out) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  if (it == j.end()) return false;
  if (it->is_number_integer()) {
    *out = it->get<int64_t>();
    return true;
  }
  if (it->is_number()) {
    *out = static_cast<int64_t>(it->get<double>());
    return true;
  }
  if (it->is_string()) return absl::SimpleAtoi(it->get<std::string>(), out);
  return false;
}

bool JsonDouble(const nlohmann::json& j, const char* key, double* out) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  if (it == j.end()) return false;
  if (it->is_number()) {
    *out = it->get<double>();
    return true;
  }
  if (it->is_string()) return absl::SimpleAtod(it->get<std::string>(), out);
  return false;
}

}  // namespace spillway
