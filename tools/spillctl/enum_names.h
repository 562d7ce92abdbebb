// Proto enum values by their short command-line names: the value name without
// the enum's prefix, lowercase, '_' as '-' (BURST_MODE_VM_ONLY <-> "vm-only",
// PLACEMENT_STRATEGY_BIN_PACK <-> "bin-pack"). Full names are accepted too.
#ifndef SPILLWAY_TOOLS_SPILLCTL_ENUM_NAMES_H_
#define SPILLWAY_TOOLS_SPILLCTL_ENUM_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_enum_reflection.h"

namespace spillway::spillctl {

// Case-insensitive; '-' and '_' are interchangeable. The error lists the short
// names.
absl::StatusOr<int> ParseEnumNumber(
    const google::protobuf::EnumDescriptor& type, absl::string_view text);

// The short name of `number`; the number itself if `type` has no such value.
std::string ShortEnumName(const google::protobuf::EnumDescriptor& type,
                          int number);

// "allowed, vm-only, aci-only": the short names of all values but the zero one.
std::string ShortEnumNames(const google::protobuf::EnumDescriptor& type);

template <typename E>
absl::StatusOr<E> ParseEnum(absl::string_view text) {
  absl::StatusOr<int> number =
      ParseEnumNumber(*google::protobuf::GetEnumDescriptor<E>(), text);
  if (!number.ok()) return number.status();
  return static_cast<E>(*number);
}

template <typename E>
std::string ShortName(E value) {
  return ShortEnumName(*google::protobuf::GetEnumDescriptor<E>(),
                       static_cast<int>(value));
}

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_ENUM_NAMES_H_
