// RunCli end to end against in-process fake Spillway services.
#include "tools/spillctl/cli.h"

#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/spillway/v1/admin.grpc.pb.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"
#include "tools/spillctl/proto_matchers.h"

namespace spillway::spillctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

class FakeJobs : public v1::JobService::Service {
 public:
  grpc::Status SubmitJob(grpc::ServerContext*,
                         const v1::SubmitJobRequest* request,
                         v1::SubmitJobResponse* response) override {
    std::lock_guard<std::mutex> lock(mu);
    submits.push_back(*request);
    response->mutable_job()->set_id("j-1");
    *response->mutable_job()->mutable_spec() = request->spec();
    response->mutable_job()->set_state(v1::JOB_STATE_PENDING);
    response->set_created(request->idempotency_key() != "seen");
    return grpc::Status::OK;
  }

  grpc::Status GetJob(grpc::ServerContext*, const v1::GetJobRequest* request,
                      v1::Job* response) override {
    if (request->id() != "j-1") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("job ", request->id(), " not found"));
    }
    response->set_id("j-1");
    response->set_state(v1::JOB_STATE_RUNNING);
    return grpc::Status::OK;
  }

  // Two pages: j-1, j-2 then j-3.
  grpc::Status ListJobs(grpc::ServerContext*,
                        const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override {
    std::lock_guard<std::mutex> lock(mu);
    page_tokens.push_back(request->page_token());
    if (request->page_token().empty()) {
      response->add_jobs()->set_id("j-1");
      response->add_jobs()->set_id("j-2");
      response->set_next_page_token("p2");
    } else {
      response->add_jobs()->set_id("j-3");
    }
    return grpc::Status::OK;
  }

  grpc::Status CancelJob(grpc::ServerContext*,
                         const v1::CancelJobRequest* request,
                         v1::Job* response) override {
    response->set_id(request->id());
    response->set_state(v1::JOB_STATE_CANCELLED);
    response->set_reason(request->reason());
    return grpc::Status::OK;
  }

  grpc::Status WatchJobs(grpc::ServerContext*,
                         const v1::WatchJobsRequest* request,
                         grpc::ServerWriter<v1::JobEvent>* writer) override {
    for (int64_t revision = request->from_revision() + 1;
         revision <= request->from_revision() + 2; ++revision) {
      v1::JobEvent event;
      event.set_revision(revision);
      event.set_job_id("j-1");
      event.set_state(v1::JOB_STATE_RUNNING);
      writer->Write(event);
    }
    return grpc::Status::OK;
  }

  std::mutex mu;
  std::vector<v1::SubmitJobRequest> submits;
  std::vector<std::string> page_tokens;
};

class FakeAdmin : public v1::AdminService::Service {
 public:
  FakeAdmin() {
    policy.set_version(7);
    policy.set_burst_enabled(true);
    policy.set_affinity_weight(30);
  }

  grpc::Status GetPolicy(grpc::ServerContext*, const v1::GetPolicyRequest*,
                         v1::GetPolicyResponse* response) override {
    std::lock_guard<std::mutex> lock(mu);
    *response->mutable_policy() = policy;
    if (bump_version_after_get)
      policy.set_version(policy.version() + 1);  // A racing writer.
    return grpc::Status::OK;
  }

  grpc::Status UpdatePolicy(grpc::ServerContext*,
                            const v1::UpdatePolicyRequest* request,
                            v1::UpdatePolicyResponse* response) override {
    std::lock_guard<std::mutex> lock(mu);
    updates.push_back(*request);
    if (request->expected_version() != policy.version()) {
      return grpc::Status(grpc::StatusCode::ABORTED,
                          "policy changed since version " +
                              std::to_string(request->expected_version()));
    }
    policy = request->policy();
    policy.set_version(policy.version() + 1);
    *response->mutable_policy() = policy;
    response->mutable_change()->set_version(policy.version());
    if (send_diff)
      response->mutable_change()->add_diff(
          "burst_enabled: true -> false (server)");
    return grpc::Status::OK;
  }

