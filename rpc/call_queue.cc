#include "rpc/call_queue.h"

namespace spillway::rpc {

CallQueue::CallQueue(grpc::ServerBuilder& builder) : cq_(builder.AddCompletionQueue()) {}

CallQueue::~CallQueue() { Stop(); }

bool CallQueue::Request(const std::function<void()>& request) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  request();
  return true;
}

void CallQueue::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void CallQueue::Remove() {
  if (live_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  absl::MutexLock lock(&mu_);  // Wakes Stop()'s Await, which re-reads live_ under mu_.
}

void CallQueue::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || draining_) return;
    draining_ = true;
    if (thread_.joinable()) {
      mu_.Await(absl::Condition(
          +[](std::atomic<int64_t>* live) { return live->load(std::memory_order_acquire) == 0; },
          &live_));
    }
    stopping_ = true;
  }
  cq_->Shutdown();
  if (thread_.joinable()) {
    thread_.join();
  } else {
    Run();  // Never started: free what the services asked for.
  }
}

void CallQueue::Run() {
  void* tag = nullptr;
  bool ok = false;
  while (cq_->Next(&tag, &ok)) static_cast<Tag*>(tag)->Proceed(ok);
}

}  // namespace spillway::rpc
