// Small helpers shared by the gRPC handlers (job_service.cc, admin_service.cc).
#ifndef SPILLWAY_SERVER_HANDLER_SUPPORT_H_
#define SPILLWAY_SERVER_HANDLER_SUPPORT_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rpc/unary_call.h"
#include "server/event_loop.h"

namespace spillway {

// Posts `command` to the loop (or runs it here when the loop is idle: EventLoop::PostOrRun); when
// the loop no longer accepts work, finishes the call with UNAVAILABLE instead.
void PostOrFinish(EventLoop& loop, rpc::UnaryReactor* reactor, EventLoop::Command command);

// Finishes a unary call with `status` mapped to gRPC (status_mapping.h).
void FinishWith(rpc::UnaryReactor* reactor, const absl::Status& status);

// The same from the loop thread: the Finish (serialising and writing the response, which must be
// complete by now) runs off the loop thread, through EventLoop::Reply.
void ReplyWith(EventLoop& loop, rpc::UnaryReactor* reactor, const absl::Status& status);

// Free text from a client (reasons, caller names): at most `max_bytes`, no control characters.
absl::Status ValidateText(absl::string_view field, absl::string_view text, size_t max_bytes);

}  // namespace spillway

#endif  // SPILLWAY_SERVER_HANDLER_SUPPORT_H_
