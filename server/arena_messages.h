// Request and response of a callback unary method on one protobuf arena per call, for
// SetMessageAllocatorFor_<Method>. gRPC's default holder allocates both messages, and protobuf
// then allocates each string, repeated field and map entry of them, on the heap, and frees each
// again when the call is done (a SubmitJob's request and its Job response: dozens of allocations).
// Here they come out of one block inside the holder (one allocation per call; the arena takes more
// blocks only for a larger message) and go with it at once. Handlers must build an arena response
// in place (CopyFrom, mutable_*): moving a heap message into it copies it.
#ifndef SPILLWAY_SERVER_ARENA_MESSAGES_H_
#define SPILLWAY_SERVER_ARENA_MESSAGES_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <cstddef>

namespace spillway {

template <typename Request, typename Response>
class ArenaMessages final : public grpc::MessageAllocator<Request, Response> {
 public:
  // Thread-safe (gRPC calls it from any of its threads).
  grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new Holder; }

 private:
  // Enough for a typical request and response together, so most calls take no second block.
  static constexpr size_t kBlockBytes = 4096;

  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(block_, sizeof(block_)) {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    alignas(16) char block_[kBlockBytes];  // Before arena_: the arena uses it from construction.
    google::protobuf::Arena arena_;
  };
};

}  // namespace spillway

#endif  // SPILLWAY_SERVER_ARENA_MESSAGES_H_
