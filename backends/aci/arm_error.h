// ARM's error bodies ({"error":{"code","message"}}), Retry-After, and which failures are worth
// retrying. One table (ClassifyArmFailure) decides for every call the backend makes.
#ifndef SPILLWAY_BACKENDS_ACI_ARM_ERROR_H_
#define SPILLWAY_BACKENDS_ACI_ARM_ERROR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/aci/http_client.h"

namespace spillway {

struct ArmError {
  int http_status = 0;  // 0 = no response (transport failure or timeout).
  std::string code;     // e.g. "ContainerGroupQuotaReached"; "" when the body had none.
  std::string message;
  absl::Duration retry_after = absl::ZeroDuration();  // From the Retry-After header; 0 = none.

  // "Code: message" (what TaskFailed carries). Never includes request data.
  std::string Reason() const;
};

// Parses a non-2xx response. Tolerates bodies that are not JSON (code then "HttpStatus<N>").
ArmError ParseArmError(const HttpResponse& response);
// A failure before any ARM status: code "ClientTimeout", "AuthenticationFailed" (no token) or
// "ConnectionFailed".
ArmError TransportError(const absl::Status& status);

// Retry-After in seconds (ARM sends integers); an HTTP date or garbage counts as absent.
absl::Duration ParseRetryAfter(const std::string& value);

enum class FailureClass {
  kRetry,             // 429, 409 transitioning/capacity, and 5xx/timeouts of idempotent calls.
  kVerifyThenRetry,   // A create that got 5xx or no answer: it may have succeeded; GET first.
  kFatal,             // Anything else: fail the attempt with ARM's code and message.
};

// How to treat `error` from a call; `is_create` marks a PUT of a container group.
FailureClass ClassifyArmFailure(const ArmError& error, bool is_create);

// True for quota errors (ContainerGroupQuotaReached and the core-quota variants).
bool IsQuotaError(const ArmError& error);
// True for regional capacity errors (retryable for a while, then fatal with the same code).
bool IsCapacityError(const ArmError& error);

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_ARM_ERROR_H_
