// Percent-encoding for URL paths, queries and form bodies.
#ifndef SPILLWAY_BACKENDS_ACI_URL_H_
#define SPILLWAY_BACKENDS_ACI_URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace spillway {

// Encodes everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string UrlEncode(absl::string_view text);

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_URL_H_
