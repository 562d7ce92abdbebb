// Core events <-> their durable form (wal.proto). Every event type round-trips exactly.
#ifndef SPILLWAY_STORE_EVENT_CODEC_H_
#define SPILLWAY_STORE_EVENT_CODEC_H_

#include "absl/status/statusor.h"
#include "scheduler/core/events.h"
#include "store/wal.pb.h"

namespace spillway {

spillway::store::v1::WalEvent EncodeEvent(const Event& event);
// DATA_LOSS for a record this version cannot read (unknown or missing body).
absl::StatusOr<Event> DecodeEvent(const spillway::store::v1::WalEvent& record);

}  // namespace spillway

#endif  // SPILLWAY_STORE_EVENT_CODEC_H_
