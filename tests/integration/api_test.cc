// The API's contract over real gRPC: validation at the edge, idempotent submits, cancel on both
// backends, versioned policy updates, listing with filters and pages, health and reflection.
#include "proto/grpc/health/v1/health.grpc.pb.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_cluster.h"

namespace spillway {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ApiTest, BadFieldsAreInvalidArgumentNamingTheField) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok());
  struct Case {
    std::function<void(spillway::v1::JobSpec&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& s) { s.set_cpu_millis(0); }, "spec.cpu_millis"},
      {[](auto& s) { s.set_memory_mib(-5); }, "spec.memory_mib"},
      {[](auto& s) { s.set_cpu_millis(64000); }, "spec.cpu_millis"},
      {[](auto& s) { s.set_name("Bad Name!"); }, "spec.name"},
      {[](auto& s) { s.set_priority(5000); }, "spec.priority"},
      {[](auto& s) { (*s.mutable_node_selector())["bad key!"] = "x"; }, "spec.node_selector"},
  };
  for (const auto& c : cases) {
    auto spec = SimJob("ok", 500, 512, absl::Minutes(1), absl::Minutes(1));
    c.mutate(spec);
    grpc::Status s = cluster.Submit(spec, nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(s.error_message(), StartsWith(c.field));
  }
  // Nothing reached the core.
  EXPECT_EQ(cluster.Revision(), 0);
}

TEST(ApiTest, OversizedMessagesAreRejectedBeforeTheCore) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok());
  auto spec = SimJob("big", 500, 512, absl::Minutes(1), absl::Minutes(1));
  for (int i = 0; i < 200; ++i) spec.add_args(std::string(32 * 1024, 'x'));  // ~6.4 MiB
  grpc::Status s = cluster.Submit(spec, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  // Within the size limit but past the per-argument limit: INVALID_ARGUMENT naming the field.
  spec = SimJob("long-arg", 500, 512, absl::Minutes(1), absl::Minutes(1));
  spec.add_args(std::string(8 * 1024, 'x'));
  s = cluster.Submit(spec, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), StartsWith("spec.args[0]"));
  EXPECT_EQ(cluster.Revision(), 0);
}

TEST(ApiTest, RetriedSubmitReturnsTheSameJob) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok());
  const auto spec = SimJob("once", 500, 512, absl::Minutes(1), absl::Minutes(1));
  std::string a, b;
  ASSERT_TRUE(cluster.Submit(spec, &a, "client-key-1").ok());
  ASSERT_TRUE(cluster.Submit(spec, &b, "client-key-1").ok());
  EXPECT_EQ(a, b);
  cluster.loop().Sync();
  EXPECT_EQ(cluster.pool().RunningTasks(), 1);
}

TEST(ApiTest, SecretsAreNeverEchoed) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok());
  auto spec = SimJob("secret", 500, 512, absl::Minutes(1), absl::Minutes(1));
  auto* env = spec.add_env();
  env->set_name("TOKEN");
  env->set_value("hunter2");
  env->set_secret(true);
  std::string id;
  ASSERT_TRUE(cluster.Submit(spec, &id).ok());
  const spillway::v1::Job job = cluster.Get(id);
  ASSERT_EQ(job.spec().env_size(), 1);
  EXPECT_TRUE(job.spec().env(0).secret());
  EXPECT_EQ(job.spec().env(0).value(), "");
  EXPECT_EQ(job.DebugString().find("hunter2"), std::string::npos);
}

