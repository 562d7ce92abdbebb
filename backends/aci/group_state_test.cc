#include "backends/aci/group_state.h"

#include "backends/aci/json_util.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

GroupVerdict Map(const std::string& text) {
  return MapGroupState(ParseGroupView(ParseJson(text), "main"));
}

TEST(GroupStateTest, PendingIsStarting) {
  EXPECT_EQ(Map(R"({"name":"g","properties":{"provisioningState":"Pending"}})").kind,
            GroupVerdict::Kind::kStarting);
  EXPECT_EQ(Map(R"({"properties":{"provisioningState":"Creating","instanceView":{"state":"Pending"},
      "containers":[{"name":"main","properties":{"instanceView":{"currentState":{"state":"Waiting"}}}}]}})")
                .kind,
            GroupVerdict::Kind::kStarting);
}

TEST(GroupStateTest, Running) {
  const char* text = R"({"properties":{"provisioningState":"Succeeded",
      "instanceView":{"state":"Running"},
      "containers":[{"name":"main","properties":{"instanceView":{"currentState":
      {"state":"Running","startTime":"2026-01-01T00:00:05.000Z"}}}}]}})";
  EXPECT_EQ(Map(text).kind, GroupVerdict::Kind::kRunning);
  const GroupView view = ParseGroupView(ParseJson(text), "main");
  EXPECT_EQ(view.start_time, absl::FromUnixSeconds(1767225605));
}

TEST(GroupStateTest, TerminatedCarriesTheExitCode) {
  const GroupVerdict verdict = Map(R"({"properties":{"provisioningState":"Succeeded",
      "instanceView":{"state":"Failed"},
      "containers":[{"name":"main","properties":{"instanceView":{"currentState":
      {"state":"Terminated","exitCode":3,"detailStatus":"Error"}}}}]}})");
  EXPECT_EQ(verdict.kind, GroupVerdict::Kind::kExited);
  EXPECT_EQ(verdict.exit_code, 3);
  EXPECT_EQ(verdict.reason, "exited with code 3 (Error)");
}

TEST(GroupStateTest, ProvisioningFailedUsesTheWarning) {
  const GroupVerdict verdict = Map(R"({"properties":{"provisioningState":"Failed",
      "instanceView":{"state":"Failed","events":[{"type":"Normal","name":"Pulling","message":"x"},
      {"type":"Warning","name":"InsufficientCapacity","message":"not available"}]}}})");
  EXPECT_EQ(verdict.kind, GroupVerdict::Kind::kFailed);
  EXPECT_EQ(verdict.reason, "InsufficientCapacity: not available");
  EXPECT_EQ(Map(R"({"properties":{"provisioningState":"Failed"}})").reason,
            "ProvisioningFailed: container group provisioning failed");
}

TEST(GroupStateTest, TagsAndGarbage) {
  const GroupView view = ParseGroupView(
      ParseJson(R"({"name":"g","tags":{"spillway-job":"j1","n":3}})"), "main");
  EXPECT_EQ(view.name, "g");
  EXPECT_EQ(view.tags.at("spillway-job"), "j1");
  EXPECT_EQ(view.tags.count("n"), 0u);
  EXPECT_EQ(Map("not json").kind, GroupVerdict::Kind::kStarting);
  EXPECT_EQ(Map(R"({"properties":[1,2]})").kind, GroupVerdict::Kind::kStarting);
}

}  // namespace
}  // namespace spillway
