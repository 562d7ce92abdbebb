// A bound on the unary calls spillwayd works on at once, across all connections (watch streams are
// not counted: they stay open by design). A call beyond it is answered at once with UNAVAILABLE
// ("overloaded ... retry with backoff") and never reaches the loop: shedding it costs less than
// queueing it, since gRPC's per-call cost grows with the calls in flight (see server/README.md,
// "Overload"). Retrying a SubmitJob is safe with its idempotency key. The per-connection bound is
// HTTP/2's (SpillwaydOptions::max_concurrent_streams); this one holds when many clients flood at
// once, as kube-apiserver's --max-requests-inflight does for HTTP.
#ifndef SPILLWAY_RPC_CALL_LIMITER_H_
#define SPILLWAY_RPC_CALL_LIMITER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>

namespace spillway::rpc {

class CallLimiter {
 public:
  // `max_calls` >= 1.
  explicit CallLimiter(int max_calls) : max_calls_(max_calls) {}

  // Counts a call that just began, until Done(). When `max_calls` were already in progress it is
  // not counted and the answer is false: finish the call with Overloaded(). Thread-safe.
  bool TryStart();
  // The call counted by TryStart is over (gRPC is done with it). Thread-safe.
  void Done() { in_progress_.fetch_sub(1, std::memory_order_relaxed); }

  // UNAVAILABLE, naming --max_calls_in_flight.
  grpc::Status Overloaded() const;

  int in_progress() const { return in_progress_.load(std::memory_order_relaxed); }
  int64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

 private:
  const int max_calls_;
  std::atomic<int> in_progress_{0};
  std::atomic<int64_t> rejected_{0};
};

}  // namespace spillway::rpc

#endif  // SPILLWAY_RPC_CALL_LIMITER_H_
