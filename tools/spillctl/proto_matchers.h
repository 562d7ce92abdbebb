// Test-only: EqualsProto("text format") for gMock.
#ifndef SPILLWAY_TOOLS_SPILLCTL_PROTO_MATCHERS_H_
#define SPILLWAY_TOOLS_SPILLCTL_PROTO_MATCHERS_H_

#include <string>
#include <type_traits>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"

namespace spillway::spillctl {

// Matches a message equal to `text` parsed as the message's own type; explains
// differences.
MATCHER_P(EqualsProto, text, "") {
  std::decay_t<decltype(arg)> expected;
  if (!google::protobuf::TextFormat::ParseFromString(text, &expected)) {
    *result_listener << "the expected text does not parse as "
                     << expected.GetTypeName();
    return false;
  }
  std::string differences;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  const bool equal = differencer.Compare(expected, arg);
  *result_listener << "\n"
                   << differences << "actual: " << arg.ShortDebugString();
  return equal;
}

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_PROTO_MATCHERS_H_
