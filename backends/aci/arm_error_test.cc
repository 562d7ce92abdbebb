#include "backends/aci/arm_error.h"

#include "gtest/gtest.h"

namespace spillway {
namespace {

ArmError Error(int status, const std::string& code) {
  HttpResponse response;
  response.status = status;
  response.body = R"({"error":{"code":")" + code + R"(","message":"m"}})";
  return ParseArmError(response);
}

TEST(ArmErrorTest, ParsesBodyAndRetryAfter) {
  HttpResponse response;
  response.status = 429;
  response.headers["retry-after"] = "17";
  response.body = R"({"error":{"code":"TooManyRequests","message":"slow down"}})";
  const ArmError error = ParseArmError(response);
  EXPECT_EQ(error.code, "TooManyRequests");
  EXPECT_EQ(error.Reason(), "TooManyRequests: slow down");
  EXPECT_EQ(error.retry_after, absl::Seconds(17));
  response.body = "<html>bad gateway</html>";
  response.headers.clear();
  response.status = 502;
  EXPECT_EQ(ParseArmError(response).code, "HttpStatus502");
  EXPECT_EQ(ParseArmError(response).retry_after, absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter(" 5 "), absl::Seconds(5));
}

TEST(ArmErrorTest, Classification) {
  struct Case {
    int status;
    const char* code;
    bool is_create;
    FailureClass want;
  };
  const Case cases[] = {
      {429, "TooManyRequests", true, FailureClass::kRetry},
      {409, "ContainerGroupTransitioning", true, FailureClass::kRetry},
      {409, "ServiceUnavailable", true, FailureClass::kRetry},
      {409, "InsufficientCapacity", true, FailureClass::kRetry},
      {500, "InternalServerError", true, FailureClass::kVerifyThenRetry},
      {503, "ServerTimeout", true, FailureClass::kVerifyThenRetry},
      {503, "ServerTimeout", false, FailureClass::kRetry},
      {504, "GatewayTimeout", false, FailureClass::kRetry},
      {400, "ContainerGroupQuotaReached", true, FailureClass::kFatal},
      {400, "InaccessibleImage", true, FailureClass::kFatal},
      {400, "ResourceSomeRequestsNotSpecified", true, FailureClass::kFatal},
      {400, "ContainerLimitGreaterThanContainerGroupTotalRequest", true, FailureClass::kFatal},
      {403, "AuthorizationFailed", true, FailureClass::kFatal},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ClassifyArmFailure(Error(c.status, c.code), c.is_create), c.want)
        << c.status << " " << c.code << " create=" << c.is_create;
  }
  EXPECT_EQ(ClassifyArmFailure(TransportError(absl::DeadlineExceededError("t")), true),
            FailureClass::kVerifyThenRetry);
  EXPECT_EQ(ClassifyArmFailure(TransportError(absl::UnavailableError("refused")), false),
            FailureClass::kRetry);
  EXPECT_EQ(TransportError(absl::DeadlineExceededError("t")).code, "ClientTimeout");
  EXPECT_TRUE(IsQuotaError(Error(400, "ContainerGroupQuotaReached")));
  EXPECT_TRUE(IsCapacityError(Error(409, "ServiceUnavailable")));
}

}  // namespace
}  // namespace spillway