  grpc::Status GetCluster(grpc::ServerContext*, const v1::GetClusterRequest*,
                          v1::GetClusterResponse* response) override {
    // Held until the test releases it: the client's deadline must fire first.
    if (cluster_gate != nullptr) cluster_gate->WaitForNotificationWithTimeout(absl::Seconds(30));
    response->set_burst_status("ok");
    response->set_aci_spend_micro_usd(2500000);
    return grpc::Status::OK;
  }

  grpc::Status CordonNode(grpc::ServerContext*, const v1::NodeRequest* request,
                          v1::Node* response) override {
    response->set_id(request->node_id());
    response->set_state(v1::NODE_STATE_CORDONED);
    return grpc::Status::OK;
  }

  std::mutex mu;
  v1::Policy policy;
  bool bump_version_after_get = false;
  bool send_diff = true;
  std::vector<v1::UpdatePolicyRequest> updates;
  absl::Notification* cluster_gate = nullptr;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&jobs_);
    builder.RegisterService(&admin_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Runs spillctl with `args` against the fakes (unless args name a --server).
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    CliEnvironment env;
    env.server_env = address_;
    env.out = &out_;
    env.err = &err_;
    env.now = absl::FromUnixSeconds(1714564800);
    return RunCli(args, env);
  }

  std::vector<std::string> OutLines() const {
    return absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  }

  FakeJobs jobs_;
  FakeAdmin admin_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CliTest, NoArgumentsOrHelpPrintsUsage) {
  EXPECT_EQ(Run({}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("usage: spillctl [global flags] COMMAND"));
  EXPECT_THAT(out_.str(), HasSubstr("  policy set "));
  EXPECT_EQ(Run({"help"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("usage: spillctl [global flags] COMMAND"));
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("usage: spillctl [global flags] COMMAND"));
}

TEST_F(CliTest, HelpForOneCommand) {
  EXPECT_EQ(Run({"help", "policy", "set"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("usage: spillctl policy set FIELD=VALUE"));
  EXPECT_EQ(Run({"list", "--help"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("usage: spillctl list "));
  EXPECT_THAT(out_.str(), HasSubstr("--all"));
  EXPECT_EQ(Run({"help", "policy"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("usage: spillctl policy get\n"));
  EXPECT_THAT(out_.str(), HasSubstr("usage: spillctl policy set FIELD=VALUE"));
  EXPECT_EQ(Run({"help", "frobnicate"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: no command \"frobnicate\""));
}

TEST_F(CliTest, UsageErrorsExitTwoAndSendNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"frobnicate"}, "error: unknown command \"frobnicate\"\n"},
      {{"policy"},
       "error: policy: want `policy get` or `policy set FIELD=VALUE...`\n"},
      {{"policy", "delete"}, "error: unknown command \"policy delete\"\n"},
      {{"submit", "--name", "x", "--cpu", "1", "--memory", "lots"},
       "error: --memory: "},
      {{"submit", "--name", "x", "--memory", "1Gi"},
       "error: --cpu is required\n"},
      {{"list", "--state", "asleep"},
       "error: --state: unknown value \"asleep\""},
      {{"get"}, "error: missing JOB\n"},
      {{"get", "a", "b"}, "error: want one JOB, got extra argument \"b\"\n"},
      {{"cordon"}, "error: missing NODE\n"},
      {{"cluster", "--bogus"}, "error: unknown flag --bogus\n"},
      {{"cluster", "--", "x"}, "error: unexpected --\n"},
      {{"-o", "yaml", "cluster"},
       "error: --output: want table or json, got \"yaml\"\n"},
      {{"cluster", "--timeout", "0s"},
       "error: --timeout: must be more than 0s\n"},
      {{"policy", "set", "version=3"}, "error: version: is output only\n"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Run(c.args), kExitUsage) << c.args[0];
    EXPECT_THAT(err_.str(), StartsWith(c.error));
    EXPECT_THAT(err_.str(), HasSubstr("usage: spillctl"));
    EXPECT_EQ(out_.str(), "");
  }
  EXPECT_THAT(jobs_.submits, IsEmpty());
  EXPECT_THAT(admin_.updates, IsEmpty());
}

TEST_F(CliTest, SubmitPrintsIdThenRow) {
  EXPECT_EQ(Run({"submit", "--name", "train", "--cpu", "2", "--memory", "1Gi",
                 "--label", "team=ml", "--", "sleep", "10"}),
            kExitOk)
      << err_.str();
  ASSERT_EQ(jobs_.submits.size(), 1u);
  EXPECT_THAT(jobs_.submits[0], EqualsProto(std::string(R"pb(
                spec {
                  name: "train"
                  cpu_millis: 2000
                  memory_mib: 1024
                  command: "sleep"
                  args: "10"
                  labels { key: "team" value: "ml" }
                }
              )pb")));
  const std::vector<std::string> lines = OutLines();
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_EQ(lines[0], "j-1");
  EXPECT_THAT(lines[1], StartsWith("ID   NAME   STATE"));
  EXPECT_THAT(lines[2], StartsWith("j-1  train  pending"));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CliTest, SubmitQuietAndIdempotentReplay) {
  EXPECT_EQ(Run({"submit", "-q", "--name", "x", "--cpu", "1", "--memory", "1Gi",
                 "--idempotency-key", "seen"}),
            kExitOk);
  EXPECT_EQ(out_.str(), "j-1\n");
  EXPECT_EQ(err_.str(),
            "note: idempotency key \"seen\" matched existing job j-1\n");
}

TEST_F(CliTest, SubmitJson) {
  EXPECT_EQ(Run({"submit", "--name", "x", "--cpu", "1", "--memory", "1Gi", "-o",
                 "json"}),
            kExitOk);
  EXPECT_EQ(out_.str(),
            "{\"job\":{\"id\":\"j-1\",\"spec\":{\"name\":\"x\",\"cpuMillis\":"
            "\"1000\","
            "\"memoryMib\":\"1024\"},\"state\":\"JOB_STATE_PENDING\"},"
            "\"created\":true}\n");
}

TEST_F(CliTest, ServerErrorExitsOneWithCodeName) {
  EXPECT_EQ(Run({"get", "j-404"}), kExitServerError);
  EXPECT_EQ(err_.str(), "error: NOT_FOUND: job j-404 not found\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CliTest, ListFollowsPagesWithAll) {
  EXPECT_EQ(Run({"list", "--all"}), kExitOk);
  EXPECT_THAT(jobs_.page_tokens, ElementsAre("", "p2"));
  const std::vector<std::string> lines = OutLines();
  ASSERT_EQ(lines.size(), 4u) << out_.str();
  EXPECT_THAT(lines[0], StartsWith("ID "));
  EXPECT_THAT(lines[1], StartsWith("j-1 "));
  EXPECT_THAT(lines[3], StartsWith("j-3 "));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(CliTest, ListOnePageByDefault) {
  EXPECT_EQ(Run({"list"}), kExitOk);
  EXPECT_THAT(jobs_.page_tokens, ElementsAre(""));
  EXPECT_EQ(OutLines().size(), 3u) << out_.str();
  EXPECT_EQ(err_.str(),
            "note: there are more jobs; use --all to list them all\n");
}

TEST_F(CliTest, ListJsonIsOneDocumentPerPage) {
  EXPECT_EQ(Run({"list", "--all", "--output=json"}), kExitOk);
  EXPECT_THAT(OutLines(), ElementsAre("{\"jobs\":[{\"id\":\"j-1\"},{\"id\":\"j-"
                                      "2\"}],\"nextPageToken\":\"p2\"}",
                                      "{\"jobs\":[{\"id\":\"j-3\"}]}"));
}

TEST_F(CliTest, CancelPrintsTheRow) {
  EXPECT_EQ(Run({"cancel", "j-5", "--reason", "dup"}), kExitOk);
  EXPECT_THAT(OutLines().at(1), StartsWith("j-5 "));
  EXPECT_THAT(OutLines().at(1), HasSubstr("cancelled"));
  EXPECT_THAT(OutLines().at(1), HasSubstr("dup"));
}

TEST_F(CliTest, WatchPrintsEachEventUntilTheStreamEnds) {
  EXPECT_EQ(Run({"watch", "--from", "40"}), kExitOk) << err_.str();
  const std::vector<std::string> lines = OutLines();
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_THAT(lines[0], StartsWith("REVISION"));
  EXPECT_THAT(lines[1], StartsWith("41 "));
  EXPECT_THAT(lines[2], StartsWith("42 "));

  EXPECT_EQ(Run({"watch", "-o", "json"}), kExitOk);
  EXPECT_THAT(OutLines(), ElementsAre("{\"revision\":\"1\",\"jobId\":\"j-1\","
                                      "\"state\":\"JOB_STATE_RUNNING\"}",
                                      "{\"revision\":\"2\",\"jobId\":\"j-1\","
                                      "\"state\":\"JOB_STATE_RUNNING\"}"));
}

TEST_F(CliTest, PolicySetIsReadModifyWrite) {
  EXPECT_EQ(Run({"policy", "set", "burst_enabled=false"}), kExitOk)
      << err_.str();
  ASSERT_EQ(admin_.updates.size(), 1u);
  EXPECT_THAT(admin_.updates[0], EqualsProto(std::string(R"pb(
                policy { version: 7 burst_enabled: false affinity_weight: 30 }
                expected_version: 7
              )pb")));
  EXPECT_EQ(out_.str(),
            "policy version 7 -> 8\n"
            "  burst_enabled: true -> false (server)\n");
}

TEST_F(CliTest, PolicySetShowsItsOwnDiffWhenTheServerSendsNone) {
  admin_.send_diff = false;
  EXPECT_EQ(
      Run({"policy", "set", "affinity_weight=50", "placement_strategy=spread"}),
      kExitOk);
  EXPECT_EQ(out_.str(),
            "policy version 7 -> 8\n"
            "  placement_strategy: unspecified -> spread\n"
            "  affinity_weight: 30 -> 50\n");
}

TEST_F(CliTest, PolicySetWithoutChangeSendsNoUpdate) {
  EXPECT_EQ(Run({"policy", "set", "burst_enabled=true"}), kExitOk);
  EXPECT_THAT(admin_.updates, IsEmpty());
  EXPECT_EQ(err_.str(),
            "policy unchanged: version 7 already has these values\n");
}

TEST_F(CliTest, PolicySetLosingARaceIsAborted) {
  admin_.bump_version_after_get = true;
  EXPECT_EQ(Run({"policy", "set", "burst_enabled=false"}), kExitServerError);
  EXPECT_EQ(err_.str(), "error: ABORTED: policy changed since version 7\n");
}

TEST_F(CliTest, GlobalFlagsBeforeOrAfterTheCommand) {
  EXPECT_EQ(Run({"-o", "json", "cluster"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "{\"aciSpendMicroUsd\":\"2500000\",\"burstStatus\":\"ok\"}\n");
  EXPECT_EQ(Run({"cluster", "-o", "json"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "{\"aciSpendMicroUsd\":\"2500000\",\"burstStatus\":\"ok\"}\n");
  EXPECT_EQ(Run({"cluster"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("ACI spend:       $2.50 so far"));
}

TEST_F(CliTest, ServerFlagBeatsTheEnvironment) {
  // Port 1 on loopback refuses connections: the flag, not $SPILLWAY_SERVER, was
  // used.
  EXPECT_EQ(Run({"--server", "127.0.0.1:1", "cordon", "vm-1"}),
            kExitServerError);
  EXPECT_THAT(err_.str(), StartsWith("error: UNAVAILABLE: "));
  EXPECT_THAT(err_.str(), HasSubstr("is spillwayd running at 127.0.0.1:1?"));

  EXPECT_EQ(Run({"cordon", "vm-1"}), kExitOk);
  EXPECT_THAT(OutLines().at(1), StartsWith("vm-1  cordoned"));
}

TEST_F(CliTest, UnaryCallsHaveADeadline) {
  absl::Notification gate;
  admin_.cluster_gate = &gate;
  EXPECT_EQ(Run({"cluster", "--timeout", "100ms"}), kExitServerError);
  EXPECT_THAT(err_.str(), StartsWith("error: DEADLINE_EXCEEDED: "));
  gate.Notify();
}

}  // namespace
}  // namespace spillway::spillctl
