#include "tools/spillctl/submit_request.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/spillctl/proto_matchers.h"

namespace spillway::spillctl {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<v1::SubmitJobRequest> Build(
    const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, SubmitFlagSpecs());
  if (!parsed.ok()) return parsed.status();
  return BuildSubmitRequest(*parsed);
}

TEST(BuildSubmitRequestTest, Minimal) {
  absl::StatusOr<v1::SubmitJobRequest> request =
      Build({"--name", "train", "--cpu", "500m", "--memory", "512Mi"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(*request, EqualsProto(std::string(R"pb(spec {
                                                       name: "train"
                                                       cpu_millis: 500
                                                       memory_mib: 512
                                                     })pb")));
  EXPECT_FALSE(
      request->spec().has_max_wait());  // Unset = the policy's default.
}

TEST(BuildSubmitRequestTest, EveryFlag) {
  absl::StatusOr<v1::SubmitJobRequest> request = Build({"--name",
                                                        "etl.nightly",
                                                        "--image",
                                                        "registry/etl:1",
                                                        "--cpu",
                                                        "1.5",
                                                        "--memory",
                                                        "1G",
                                                        "--priority",
                                                        "700",
                                                        "--max-wait",
                                                        "60s",
                                                        "--burst",
                                                        "aci-only",
                                                        "--restart",
                                                        "on-failure",
                                                        "--max-restarts",
                                                        "3",
                                                        "--migratable",
                                                        "--duration",
                                                        "5m",
                                                        "--selector",
                                                        "zone=a",
                                                        "--selector",
                                                        "disk=ssd",
                                                        "--affinity",
                                                        "db",
                                                        "--anti-affinity",
                                                        "etl",
                                                        "--anti-affinity",
                                                        "big",
                                                        "--label",
                                                        "team=data",
                                                        "--env",
                                                        "MODE=full",
                                                        "--secret-env",
                                                        "TOKEN=s3cr=t",
                                                        "--idempotency-key",
                                                        "k-1",
                                                        "--",
                                                        "python",
                                                        "-m",
                                                        "etl",
                                                        "--since",
                                                        "1d"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(*request, EqualsProto(std::string(R"pb(
    spec {
      name: "etl.nightly"
      image: "registry/etl:1"
      command: "python"
      args: [ "-m", "etl", "--since", "1d" ]
      env { name: "MODE" value: "full" }
      env { name: "TOKEN" value: "s3cr=t" secret: true }
      cpu_millis: 1500
      memory_mib: 954
      priority: 700
      max_wait { seconds: 60 }
      burst_mode: BURST_MODE_ACI_ONLY
      restart_policy: RESTART_POLICY_ON_FAILURE
      max_restarts: 3
      migratable: true
      expected_duration { seconds: 300 }
      node_selector { key: "zone" value: "a" }
      node_selector { key: "disk" value: "ssd" }
      affinity: "db"
      anti_affinity: [ "etl", "big" ]
      labels { key: "team" value: "data" }
    }
    idempotency_key: "k-1"
  )pb")));
}

TEST(BuildSubmitRequestTest, ZeroMaxWaitIsSetNotDefault) {
  absl::StatusOr<v1::SubmitJobRequest> request = Build(
      {"--name", "x", "--cpu", "1", "--memory", "1Gi", "--max-wait", "0s"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_TRUE(request->spec().has_max_wait());
  EXPECT_EQ(request->spec().max_wait().seconds(), 0);
}

TEST(BuildSubmitRequestTest, QuietIsNotPartOfTheRequest) {
  absl::StatusOr<v1::SubmitJobRequest> request =
      Build({"-q", "--name", "x", "--cpu", "1", "--memory", "1Gi"});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(*request, EqualsProto(std::string(R"pb(spec {
                                                       name: "x"
                                                       cpu_millis: 1000
                                                       memory_mib: 1024
                                                     })pb")));
}

struct BadSubmitCase {
  std::vector<std::string> extra;  // Appended to a valid command line.
  std::string error;
};

void PrintTo(const BadSubmitCase& c, std::ostream* os) {
  *os << absl::StrJoin(c.extra, " ");
}

class BadSubmitTest : public ::testing::TestWithParam<BadSubmitCase> {};

TEST_P(BadSubmitTest, ErrorNamesTheFlag) {
  std::vector<std::string> args = {"--name", "x"};
  bool has_cpu = false, has_memory = false;
  for (const std::string& arg : GetParam().extra) {
    has_cpu |= arg == "--cpu";
    has_memory |= arg == "--memory";
  }
  if (!has_cpu) args.insert(args.end(), {"--cpu", "1"});
  if (!has_memory) args.insert(args.end(), {"--memory", "1Gi"});
  args.insert(args.end(), GetParam().extra.begin(), GetParam().extra.end());
  absl::StatusOr<v1::SubmitJobRequest> request = Build(args);
  ASSERT_FALSE(request.ok()) << request->ShortDebugString();
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(request.status().message(), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadSubmitTest,
    ::testing::Values(
        BadSubmitCase{{"--cpu", "lots"}, "--cpu: cannot parse \"lots\""},
        BadSubmitCase{{"--memory", "512"}, "--memory: \"512\" needs a unit"},
        BadSubmitCase{{"--priority", "high"},
                      "--priority: want an integer in 0..1000"},
        BadSubmitCase{{"--priority", "1001"},
                      "--priority: want an integer in 0..1000"},
        BadSubmitCase{{"--max-wait", "60"}, "--max-wait: cannot parse \"60\""},
        BadSubmitCase{{"--duration", "-1m"},
                      "--duration: must not be negative"},
        BadSubmitCase{{"--burst", "maybe"},
                      "--burst: unknown value \"maybe\"; want one of "
                      "allowed, vm-only, aci-only"},
        BadSubmitCase{{"--restart", "sometimes"},
                      "--restart: unknown value \"sometimes\""},
        BadSubmitCase{{"--max-restarts", "-1"},
                      "--max-restarts: want an integer"},
        BadSubmitCase{{"--selector", "zone"}, "--selector: want KEY=VALUE"},
        BadSubmitCase{{"--label", "a=1", "--label", "a=2"},
                      "--label: key \"a\" given twice"},
        BadSubmitCase{{"--env", "1X=y"},
                      "--env: \"1X\" is not a variable name"},
        BadSubmitCase{{"--env", "A-B=y"},
                      "--env: \"A-B\" is not a variable name"},
        BadSubmitCase{{"--env", "A=1", "--secret-env", "A=2"},
                      "--secret-env: variable \"A\" given twice"},
        BadSubmitCase{
            {"sleep", "10"},
            "unexpected argument \"sleep\"; put the command after --"},
        BadSubmitCase{{"--migratable=perhaps"}, "--migratable is a switch"}));

TEST(BuildSubmitRequestTest, RequiredFlags) {
  EXPECT_THAT(Build({"--cpu", "1", "--memory", "1Gi"}).status().message(),
              HasSubstr("--name is required"));
  EXPECT_THAT(Build({"--name", "x", "--memory", "1Gi"}).status().message(),
              HasSubstr("--cpu is required"));
  EXPECT_THAT(Build({"--name", "x", "--cpu", "1"}).status().message(),
              HasSubstr("--memory is required"));
}

}  // namespace
}  // namespace spillway::spillctl
