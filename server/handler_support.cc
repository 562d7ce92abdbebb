#include "server/handler_support.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace spillway {

void PostOrFinish(EventLoop& loop, rpc::UnaryReactor* reactor, EventLoop::Command command) {
  if (!loop.PostOrRun(std::move(command))) {
    reactor->Finish(ToGrpcStatus(absl::UnavailableError("spillwayd is shutting down")));
  }
}

void FinishWith(rpc::UnaryReactor* reactor, const absl::Status& status) {
  reactor->Finish(ToGrpcStatus(status));
}

void ReplyWith(EventLoop& loop, rpc::UnaryReactor* reactor, const absl::Status& status) {
  loop.Reply([reactor, grpc_status = ToGrpcStatus(status)] { reactor->Finish(grpc_status); });
}

absl::Status ValidateText(absl::string_view field, absl::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": longer than ", max_bytes, " bytes"));
  }
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": contains a control character"));
    }
  }
  return absl::OkStatus();
}

}  // namespace spillway
