// One completion queue and the one thread that serves every call on it: spillwayd's gRPC
// services run on gRPC's async API through this queue instead of its callback API.
//
// Why one thread: gRPC 1.51's callback API runs calls on at least two "nexting" threads that hand
// the epoll poller role to each other on every call. On one core each hand-off is a wake-up and a
// preemption; a SubmitJob arriving alone cost a no-op server 33 us of CPU that way and 20 us on
// one thread polling one queue (tests/bench/grpc_load_bench, rpc/README.md). Any callback service
// in the process brings the nexting threads back, so every service of spillwayd's server uses
// this queue (rpc/unary_call.h, rpc/server_streams.h, rpc/health_service.h).
//
// Everything that runs on the queue's thread must not block: handlers post their work elsewhere
// (spillwayd's event loop) and finish the call from there.
#ifndef SPILLWAY_RPC_CALL_QUEUE_H_
#define SPILLWAY_RPC_CALL_QUEUE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace spillway::rpc {

// What the queue's thread hands each completion to: the object whose operation completed.
class Tag {
 public:
  virtual ~Tag() = default;
  virtual void Proceed(bool ok) = 0;
};

class CallQueue {
 public:
  // Adds the queue to `builder` (before BuildAndStart).
  explicit CallQueue(grpc::ServerBuilder& builder);
  ~CallQueue();  // Stop()s.

  CallQueue(const CallQueue&) = delete;
  CallQueue& operator=(const CallQueue&) = delete;

  grpc::ServerCompletionQueue* cq() { return cq_.get(); }

  // Runs `request` (a Request<Method> call asking for the next call on this queue) unless the
  // queue is stopping; false if it was not run. Listeners ask for every call through it, so
  // nothing is asked of a queue that is shut down.
  bool Request(const std::function<void()>& request);

  // Starts the thread (after the server started and the services asked for their first calls).
  void Start();

  // After grpc::Server::Shutdown returned: waits until every call object is gone (the server
  // failed the calls asked for and cancelled those in progress; their reactors finish from here
  // or from other threads, so whatever finishes them must still run), then shuts the queue down,
  // drains it and joins the thread. Idempotent.
  void Stop();

  // Call objects (asked-for calls and calls in progress) count themselves from construction to
  // destruction, so that Stop() shuts the queue down only once nothing can start an operation.
  void Add() { live_.fetch_add(1, std::memory_order_relaxed); }
  void Remove();

 private:
  void Run();

  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::thread thread_;
  std::atomic<int64_t> live_{0};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;  // Stop() waits for live_ to reach 0.
};

// Counts a call object as live on `queue` for its lifetime: the first member of every call object,
// so that it is counted until the object's last member is destroyed.
class LiveCall {
 public:
  explicit LiveCall(CallQueue* queue) : queue_(queue) { queue_->Add(); }
  ~LiveCall() { queue_->Remove(); }
  LiveCall(const LiveCall&) = delete;
  LiveCall& operator=(const LiveCall&) = delete;

 private:
  CallQueue* const queue_;
};

// A service served on a CallQueue: registered with the builder, and asking for its first calls
// once the server has started.
class QueueService {
 public:
  virtual ~QueueService() = default;
  virtual grpc::Service* grpc_service() = 0;
  virtual void Listen(CallQueue* queue) = 0;
};

}  // namespace spillway::rpc

#endif  // SPILLWAY_RPC_CALL_QUEUE_H_
