#include "backends/aci/http_client.h"

#include "absl/strings/ascii.h"

namespace spillway {

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? "" : it->second;
}

}  // namespace spillway