TEST(ApiTest, CancelWorksOnBothBackends) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok());
  std::string vm, aci;
  ASSERT_TRUE(cluster.Submit(SimJob("vm", 1000, 1024, absl::Hours(1), absl::Hours(1)), &vm).ok());
  auto aci_spec = SimJob("aci", 1000, 1024, absl::Hours(1), absl::Hours(1));
  aci_spec.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
  ASSERT_TRUE(cluster.Submit(aci_spec, &aci).ok());
  cluster.Advance(absl::Seconds(30));
  ASSERT_EQ(cluster.Get(vm).state(), spillway::v1::JOB_STATE_RUNNING);
  ASSERT_EQ(cluster.Get(aci).state(), spillway::v1::JOB_STATE_RUNNING);
  ASSERT_EQ(cluster.aci().LiveGroups(), 1);
  ASSERT_EQ(cluster.pool().RunningTasks(), 1);

  for (const std::string& id : {vm, aci}) {
    grpc::ClientContext ctx;
    spillway::v1::CancelJobRequest req;
    req.set_id(id);
    req.set_reason("test");
    spillway::v1::Job job;
    ASSERT_TRUE(cluster.jobs().CancelJob(&ctx, req, &job).ok());
    EXPECT_EQ(job.state(), spillway::v1::JOB_STATE_CANCELLED);
  }
  cluster.loop().Sync();
  EXPECT_EQ(cluster.pool().RunningTasks(), 0);
  EXPECT_EQ(cluster.aci().LiveGroups(), 0);

  grpc::ClientContext ctx;
  spillway::v1::CancelJobRequest req;
  req.set_id("job-99999999");
  spillway::v1::Job job;
  EXPECT_EQ(cluster.jobs().CancelJob(&ctx, req, &job).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(ApiTest, StalePolicyUpdateIsAbortedAndInvalidOneNamesTheField) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok());
  spillway::v1::GetPolicyResponse current;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(cluster.admin().GetPolicy(&ctx, {}, &current).ok());
  }
  const int64_t version = current.policy().version();
  spillway::v1::UpdatePolicyRequest update;
  *update.mutable_policy() = current.policy();
  update.mutable_policy()->set_aci_max_groups(7);
  update.set_expected_version(version);
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-spillway-caller", "alice");
    spillway::v1::UpdatePolicyResponse resp;
    ASSERT_TRUE(cluster.admin().UpdatePolicy(&ctx, update, &resp).ok());
    EXPECT_EQ(resp.policy().version(), version + 1);
    EXPECT_EQ(resp.change().caller(), "alice");
    EXPECT_THAT(resp.change().diff(0), HasSubstr("aci_max_groups: 100 -> 7"));
  }
  {
    grpc::ClientContext ctx;  // Same stale version again.
    spillway::v1::UpdatePolicyResponse resp;
    EXPECT_EQ(cluster.admin().UpdatePolicy(&ctx, update, &resp).error_code(),
              grpc::StatusCode::ABORTED);
  }
  {
    grpc::ClientContext ctx;
    update.set_expected_version(version + 1);
    update.mutable_policy()->set_affinity_weight(1000);
    spillway::v1::UpdatePolicyResponse resp;
    grpc::Status s = cluster.admin().UpdatePolicy(&ctx, update, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("affinity_weight"));
  }
  spillway::v1::GetPolicyResponse after;
  grpc::ClientContext ctx;
  ASSERT_TRUE(cluster.admin().GetPolicy(&ctx, {}, &after).ok());
  EXPECT_EQ(after.policy().aci_max_groups(), 7);
  EXPECT_EQ(after.history_size(), 2);
}

TEST(ApiTest, ListJobsFiltersAndPages) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok());
  for (int i = 0; i < 5; ++i) {
    auto spec = SimJob("listed", 100, 128, absl::Hours(1), absl::Hours(1));
    (*spec.mutable_labels())["team"] = i < 3 ? "red" : "blue";
    ASSERT_TRUE(cluster.Submit(spec, nullptr).ok());
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext ctx;
    spillway::v1::ListJobsRequest req;
    (*req.mutable_label_selector())["team"] = "red";
    req.set_page_size(2);
    req.set_page_token(token);
    spillway::v1::ListJobsResponse resp;
    ASSERT_TRUE(cluster.jobs().ListJobs(&ctx, req, &resp).ok());
    for (const auto& j : resp.jobs()) seen.push_back(j.id());
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen, (std::vector<std::string>{"job-00000001", "job-00000002", "job-00000003"}));
  EXPECT_EQ(pages, 2);
}

TEST(ApiTest, HealthIsServing) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.start_status().ok());
  auto stub = grpc::health::v1::Health::NewStub(cluster.channel());
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(stub->Check(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace spillway
