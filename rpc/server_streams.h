// Streaming methods on a CallQueue (gRPC's async API) behind reactors shaped like gRPC's callback
// API's ServerWriteReactor and ServerBidiReactor: the reactor starts operations from any thread,
// one read and one write at a time, and its On* reactions run on the queue's thread (they must not
// block). OnDone comes last, once Finish has completed, the call is over and no operation is in
// flight; the reactor may delete itself there.
#ifndef SPILLWAY_RPC_SERVER_STREAMS_H_
#define SPILLWAY_RPC_SERVER_STREAMS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rpc/call_queue.h"

namespace spillway::rpc {
namespace internal {

template <typename Response>
class WriteOps {
 public:
  virtual void StartWrite(const Response* message) = 0;
  virtual void Finish(grpc::Status status) = 0;

 protected:
  ~WriteOps() = default;
};

template <typename Request, typename Response>
class BidiOps : public WriteOps<Response> {
 public:
  virtual void StartRead(Request* message) = 0;

 protected:
  ~BidiOps() = default;
};

}  // namespace internal

// A server-streaming call's reactor.
template <typename Response>
class WriteReactor {
 public:
  virtual ~WriteReactor() = default;

  // `message` must stay valid until OnWriteDone. One write at a time.
  void StartWrite(const Response* message) { ops_->StartWrite(message); }
  // Once, with no write in flight (also after OnCancel: the call ends only then).
  void Finish(grpc::Status status) { ops_->Finish(std::move(status)); }

  virtual void OnWriteDone(bool /*ok*/) {}
  virtual void OnCancel() {}  // The client cancelled, or the call broke.
  virtual void OnDone() = 0;

 protected:
  explicit WriteReactor(internal::WriteOps<Response>* ops) : ops_(ops) {}

 private:
  internal::WriteOps<Response>* const ops_;
};

// A bidirectional-streaming call's reactor.
template <typename Request, typename Response>
class BidiReactor : public WriteReactor<Response> {
 public:
  // `message` must stay valid until OnReadDone. One read at a time.
  void StartRead(Request* message) { ops_->StartRead(message); }

  // false: the client closed its side, the call was cancelled or the server stops.
  virtual void OnReadDone(bool /*ok*/) {}

 protected:
  explicit BidiReactor(internal::BidiOps<Request, Response>* ops)
      : WriteReactor<Response>(ops), ops_(ops) {}

 private:
  internal::BidiOps<Request, Response>* const ops_;
};

// How to serve a server-streaming method: `request` asks gRPC for the next call
// (service->Request<Method>(context, request, writer, cq, cq, tag)); `start` makes the call's
// reactor once it arrived (on the queue's thread; it may start operations at once).
template <typename Request, typename Response>
struct WriteStreamMethod {
  std::function<void(grpc::ServerContext*, Request*, grpc::ServerAsyncWriter<Response>*,
                     grpc::ServerCompletionQueue*, void*)>
      request;
  std::function<WriteReactor<Response>*(internal::WriteOps<Response>* ops,
                                        grpc::ServerContext* context, const Request* request)>
      start;
};

// The same for a bidirectional-streaming method.
template <typename Request, typename Response>
struct BidiStreamMethod {
  std::function<void(grpc::ServerContext*, grpc::ServerAsyncReaderWriter<Response, Request>*,
                     grpc::ServerCompletionQueue*, void*)>
      request;
  std::function<BidiReactor<Request, Response>*(internal::BidiOps<Request, Response>* ops,
                                                grpc::ServerContext* context)>
      start;
};

namespace internal {

// One streaming call: its context, its responder, and a tag per kind of operation.
template <typename Request, typename Response, bool kBidi>
class StreamCall final : public Tag, public BidiOps<Request, Response> {
 public:
  using Method = std::conditional_t<kBidi, BidiStreamMethod<Request, Response>,
                                    WriteStreamMethod<Request, Response>>;

  static void Listen(CallQueue* queue, std::shared_ptr<const Method> method) {
    auto* call = new StreamCall(queue, std::move(method));
    // Before the call starts; the tag comes once it is over (finished or cancelled).
    call->context_.AsyncNotifyWhenDone(static_cast<Tag*>(&call->call_done_));
    const bool asked = queue->Request([call] {
      if constexpr (kBidi) {
        call->method_->request(&call->context_, &call->responder_, call->queue_->cq(),
                               static_cast<Tag*>(call));
      } else {
        call->method_->request(&call->context_, &call->request_, &call->responder_,
                               call->queue_->cq(), static_cast<Tag*>(call));
      }
    });
    if (!asked) delete call;
  }

