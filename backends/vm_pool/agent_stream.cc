#include "backends/vm_pool/agent_stream.h"

#include <utility>

namespace spillway {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

}  // namespace

bool AgentLink::Send(spillway::v1::ControllerMessage message) {
  AgentStream* start_on = nullptr;
  const spillway::v1::ControllerMessage* to_write = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (closing_ || stream_ == nullptr) return false;
    queue_.push_back(std::move(message));
    if (!write_in_flight_) {
      write_in_flight_ = true;
      start_on = stream_;
      to_write = &queue_.front();  // Deque references survive push_back.
    }
  }
  if (start_on != nullptr) start_on->StartWrite(to_write);
  return true;
}

void AgentLink::Close(const absl::Status& status) {
  AgentStream* finish_on = nullptr;
  grpc::Status final_status;
  {
    absl::MutexLock lock(&mu_);
    if (closing_) return;
    closing_ = true;
    final_status_ = ToGrpc(status);
    if (!write_in_flight_ && stream_ != nullptr && !finished_) {
      finished_ = true;
      finish_on = stream_;
      final_status = final_status_;
    }
  }
  if (finish_on != nullptr) finish_on->Finish(final_status);
}

bool AgentLink::open() const {
  absl::MutexLock lock(&mu_);
  return !closing_ && stream_ != nullptr;
}

AgentStream::AgentStream(
    rpc::internal::BidiOps<spillway::v1::AgentMessage, spillway::v1::ControllerMessage>* ops,
    AgentStreamHandler* handler, std::shared_ptr<AgentLink> link)
    : BidiReactor(ops), handler_(handler), link_(std::move(link)) {
  {
    absl::MutexLock lock(&link_->mu_);
    link_->stream_ = this;
  }
  StartRead(&incoming_);
}

void AgentStream::OnReadDone(bool ok) {
  if (!ok) {  // The agent closed its side, the call was cancelled, or the server is stopping.
    link_->Close(absl::OkStatus());
    return;
  }
  absl::Status status = handler_->OnAgentMessage(link_, incoming_);
  if (!status.ok()) {
    link_->Close(status);
    return;
  }
  // Under the link's mutex, so that a Close() on the loop thread either finishes after this read
  // started (the read then fails as the call ends) or keeps it from starting: never a read
  // started after the Finish, which could wait until the call is torn down.
  absl::MutexLock lock(&link_->mu_);
  if (!link_->closing_ && link_->stream_ != nullptr) StartRead(&incoming_);
}

void AgentStream::OnWriteDone(bool ok) {
  const spillway::v1::ControllerMessage* next = nullptr;
  bool finish = false;
  grpc::Status final_status;
  {
    absl::MutexLock lock(&link_->mu_);
    link_->queue_.pop_front();
    if (!ok) link_->closing_ = true;  // The stream broke; reads will fail too.
    if (!link_->closing_ && !link_->queue_.empty()) {
      next = &link_->queue_.front();
    } else {
      link_->write_in_flight_ = false;
      link_->queue_.clear();
      if (link_->closing_ && !link_->finished_) {
        link_->finished_ = true;
        finish = true;
        final_status = link_->final_status_;
      }
    }
  }
  if (next != nullptr) StartWrite(next);
  if (finish) Finish(final_status);
}

void AgentStream::OnDone() {
  {
    absl::MutexLock lock(&link_->mu_);
    link_->stream_ = nullptr;
    link_->closing_ = true;
    link_->queue_.clear();
  }
  handler_->OnAgentGone(link_);
  delete this;
}

}  // namespace spillway
