// spillwayd in-process over real gRPC (loopback, port 0), with a SimulatedClock and no auto-tick:
// the services' validation, status codes, redaction, paging, watching and shutdown.
#include "server/spillwayd.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/grpc_metrics_interceptor.h"
#include "metrics/spillway_metrics.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/spillway/v1/admin.grpc.pb.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

using ::testing::HasSubstr;
using spillway::v1::AdminService;
using spillway::v1::JobService;

spillway::v1::JobSpec Spec(const std::string& name) {
  spillway::v1::JobSpec spec;
  spec.set_name(name);
  spec.set_image("busybox");
  spec.add_command("true");
  spec.set_cpu_millis(500);
  spec.set_memory_mib(256);
  spec.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
  return spec;
}

// A daemon on a free loopback port, on `clock`, ticking only when a test syncs it.
SpillwaydOptions LocalOptions(SimulatedClock* clock) {
  SpillwaydOptions options;
  options.grpc_address = "127.0.0.1:0";
  options.clock = clock;
  options.loop.auto_tick = false;
  return options;
}

// Submits Spec(name) over `stub`.
grpc::Status SubmitOver(JobService::Stub& stub, const std::string& name,
                        spillway::v1::SubmitJobResponse* response) {
  grpc::ClientContext context;
  spillway::v1::SubmitJobRequest request;
  *request.mutable_spec() = Spec(name);
  return stub.SubmitJob(&context, request, response);
}

// Cancels a watch and reads it to its end: its final status.
grpc::Status CancelWatch(grpc::ClientContext& context,
                         grpc::ClientReader<spillway::v1::JobEvent>& reader) {
  context.TryCancel();
  spillway::v1::JobEvent event;
  while (reader.Read(&event)) {
  }
  return reader.Finish();
}

class SpillwaydTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SpillwaydOptions options = LocalOptions(&clock_);
    options.job_service.watch_buffer_events = 64;
    daemon_ = std::make_unique<Spillwayd>(DefaultConfig(), std::move(options));
    ASSERT_TRUE(daemon_->Start().ok());
    daemon_->loop().Sync();  // The simulated nodes register.
    channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
    jobs_ = JobService::NewStub(channel_);
    admin_ = AdminService::NewStub(channel_);
  }

  spillway::v1::SubmitJobResponse MustSubmit(const spillway::v1::JobSpec& spec,
                                             const std::string& key = "") {
    grpc::ClientContext context;
    spillway::v1::SubmitJobRequest request;
    *request.mutable_spec() = spec;
    request.set_idempotency_key(key);
    spillway::v1::SubmitJobResponse response;
    const grpc::Status status = jobs_->SubmitJob(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Submit(const spillway::v1::SubmitJobRequest& request) {
    grpc::ClientContext context;
    spillway::v1::SubmitJobResponse response;
    return jobs_->SubmitJob(&context, request, &response);
  }

  SimulatedClock clock_;
  std::unique_ptr<Spillwayd> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<JobService::Stub> jobs_;
  std::unique_ptr<AdminService::Stub> admin_;
};

TEST_F(SpillwaydTest, SubmitGetAndIdempotencyWithSecretsRedacted) {
  spillway::v1::JobSpec spec = Spec("etl");
  auto* env = spec.add_env();
  env->set_name("TOKEN");
  env->set_value("hunter2");
  env->set_secret(true);
  const auto first = MustSubmit(spec, "key-1");
  EXPECT_TRUE(first.created());
  EXPECT_FALSE(first.job().id().empty());
  EXPECT_EQ(first.job().spec().env(0).value(), "");
  EXPECT_TRUE(first.job().spec().env(0).secret());
  EXPECT_EQ(first.job().idempotency_key(), "key-1");

  const auto again = MustSubmit(spec, "key-1");
  EXPECT_FALSE(again.created());
  EXPECT_EQ(again.job().id(), first.job().id());

  grpc::ClientContext context;
  spillway::v1::GetJobRequest get;
  get.set_id(first.job().id());
  spillway::v1::Job job;
  ASSERT_TRUE(jobs_->GetJob(&context, get, &job).ok());
  EXPECT_EQ(job.id(), first.job().id());
  EXPECT_EQ(job.spec().env(0).value(), "");
  EXPECT_EQ(job.SerializeAsString().find("hunter2"), std::string::npos);
}

TEST_F(SpillwaydTest, SubmitValidationNamesTheField) {
  spillway::v1::SubmitJobRequest request;
  *request.mutable_spec() = Spec("x");
  request.set_idempotency_key("has space");
  grpc::Status s = Submit(request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("idempotency_key"));

  request.set_idempotency_key("");
  request.mutable_spec()->set_cpu_millis(0);
  s = Submit(request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("spec.cpu_millis"));

  // More than any node (2000m) can hold, and VM-only: checked against the live pool.
  request.mutable_spec()->set_cpu_millis(3000);
  s = Submit(request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("spec.cpu_millis"));

  request.clear_spec();
  s = Submit(request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("spec"));
}

TEST_F(SpillwaydTest, GetAndCancelStatuses) {
  grpc::ClientContext c1;
  spillway::v1::GetJobRequest get;
  get.set_id("job-999");
  spillway::v1::Job job;
  EXPECT_EQ(jobs_->GetJob(&c1, get, &job).error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::ClientContext c2;
  get.set_id("Not An Id");
  grpc::Status s = jobs_->GetJob(&c2, get, &job);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("id"));

  grpc::ClientContext c3;
  spillway::v1::CancelJobRequest cancel;
  cancel.set_id("job-999");
  EXPECT_EQ(jobs_->CancelJob(&c3, cancel, &job).error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string id = MustSubmit(Spec("c")).job().id();
  grpc::ClientContext c4;
  cancel.set_id(id);
  cancel.set_reason("changed my mind");
  ASSERT_TRUE(jobs_->CancelJob(&c4, cancel, &job).ok());
  EXPECT_EQ(job.state(), spillway::v1::JOB_STATE_CANCELLED);

  grpc::ClientContext c5;
  cancel.set_reason("bad\nreason");
  s = jobs_->CancelJob(&c5, cancel, &job);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("reason"));
}

TEST_F(SpillwaydTest, ListJobsPagesAndValidates) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(MustSubmit(Spec("l" + std::to_string(i))).job().id());

  spillway::v1::ListJobsRequest request;
  request.set_page_size(2);
  spillway::v1::ListJobsResponse page;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(jobs_->ListJobs(&context, request, &page).ok());
  }
  ASSERT_EQ(page.jobs_size(), 2);
  EXPECT_EQ(page.jobs(0).id(), ids[0]);
  EXPECT_EQ(page.next_page_token(), ids[1]);

  request.set_page_token(page.next_page_token());
  {
    grpc::ClientContext context;
    ASSERT_TRUE(jobs_->ListJobs(&context, request, &page).ok());
  }
  ASSERT_EQ(page.jobs_size(), 1);
  EXPECT_EQ(page.jobs(0).id(), ids[2]);
  EXPECT_EQ(page.next_page_token(), "");

  struct Case {
    spillway::v1::ListJobsRequest request;
    const char* field;
  };
  std::vector<Case> cases(5);
  cases[0].request.set_page_size(1001);
  cases[0].field = "page_size";
  cases[1].request.set_state(static_cast<spillway::v1::JobState>(99));
  cases[1].field = "state";
  cases[2].request.set_backend(static_cast<spillway::v1::Backend>(-1));
  cases[2].field = "backend";
  (*cases[3].request.mutable_label_selector())["bad key!"] = "x";
  cases[3].field = "label_selector[bad key!]";
  cases[4].request.set_page_token("NOT/AN/ID");
  cases[4].field = "page_token";
  for (const Case& c : cases) {
    grpc::ClientContext context;
    const grpc::Status s = jobs_->ListJobs(&context, c.request, &page);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field));
  }
}

