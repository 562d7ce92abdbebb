// The one place where absl::Status becomes grpc::Status (and back). Both use the canonical code
// numbers (OK = 0 ... UNAUTHENTICATED = 16), so the code is carried over as is and the message
// is kept; payloads are dropped.
#ifndef SPILLWAY_SERVER_STATUS_MAPPING_H_
#define SPILLWAY_SERVER_STATUS_MAPPING_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace spillway {

grpc::Status ToGrpcStatus(const absl::Status& status);

// For clients and tests that hand gRPC results back to absl-based code.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace spillway

#endif  // SPILLWAY_SERVER_STATUS_MAPPING_H_
