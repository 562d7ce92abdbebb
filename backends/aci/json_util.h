// Exception-free access to nlohmann::json (compiled with JSON_NOEXCEPTION): parse without
// throwing, and read fields only after checking their types.
#ifndef SPILLWAY_BACKENDS_ACI_JSON_UTIL_H_
#define SPILLWAY_BACKENDS_ACI_JSON_UTIL_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/string_view.h"

namespace spillway {

// The parsed document, or a discarded value (is_discarded()) when `text` is not JSON.
nlohmann::json ParseJson(absl::string_view text);

// Member `key` of object `j` if it is an object / array; else nullptr.
const nlohmann::json* JsonObject(const nlohmann::json& j, const char* key);
const nlohmann::json* JsonArray(const nlohmann::json& j, const char* key);
// Member `key` as a string, or "" when absent or not a string.
std::string JsonString(const nlohmann::json& j, const char* key);
// Member `key` as an integer: a JSON number or a decimal string (IMDS sends numbers as strings).
bool JsonInt(const nlohmann::json& j, const char* key, int64_t* out);
// Member `key` as a double (number or numeric string).
bool JsonDouble(const nlohmann::json& j, const char* key, double* out);

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_JSON_UTIL_H_