TEST_F(SpillwaydTest, WatchReplaysThenStreamsLiveEventsWithoutGaps) {
  const spillway::v1::Job first = MustSubmit(Spec("w0")).job();
  grpc::ClientContext context;
  spillway::v1::WatchJobsRequest request;
  request.set_from_revision(1);  // Replays everything after the first event.
  auto reader = jobs_->WatchJobs(&context, request);
  MustSubmit(Spec("w1"));
  daemon_->loop().AdvanceAndSync(absl::Seconds(5));  // Starting -> running events.

  int64_t head = 0;
  daemon_->loop().RunAndWait([&](LoopContext& ctx) { head = ctx.core().revision(); });
  ASSERT_GT(head, first.revision());
  spillway::v1::JobEvent event;
  for (int64_t want = 2; want <= head; ++want) {
    ASSERT_TRUE(reader->Read(&event)) << "stream ended before revision " << want;
    EXPECT_EQ(event.revision(), want);
  }
  EXPECT_EQ(CancelWatch(context, *reader).error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(SpillwaydTest, WatchFiltersByJobAndRejectsBadRequests) {
  const std::string a = MustSubmit(Spec("a")).job().id();
  MustSubmit(Spec("b"));
  {
    grpc::ClientContext context;
    spillway::v1::WatchJobsRequest request;
    request.set_job_id(a);
    request.set_from_revision(1);
    auto reader = jobs_->WatchJobs(&context, request);
    spillway::v1::JobEvent event;
    ASSERT_TRUE(reader->Read(&event));
    EXPECT_EQ(event.job_id(), a);
    context.TryCancel();
    while (reader->Read(&event)) EXPECT_EQ(event.job_id(), a);
    reader->Finish();
  }
  struct Case {
    int64_t from;
    std::string job_id;
    grpc::StatusCode code;
  };
  const Case cases[] = {
      {-1, "", grpc::StatusCode::INVALID_ARGUMENT},
      {0, "Bad Id", grpc::StatusCode::INVALID_ARGUMENT},
      {1000000, "", grpc::StatusCode::OUT_OF_RANGE},
  };
  for (const Case& c : cases) {
    grpc::ClientContext context;
    spillway::v1::WatchJobsRequest request;
    request.set_from_revision(c.from);
    request.set_job_id(c.job_id);
    auto reader = jobs_->WatchJobs(&context, request);
    spillway::v1::JobEvent event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(reader->Finish().error_code(), c.code) << c.from << " " << c.job_id;
  }
}

TEST_F(SpillwaydTest, UpdatePolicyIsVersionedAndAudited) {
  spillway::v1::GetPolicyResponse current;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin_->GetPolicy(&context, {}, &current).ok());
  }
  const int64_t version = current.policy().version();
  ASSERT_GT(version, 0);

  spillway::v1::UpdatePolicyRequest request;
  *request.mutable_policy() = current.policy();
  request.mutable_policy()->set_aci_max_groups(7);
  request.set_expected_version(version);
  spillway::v1::UpdatePolicyResponse response;
  {
    grpc::ClientContext context;
    context.AddMetadata("x-spillway-caller", "alice");
    const grpc::Status s = admin_->UpdatePolicy(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(response.policy().version(), version + 1);
  EXPECT_EQ(response.policy().aci_max_groups(), 7);
  EXPECT_EQ(response.change().caller(), "alice");
  EXPECT_EQ(response.change().version(), version + 1);

  {  // Stale version.
    grpc::ClientContext context;
    EXPECT_EQ(admin_->UpdatePolicy(&context, request, &response).error_code(),
              grpc::StatusCode::ABORTED);
  }
  {  // Invalid field, named with the "policy." prefix.
    grpc::ClientContext context;
    request.mutable_policy()->set_affinity_weight(500);
    request.set_expected_version(version + 1);
    const grpc::Status s = admin_->UpdatePolicy(&context, request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("policy.affinity_weight"));
  }
  {
    grpc::ClientContext context;
    request.mutable_policy()->set_affinity_weight(10);
    request.set_expected_version(0);
    const grpc::Status s = admin_->UpdatePolicy(&context, request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("expected_version"));
  }
}

TEST_F(SpillwaydTest, ClusterAndNodeOperations) {
  spillway::v1::GetClusterResponse cluster;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin_->GetCluster(&context, {}, &cluster).ok());
  }
  EXPECT_EQ(cluster.nodes_size(), 3);

  spillway::v1::NodeRequest request;
  request.set_node_id("vm-2");
  spillway::v1::Node node;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin_->CordonNode(&context, request, &node).ok());
  }
  EXPECT_EQ(node.id(), "vm-2");
  EXPECT_EQ(node.state(), spillway::v1::NODE_STATE_CORDONED);
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin_->UncordonNode(&context, request, &node).ok());
  }
  EXPECT_EQ(node.state(), spillway::v1::NODE_STATE_READY);
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin_->DrainNode(&context, request, &node).ok());
  }
  EXPECT_EQ(node.state(), spillway::v1::NODE_STATE_DRAINING);
  {
    grpc::ClientContext context;
    request.set_node_id("vm-404");
    EXPECT_EQ(admin_->CordonNode(&context, request, &node).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    request.set_node_id("");
    const grpc::Status s = admin_->DrainNode(&context, request, &node);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("node_id"));
  }
}