  // Arrival.
  void Proceed(bool ok) override {
    if (!ok) {  // No call came (the server stops): no other tag of this call will come either.
      delete this;
      return;
    }
    Listen(queue_, method_);
    if constexpr (kBidi) {
      reactor_ = method_->start(this, &context_);
    } else {
      reactor_ = method_->start(this, &context_, &request_);
    }
    // The completions of anything `start` began come through this thread, so after this.
  }

  void StartRead(Request* message) override {
    if constexpr (kBidi) {
      Started(false);
      responder_.Read(message, static_cast<Tag*>(&read_done_));
    }
  }
  void StartWrite(const Response* message) override {
    Started(false);
    responder_.Write(*message, static_cast<Tag*>(&write_done_));
  }
  void Finish(grpc::Status status) override {
    Started(true);
    responder_.Finish(status, static_cast<Tag*>(&finish_done_));
  }

 private:
  // A tag calling one of the call's reactions.
  class Reaction final : public Tag {
   public:
    Reaction(StreamCall* call, void (StreamCall::*react)(bool)) : call_(call), react_(react) {}
    void Proceed(bool ok) override { (call_->*react_)(ok); }

   private:
    StreamCall* const call_;
    void (StreamCall::*const react_)(bool);
  };

  StreamCall(CallQueue* queue, std::shared_ptr<const Method> method)
      : live_(queue), queue_(queue), method_(std::move(method)), responder_(&context_) {}

  void Started(bool finish) {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
    if (finish) finish_started_ = true;
  }

  void ReadDone(bool ok) {
    if constexpr (kBidi) {
      static_cast<BidiReactor<Request, Response>*>(reactor_)->OnReadDone(ok);
    }
    Ended();
  }
  void WriteDone(bool ok) {
    reactor_->OnWriteDone(ok);
    Ended();
  }
  void FinishDone(bool /*ok*/) { Ended(); }
  void CallDone(bool /*ok*/) {
    if (context_.IsCancelled()) reactor_->OnCancel();
    {
      absl::MutexLock lock(&mu_);
      over_ = true;
    }
    Ended(/*op=*/false);
  }

  // An operation completed (its reaction has run); OnDone once nothing is left.
  void Ended(bool op = true) {
    {
      absl::MutexLock lock(&mu_);
      if (op) --in_flight_;
      if (!over_ || !finish_started_ || in_flight_ > 0) return;
    }
    reactor_->OnDone();
    delete this;
  }

  LiveCall live_;  // First: destroyed last.
  CallQueue* const queue_;
  const std::shared_ptr<const Method> method_;
  grpc::ServerContext context_;
  Request request_;  // Server streaming only.
  std::conditional_t<kBidi, grpc::ServerAsyncReaderWriter<Response, Request>,
                     grpc::ServerAsyncWriter<Response>>
      responder_;
  std::conditional_t<kBidi, BidiReactor<Request, Response>, WriteReactor<Response>>* reactor_ =
      nullptr;
  Reaction read_done_{this, &StreamCall::ReadDone};
  Reaction write_done_{this, &StreamCall::WriteDone};
  Reaction finish_done_{this, &StreamCall::FinishDone};
  Reaction call_done_{this, &StreamCall::CallDone};

  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool finish_started_ ABSL_GUARDED_BY(mu_) = false;
  bool over_ ABSL_GUARDED_BY(mu_) = false;  // The done tag came.
};

}  // namespace internal

// Serves a streaming method on `queue` (before queue->Start()).
template <typename Request, typename Response>
void ListenWriteStream(CallQueue* queue, WriteStreamMethod<Request, Response> method) {
  internal::StreamCall<Request, Response, false>::Listen(
      queue, std::make_shared<const WriteStreamMethod<Request, Response>>(std::move(method)));
}

template <typename Request, typename Response>
void ListenBidiStream(CallQueue* queue, BidiStreamMethod<Request, Response> method) {
  internal::StreamCall<Request, Response, true>::Listen(
      queue, std::make_shared<const BidiStreamMethod<Request, Response>>(std::move(method)));
}

}  // namespace spillway::rpc

#endif  // SPILLWAY_RPC_SERVER_STREAMS_H_
