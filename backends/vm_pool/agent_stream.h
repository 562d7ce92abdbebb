// One agent's Connect stream on the server side: a bidi reactor on spillwayd's call queue
// (AgentStream, rpc/server_streams.h) and the handle the backend keeps (AgentLink), which outlives
// the reactor.
//
// Writes are queued and go out one at a time (gRPC allows one outstanding write). The stream is
// finished only when no write is in flight, so the reactor is alive whenever a write is started
// outside the lock. The only gRPC call made while holding the link's mutex is the next read's
// start (the async API never runs a reaction inline, so it cannot re-enter).
#ifndef SPILLWAY_BACKENDS_VM_POOL_AGENT_STREAM_H_
#define SPILLWAY_BACKENDS_VM_POOL_AGENT_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "proto/spillway/v1/agent.grpc.pb.h"
#include "rpc/server_streams.h"

namespace spillway {

class AgentLink;

// What the stream reports to its owner (the backend). Called on the call queue's thread (must not
// block), never with the link's mutex held.
class AgentStreamHandler {
 public:
  virtual ~AgentStreamHandler() = default;
  // A message arrived. A non-OK status ends the stream with that status.
  virtual absl::Status OnAgentMessage(const std::shared_ptr<AgentLink>& link,
                                      const spillway::v1::AgentMessage& message) = 0;
  // The stream is over (client gone, cancelled or finished by us). Called once.
  virtual void OnAgentGone(const std::shared_ptr<AgentLink>& link) = 0;
};

class AgentStream;

class AgentLink {
 public:
  explicit AgentLink(uint64_t id, std::string peer) : id_(id), peer_(std::move(peer)) {}

  // Queues `message` for the agent; false if the stream is closing or gone.
  bool Send(spillway::v1::ControllerMessage message);
  // Finishes the stream with `status` (a write in flight completes first; queued ones are
  // dropped). Idempotent.
  void Close(const absl::Status& status);
  // False once Close() was called or the stream ended.
  bool open() const;

  uint64_t id() const { return id_; }
  const std::string& peer() const { return peer_; }

 private:
  friend class AgentStream;

  const uint64_t id_;
  const std::string peer_;
  mutable absl::Mutex mu_;
  AgentStream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;  // Null once the reactor is done.
  std::deque<spillway::v1::ControllerMessage> queue_ ABSL_GUARDED_BY(mu_);  // front = in flight
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

// The reactor. Deletes itself when done.
class AgentStream final
    : public rpc::BidiReactor<spillway::v1::AgentMessage, spillway::v1::ControllerMessage> {
 public:
  AgentStream(
      rpc::internal::BidiOps<spillway::v1::AgentMessage, spillway::v1::ControllerMessage>* ops,
      AgentStreamHandler* handler, std::shared_ptr<AgentLink> link);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  AgentStreamHandler* const handler_;
  const std::shared_ptr<AgentLink> link_;
  spillway::v1::AgentMessage incoming_;
};

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_VM_POOL_AGENT_STREAM_H_
