#include "server/call_limiter.h"

#include "absl/strings/str_cat.h"

namespace spillway {

// Takes the call out of the count once gRPC is done with it (OnDone: after its status was sent or
// the call was cancelled), not at Finish: until then gRPC still holds its state.
class CallLimiter::CountedReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit CountedReactor(std::atomic<int>* in_progress) : in_progress_(in_progress) {}
  void OnDone() override {
    in_progress_->fetch_sub(1, std::memory_order_relaxed);
    delete this;
  }
  // Runs OnDone on the thread that finished the call, as gRPC's own default reactor does, instead
  // of scheduling it on gRPC's executor: that hop cost a context switch and ~5 us per call (closed
  // loop 0.1 -> 1.1 switches per call, 10-30% less throughput). gRPC marks this "not API, for
  // internal reactors with trivial reactions", which OnDone here is: it never blocks.
  bool InternalInlineable() override { return true; }

 private:
  std::atomic<int>* const in_progress_;
};

grpc::ServerUnaryReactor* CallLimiter::Start(bool* admitted) {
  const int before = in_progress_.fetch_add(1, std::memory_order_relaxed);
  auto* reactor = new CountedReactor(&in_progress_);
  *admitted = before < max_calls_;
  if (!*admitted) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    reactor->Finish(grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("spillwayd is overloaded: ", max_calls_,
                     " calls in progress (--max_calls_in_flight); retry with backoff")));
  }
  return reactor;
}

}  // namespace spillway
