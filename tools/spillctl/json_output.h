// Response messages as JSON (the proto3 JSON mapping), one document per line.
#ifndef SPILLWAY_TOOLS_SPILLCTL_JSON_OUTPUT_H_
#define SPILLWAY_TOOLS_SPILLCTL_JSON_OUTPUT_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace spillway::spillctl {

// `message` as compact JSON (lowerCamelCase names, enums by name) plus '\n'.
absl::StatusOr<std::string> ToJsonLine(
    const google::protobuf::Message& message);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_JSON_OUTPUT_H_
