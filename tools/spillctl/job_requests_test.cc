#include "tools/spillctl/job_requests.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/spillctl/proto_matchers.h"

namespace spillway::spillctl {
namespace {

using ::testing::HasSubstr;

ParsedArgs MustParse(const std::vector<std::string>& args,
                     const std::vector<FlagSpec>& specs) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, specs);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.value_or(ParsedArgs());
}

TEST(GetRequestTest, TakesOneJob) {
  absl::StatusOr<v1::GetJobRequest> request =
      BuildGetRequest(MustParse({"j-7"}, {}));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(*request, EqualsProto(std::string(R"pb(id: "j-7")pb")));
  EXPECT_THAT(BuildGetRequest(MustParse({}, {})).status().message(),
              HasSubstr("missing JOB"));
}

TEST(ListOptionsTest, AllFilters) {
  absl::StatusOr<ListOptions> options = BuildListOptions(
      MustParse({"--state", "running", "--backend", "aci", "--label", "team=a",
                 "--label", "env=prod", "--limit", "50", "--all"},
                ListFlagSpecs()));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_THAT(options->request, EqualsProto(std::string(R"pb(
                state: JOB_STATE_RUNNING
                backend: BACKEND_ACI
                label_selector { key: "team" value: "a" }
                label_selector { key: "env" value: "prod" }
                page_size: 50
              )pb")));
  EXPECT_TRUE(options->all_pages);
}

TEST(ListOptionsTest, DefaultsToEverythingOnePage) {
  absl::StatusOr<ListOptions> options =
      BuildListOptions(MustParse({}, ListFlagSpecs()));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_THAT(options->request, EqualsProto(std::string("")));
  EXPECT_FALSE(options->all_pages);
}

TEST(ListOptionsTest, BadValuesNameTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--state", "sleeping"}, "--state: unknown value \"sleeping\""},
      {{"--backend", "gpu"},
       "--backend: unknown value \"gpu\"; want one of vm, aci"},
      {{"--limit", "0"}, "--limit: want an integer in 1..1000"},
      {{"--limit", "1001"}, "--limit: want an integer in 1..1000"},
      {{"--label", "novalue"}, "--label: want KEY=VALUE"},
      {{"running"}, "unexpected argument \"running\""},
  };
  for (const auto& [args, error] : cases) {
    absl::StatusOr<ListOptions> options =
        BuildListOptions(MustParse(args, ListFlagSpecs()));
    ASSERT_FALSE(options.ok()) << args[0];
    EXPECT_THAT(options.status().message(), HasSubstr(error));
  }
}

TEST(CancelRequestTest, JobAndReason) {
  absl::StatusOr<v1::CancelJobRequest> request = BuildCancelRequest(
      MustParse({"j-1", "--reason", "superseded"}, CancelFlagSpecs()));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(
      *request,
      EqualsProto(std::string(R"pb(id: "j-1" reason: "superseded")pb")));
  EXPECT_THAT(
      BuildCancelRequest(MustParse({"--reason", "x"}, CancelFlagSpecs()))
          .status()
          .message(),
      HasSubstr("missing JOB"));
}

TEST(WatchRequestTest, FromAndJob) {
  absl::StatusOr<v1::WatchJobsRequest> request = BuildWatchRequest(
      MustParse({"--from", "120", "--job", "j-3"}, WatchFlagSpecs()));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(*request, EqualsProto(std::string(R"pb(from_revision: 120
                                                     job_id: "j-3")pb")));

  request = BuildWatchRequest(MustParse({}, WatchFlagSpecs()));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(*request, EqualsProto(std::string("from_now: true")));  // Default: only new.

  EXPECT_THAT(BuildWatchRequest(MustParse({"--from", "-1"}, WatchFlagSpecs()))
                  .status()
                  .message(),
              HasSubstr("--from: want an integer"));
}

TEST(LogsRequestTest, JobAndAttempt) {
  absl::StatusOr<v1::GetJobLogsRequest> request =
      BuildLogsRequest(MustParse({"job-00000007", "--attempt", "2"}, LogsFlagSpecs()));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->id(), "job-00000007");
  EXPECT_EQ(request->attempt(), 2);
  EXPECT_THAT(BuildLogsRequest(MustParse({"job-1", "--attempt", "0"}, LogsFlagSpecs()))
                  .status()
                  .message(),
              HasSubstr("--attempt"));
  EXPECT_FALSE(BuildLogsRequest(MustParse({}, LogsFlagSpecs())).ok());
}

}  // namespace
}  // namespace spillway::spillctl
