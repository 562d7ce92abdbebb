#include "tools/spillctl/enum_names.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace spillway::spillctl {
namespace {

using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;

// "BURST_MODE_" when the zero value is BURST_MODE_UNSPECIFIED; "" otherwise.
std::string ValuePrefix(const EnumDescriptor& type) {
  const EnumValueDescriptor* zero = type.FindValueByNumber(0);
  constexpr absl::string_view kUnspecified = "UNSPECIFIED";
  if (zero == nullptr || !absl::EndsWith(zero->name(), kUnspecified)) return "";
  return zero->name().substr(0, zero->name().size() - kUnspecified.size());
}

std::string ShortNameOf(const EnumValueDescriptor& value,
                        absl::string_view prefix) {
  absl::string_view name = value.name();
  absl::ConsumePrefix(&name, prefix);
  return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", "-"}});
}

}  // namespace

absl::StatusOr<int> ParseEnumNumber(const EnumDescriptor& type,
                                    absl::string_view text) {
  const std::string wanted =
      absl::StrReplaceAll(absl::AsciiStrToUpper(text), {{"-", "_"}});
  const std::string prefix = ValuePrefix(type);
  if (!wanted.empty()) {
    for (int i = 0; i < type.value_count(); ++i) {
      const EnumValueDescriptor& value = *type.value(i);
      if (value.name() == wanted || value.name() == prefix + wanted)
        return value.number();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown value \"", text, "\"; want one of ", ShortEnumNames(type)));
}

std::string ShortEnumName(const EnumDescriptor& type, int number) {
  const EnumValueDescriptor* value = type.FindValueByNumber(number);
  if (value == nullptr) return absl::StrCat(number);
  return ShortNameOf(*value, ValuePrefix(type));
}

std::string ShortEnumNames(const EnumDescriptor& type) {
  const std::string prefix = ValuePrefix(type);
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() != 0)
      names.push_back(ShortNameOf(*type.value(i), prefix));
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace spillway::spillctl
