// Unary methods on a CallQueue (gRPC's async API): each call's request and response live on one
// protobuf arena inside the call object (one allocation per call; more blocks only for a larger
// message), the handler runs on the queue's thread, and the call may be finished from any thread.
#ifndef SPILLWAY_RPC_UNARY_CALL_H_
#define SPILLWAY_RPC_UNARY_CALL_H_

#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>

#include "rpc/call_limiter.h"
#include "rpc/call_queue.h"

namespace spillway::rpc {

// The answering side of a unary call, handed to its handler.
class UnaryReactor {
 public:
  // Sends the response (which must be complete by now) when `status` is OK, else only the status.
  // Exactly once per call, from any thread; the request and response are gone once it returns.
  virtual void Finish(grpc::Status status) = 0;
  // The call's context (client metadata, peer), valid until Finish.
  virtual grpc::ServerContext* context() = 0;

 protected:
  ~UnaryReactor() = default;
};

template <typename Request, typename Response>
struct UnaryMethod {
  // Asks gRPC for the next call: service->Request<Method>(context, request, writer, cq, cq, tag).
  std::function<void(grpc::ServerContext*, Request*, grpc::ServerAsyncResponseWriter<Response>*,
                     grpc::ServerCompletionQueue*, void*)>
      request;
  // Runs on the queue's thread when a call arrived; must not block.
  std::function<void(const Request*, Response*, UnaryReactor*)> handle;
  // Counts every call from its arrival until gRPC is done with it; at the limit a call is answered
  // Overloaded() without reaching `handle`. Null: no limit. Not owned.
  CallLimiter* limiter = nullptr;
};

namespace internal {

template <typename Request, typename Response>
class UnaryCall final : public Tag, public UnaryReactor {
 public:
  using Method = UnaryMethod<Request, Response>;

  static void Listen(CallQueue* queue, std::shared_ptr<const Method> method) {
    auto* call = new UnaryCall(queue, std::move(method));
    const bool asked = queue->Request([call] {
      call->method_->request(&call->context_, call->request_, &call->writer_, call->queue_->cq(),
                             static_cast<Tag*>(call));
    });
    if (!asked) delete call;
  }

  // Arrival, then Finish's completion.
  void Proceed(bool ok) override {
    if (started_ || !ok) {  // Finished (or the call broke), or no call came: the server stops.
      delete this;
      return;
    }
    started_ = true;
    Listen(queue_, method_);  // The method's next call.
    CallLimiter* limiter = method_->limiter;
    if (limiter != nullptr && !limiter->TryStart()) {
      Finish(limiter->Overloaded());
      return;
    }
    counted_ = limiter != nullptr;
    method_->handle(request_, response_, this);
  }

  grpc::ServerContext* context() override { return &context_; }

  void Finish(grpc::Status status) override {
    if (status.ok()) {
      writer_.Finish(*response_, status, static_cast<Tag*>(this));
    } else {
      writer_.FinishWithError(status, static_cast<Tag*>(this));
    }
  }

 private:
  // Enough for a typical request and response together, so most calls take no second block.
  static constexpr size_t kBlockBytes = 4096;

  UnaryCall(CallQueue* queue, std::shared_ptr<const Method> method)
      : live_(queue),
        queue_(queue),
        method_(std::move(method)),
        arena_(block_, sizeof(block_)),
        request_(google::protobuf::Arena::CreateMessage<Request>(&arena_)),
        response_(google::protobuf::Arena::CreateMessage<Response>(&arena_)),
        writer_(&context_) {}

  ~UnaryCall() override {
    if (counted_) method_->limiter->Done();
  }

  LiveCall live_;  // First: destroyed last.
  CallQueue* const queue_;
  const std::shared_ptr<const Method> method_;
  alignas(16) char block_[kBlockBytes];  // Before arena_: the arena uses it from construction.
  google::protobuf::Arena arena_;
  Request* const request_;
  Response* const response_;
  grpc::ServerContext context_;
  grpc::ServerAsyncResponseWriter<Response> writer_;
  bool started_ = false;  // Only the queue's thread reads or writes these two.
  bool counted_ = false;
};

}  // namespace internal

// Serves `method` on `queue`, with `outstanding` calls asked for at once (calls arriving together
// are then matched without waiting for the queue's thread). Call before queue->Start().
template <typename Request, typename Response>
void ListenUnary(CallQueue* queue, UnaryMethod<Request, Response> method, int outstanding = 1) {
  auto shared = std::make_shared<const UnaryMethod<Request, Response>>(std::move(method));
  for (int i = 0; i < outstanding; ++i) {
    internal::UnaryCall<Request, Response>::Listen(queue, shared);
  }
}

// The same for a service derived from the generated AsyncService (`request`: its
// Request<Method>) whose handler is the member function `handle`.
template <typename Service, typename Generated, typename Request, typename Response>
void ListenUnaryMethod(CallQueue* queue, Service* service,
                       void (Generated::*request)(grpc::ServerContext*, Request*,
                                                  grpc::ServerAsyncResponseWriter<Response>*,
                                                  grpc::CompletionQueue*,
                                                  grpc::ServerCompletionQueue*, void*),
                       void (Service::*handle)(const Request*, Response*, UnaryReactor*),
                       CallLimiter* limiter, int outstanding = 1) {
  ListenUnary<Request, Response>(
      queue,
      {[service, request](grpc::ServerContext* context, Request* message,
                          grpc::ServerAsyncResponseWriter<Response>* writer,
                          grpc::ServerCompletionQueue* cq, void* tag) {
         (service->*request)(context, message, writer, cq, cq, tag);
       },
       [service, handle](const Request* message, Response* response, UnaryReactor* reactor) {
         (service->*handle)(message, response, reactor);
       },
       limiter},
      outstanding);
}

}  // namespace spillway::rpc

#endif  // SPILLWAY_RPC_UNARY_CALL_H_