TEST_F(SpillwaydTest, OversizedRequestsAreRejectedByGrpc) {
  spillway::v1::SubmitJobRequest request;
  *request.mutable_spec() = Spec("big");
  request.mutable_spec()->add_args(std::string(5 * 1024 * 1024, 'x'));
  EXPECT_EQ(Submit(request).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(SpillwaydTest, SecondDaemonOnTheSamePortFailsToStart) {
  SimulatedClock clock;
  SpillwaydOptions options = LocalOptions(&clock);
  options.grpc_address = daemon_->address();
  Spillwayd second(DefaultConfig(), std::move(options));
  const absl::Status s = second.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  // Its services were registered with the server that failed: a retry is refused, not a crash.
  EXPECT_EQ(second.Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SpillwaydTest, OneConnectionHasAtMostMaxConcurrentStreamsOpen) {
  SimulatedClock clock;
  SpillwaydOptions options = LocalOptions(&clock);
  options.max_concurrent_streams = 2;
  Spillwayd limited(DefaultConfig(), std::move(options));
  ASSERT_TRUE(limited.Start().ok());
  // A call the daemon answers at once (NOT_FOUND), unless it cannot start within `timeout`.
  const auto get = [](JobService::Stub& stub, absl::Duration timeout) {
    grpc::ClientContext context;
    // gRPC deadlines are wall-clock time whatever clock the daemon runs on.
    context.set_deadline(absl::ToChronoTime(RealClock::Get()->Now() + timeout));
    spillway::v1::GetJobRequest request;
    request.set_id("job-none");
    spillway::v1::Job job;
    return stub.GetJob(&context, request, &job).error_code();
  };
  auto stub = JobService::NewStub(
      grpc::CreateChannel(limited.address(), grpc::InsecureChannelCredentials()));
  spillway::v1::SubmitJobResponse submitted;
  ASSERT_TRUE(SubmitOver(*stub, "m", &submitted).ok());

  // Two watch streams fill the connection: a third call on it waits for one of them to end.
  grpc::ClientContext contexts[2];
  std::unique_ptr<grpc::ClientReader<spillway::v1::JobEvent>> readers[2];
  spillway::v1::WatchJobsRequest request;
  request.set_from_revision(0);
  spillway::v1::JobEvent event;
  for (int i = 0; i < 2; ++i) {
    readers[i] = stub->WatchJobs(&contexts[i], request);
    ASSERT_TRUE(readers[i]->Read(&event));  // Open: it replayed the submit.
  }
  EXPECT_EQ(get(*stub, absl::Milliseconds(300)), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The limit is per connection: another client is served meanwhile.
  grpc::ChannelArguments separate;
  separate.SetInt("grpc.use_local_subchannel_pool", 1);
  auto other = JobService::NewStub(
      grpc::CreateCustomChannel(limited.address(), grpc::InsecureChannelCredentials(), separate));
  EXPECT_EQ(get(*other, absl::Seconds(30)), grpc::StatusCode::NOT_FOUND);

  EXPECT_EQ(CancelWatch(contexts[0], *readers[0]).error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(get(*stub, absl::Seconds(30)), grpc::StatusCode::NOT_FOUND);
  CancelWatch(contexts[1], *readers[1]);
}

TEST_F(SpillwaydTest, CallsBeyondMaxCallsInFlightAreTurnedAwayAtOnce) {
  SimulatedClock clock;
  SpillwaydOptions options = LocalOptions(&clock);
  options.max_calls_in_flight = 1;
  SpillwayMetrics metrics;  // What operators see of it.
  options.interceptors.push_back(std::make_unique<GrpcMetricsInterceptorFactory>(&metrics));
  // GetJobLogs holds its call open while it fetches: until the test lets it go.
  absl::Notification fetching;
  absl::Notification release;
  options.job_service.vm_logs = [&](const std::string&, const std::string&,
                                    int) -> absl::StatusOr<std::string> {
    fetching.Notify();
    release.WaitForNotification();
    return std::string("hello\n");
  };
  Spillwayd limited(DefaultConfig(), std::move(options));
  ASSERT_TRUE(limited.Start().ok());
  limited.loop().Sync();  // The simulated nodes register.
  auto stub = JobService::NewStub(
      grpc::CreateChannel(limited.address(), grpc::InsecureChannelCredentials()));
  spillway::v1::SubmitJobResponse first;
  ASSERT_TRUE(SubmitOver(*stub, "held", &first).ok());
  limited.loop().AdvanceAndSync(absl::Seconds(5));  // It runs on a VM node: it has logs.

  grpc::Status logs_status;
  spillway::v1::GetJobLogsResponse logs;
  std::thread held([&] {
    grpc::ClientContext context;
    spillway::v1::GetJobLogsRequest request;
    request.set_id(first.job().id());
    logs_status = stub->GetJobLogs(&context, request, &logs);
  });
  ASSERT_TRUE(fetching.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(limited.calls().in_progress(), 1);

  spillway::v1::SubmitJobResponse response;
  const grpc::Status turned_away = SubmitOver(*stub, "second", &response);
  EXPECT_EQ(turned_away.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(turned_away.error_message(), HasSubstr("overloaded"));
  EXPECT_THAT(turned_away.error_message(), HasSubstr("max_calls_in_flight"));
  EXPECT_EQ(limited.calls().rejected(), 1);
  // Counted before its status was sent: an UNAVAILABLE, which the error-rate alert (ops/) counts.
  EXPECT_THAT(metrics.SerializeText(),
              HasSubstr("spillway_grpc_requests_total{code=\"UNAVAILABLE\",method=\"spillway.v1."
                        "JobService/SubmitJob\"} 1\n"));
  // Nothing of it reached the core: the held job is the only one.
  limited.loop().RunAndWait([](LoopContext& ctx) {
    std::string next;
    EXPECT_EQ(ctx.core().ListJobs(JobFilter{}, "", 100, &next).size(), 1u);
  });

  release.Notify();
  held.join();
  EXPECT_TRUE(logs_status.ok()) << logs_status.error_message();
  EXPECT_EQ(logs.content(), "hello\n");
  // gRPC lets go of a call (OnDone) just after the client has its answer.
  ASSERT_TRUE(PollUntil([&] { return limited.calls().in_progress() == 0; }, absl::Seconds(30),
                        absl::Milliseconds(1)));
  EXPECT_TRUE(SubmitOver(*stub, "third", &response).ok());
  EXPECT_EQ(limited.calls().rejected(), 1);
}

TEST_F(SpillwaydTest, ConnectionAndCallLimitsMustBePositive) {
  for (const std::string field : {"max_concurrent_streams", "max_calls_in_flight"}) {
    SimulatedClock clock;
    SpillwaydOptions options = LocalOptions(&clock);
    (field == "max_calls_in_flight" ? options.max_calls_in_flight
                                    : options.max_concurrent_streams) = 0;
    Spillwayd daemon(DefaultConfig(), std::move(options));
    const absl::Status s = daemon.Start();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(field));
  }
}

TEST_F(SpillwaydTest, ShutdownEndsWatchesWithUnavailable) {
  MustSubmit(Spec("s"));
  grpc::ClientContext context;
  spillway::v1::WatchJobsRequest request;
  request.set_from_revision(1);
  auto reader = jobs_->WatchJobs(&context, request);
  spillway::v1::JobEvent event;
  ASSERT_TRUE(reader->Read(&event));  // The watch is registered.
  daemon_->Shutdown();
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  daemon_->Wait();  // Returns: shutdown is done.
}

TEST_F(SpillwaydTest, HealthWatchSeesNotServingAndEndsAtShutdown) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;  // "": the whole server.
  auto reader = health->Watch(&context, request);
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  request.set_service("spillway.v1.JobService");
  {
    grpc::ClientContext check_context;
    ASSERT_TRUE(health->Check(&check_context, request, &response).ok());
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  std::thread shutdown([this] { daemon_->Shutdown(); });
  // NOT_SERVING first, then the stream ends: the watch does not hold the shutdown's grace.
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  shutdown.join();
}

}  // namespace
}  // namespace spillway
