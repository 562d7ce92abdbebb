#include "rpc/call_limiter.h"

#include "absl/strings/str_cat.h"

namespace spillway::rpc {

bool CallLimiter::TryStart() {
  if (in_progress_.fetch_add(1, std::memory_order_relaxed) < max_calls_) return true;
  in_progress_.fetch_sub(1, std::memory_order_relaxed);
  rejected_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

grpc::Status CallLimiter::Overloaded() const {
  return grpc::Status(
      grpc::StatusCode::UNAVAILABLE,
      absl::StrCat("spillwayd is overloaded: ", max_calls_,
                   " calls in progress (--max_calls_in_flight); retry with backoff"));
}

}  // namespace spillway::rpc
