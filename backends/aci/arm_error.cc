#include "backends/aci/arm_error.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "backends/aci/json_util.h"

namespace spillway {

std::string ArmError::Reason() const {
  if (message.empty()) return code;
  return absl::StrCat(code, ": ", message);
}

absl::Duration ParseRetryAfter(const std::string& value) {
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &seconds) || seconds < 0) {
    return absl::ZeroDuration();
  }
  return absl::Seconds(std::min<int64_t>(seconds, 3600));
}

ArmError ParseArmError(const HttpResponse& response) {
  ArmError error;
  error.http_status = response.status;
  error.retry_after = ParseRetryAfter(response.Header("retry-after"));
  const nlohmann::json body = ParseJson(response.body);
  const nlohmann::json* inner = JsonObject(body, "error");
  if (inner != nullptr) {
    error.code = JsonString(*inner, "code");
    error.message = JsonString(*inner, "message");
  }
  if (error.code.empty()) error.code = absl::StrCat("HttpStatus", response.status);
  return error;
}

ArmError TransportError(const absl::Status& status) {
  ArmError error;
  error.code = absl::IsDeadlineExceeded(status)    ? "ClientTimeout"
               : absl::IsUnauthenticated(status) ? "AuthenticationFailed"
                                                 : "ConnectionFailed";
  error.message = std::string(status.message());
  return error;
}

bool IsQuotaError(const ArmError& error) {
  return error.code == "ContainerGroupQuotaReached" || error.code == "QuotaExceeded" ||
         error.code == "StandardCoresQuotaReached" || error.code == "SpotCoresQuotaReached";
}

bool IsCapacityError(const ArmError& error) {
  return error.code == "InsufficientCapacity" || error.code == "ServiceUnavailable" ||
         error.code == "SkuNotAvailable";
}

FailureClass ClassifyArmFailure(const ArmError& error, bool is_create) {
  const int status = error.http_status;
  if (status == 0) return is_create ? FailureClass::kVerifyThenRetry : FailureClass::kRetry;
  if (status == 429) return FailureClass::kRetry;
  if (status == 409 &&
      (error.code == "ContainerGroupTransitioning" || IsCapacityError(error) ||
       error.code == "Conflict" || error.code == "AnotherOperationInProgress")) {
    return FailureClass::kRetry;
  }
  if (IsCapacityError(error) && status != 400) return FailureClass::kRetry;
  if (status == 500 || status == 502 || status == 503 || status == 504) {
    return is_create ? FailureClass::kVerifyThenRetry : FailureClass::kRetry;
  }
  return FailureClass::kFatal;
}

}  // namespace spillway
