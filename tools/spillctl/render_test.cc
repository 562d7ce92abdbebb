#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tools/spillctl/json_output.h"
#include "tools/spillctl/render_admin.h"
#include "tools/spillctl/render_jobs.h"

namespace spillway::spillctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 2024-05-01T12:00:00Z and ten minutes later.
constexpr int64_t kCreateSeconds = 1714564800;
const absl::Time kNow = absl::FromUnixSeconds(kCreateSeconds + 600);

template <typename M>
M FromText(const std::string& text) {
  M message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message))
      << text;
  return message;
}

v1::Job RunningJob() {
  return FromText<v1::Job>(R"pb(
    id: "j-42"
    spec {
      name: "train"
      image: "reg/train:2"
      command: "python"
      args: [ "train.py", "--lr", "0.1 0.2" ]
      env { name: "MODE" value: "fast" }
      env { name: "TOKEN" value: "" secret: true }
      cpu_millis: 1500
      memory_mib: 2048
      priority: 700
      max_wait { seconds: 60 }
      burst_mode: BURST_MODE_ALLOWED
      restart_policy: RESTART_POLICY_ON_FAILURE
      max_restarts: 2
      labels { key: "team" value: "ml" }
      labels { key: "env" value: "dev" }
    }
    state: JOB_STATE_RUNNING
    reason: "started"
    backend: BACKEND_ACI
    aci_group: "spill-j-42-2"
    attempts {
      number: 1
      backend: BACKEND_VM
      node_id: "vm-3"
      state: JOB_STATE_FAILED
      finish_time { seconds: 1714564900 }
      exit_code: 137
      reason: "node lost"
    }
    attempts {
      number: 2
      backend: BACKEND_ACI
      aci_group: "spill-j-42-2"
      state: JOB_STATE_RUNNING
      start_time { seconds: 1714565000 }
      cost_micro_usd: 12150
    }
    history {
      state: JOB_STATE_PENDING
      reason: "no node fits"
      time { seconds: 1714564800 }
      revision: 10
    }
    history {
      state: JOB_STATE_RUNNING
      reason: "started"
      time { seconds: 1714565000 }
      revision: 14
      attempt: 2
    }
    last_decision {
      outcome: "burst"
      message: "VM wait 4m exceeds the 60s budget"
      rejections { key: "cpu" value: 3 }
      rejections { key: "selector" value: 1 }
      rejections { key: "memory" value: 3 }
      predicted_vm_wait { seconds: 240 }
    }
    create_time { seconds: 1714564800 }
    revision: 14
  )pb");
}

TEST(JobTableTest, OneRowPerJob) {
  Table table = NewJobTable();
  AddJobRow(RunningJob(), kNow, &table);
  v1::Job queued;
  queued.set_id("j-43");
  queued.mutable_spec()->set_name("etl");
  queued.mutable_spec()->set_cpu_millis(500);
  queued.mutable_spec()->set_memory_mib(512);
  queued.set_state(v1::JOB_STATE_PENDING);
  AddJobRow(queued, kNow, &table);
  EXPECT_EQ(table.Render(),
            "ID    NAME   STATE    BACKEND  WHERE         CPU    MEMORY  "
            "PRIORITY  ATTEMPTS  AGE"
            "  REASON\n"
            "j-42  train  running  aci      spill-j-42-2  1500m  2Gi     700   "
            "    2         10m"
            "  started\n"
            "j-43  etl    pending  -        -             500m   512Mi   0     "
            "    0         -  "
            "  -\n");
}

TEST(JobDetailsTest, ShowsSpecAttemptsHistoryAndDecision) {
  const std::string details = RenderJobDetails(RunningJob(), kNow);
  EXPECT_THAT(details, HasSubstr("State:              running (started)\n"));
  EXPECT_THAT(
      details,
      HasSubstr("Created:            2024-05-01T12:00:00Z (10m ago)\n"));
  EXPECT_THAT(
      details,
      HasSubstr("Command:            python train.py --lr '0.1 0.2'\n"));
  EXPECT_THAT(details,
              HasSubstr("Resources:          cpu 1500m, memory 2Gi\n"));
  EXPECT_THAT(details,
              HasSubstr("Restart:            on-failure (max 2 restarts)\n"));
  EXPECT_THAT(details,
              HasSubstr("Labels:             env=dev,team=ml\n"));  // Sorted.
  EXPECT_THAT(details,
              HasSubstr("Env:                MODE=fast TOKEN=<secret>\n"));
  EXPECT_THAT(details, HasSubstr("Expected duration:  -\n"));
  // Attempts: the failed VM one shows its exit code, the ACI one its cost.
  EXPECT_THAT(details, HasSubstr("1  vm       vm-3"));
  EXPECT_THAT(details, HasSubstr("137   -"));
  EXPECT_THAT(details, HasSubstr("$0.01215"));
  // History with revisions and reasons.
  EXPECT_THAT(
      details,
      HasSubstr(
          "10        2024-05-01T12:00:00Z  pending  -        no node fits\n"));
  EXPECT_THAT(
      details,
      HasSubstr("14        2024-05-01T12:03:20Z  running  2        started\n"));
  // Decision: rejections, most first, ties by name.
  EXPECT_THAT(details, HasSubstr("Predicted VM wait:  4m\n"));
  EXPECT_THAT(details, HasSubstr("FILTER    NODES REJECTED\n"
                                 "cpu       3\n"
                                 "memory    3\n"
                                 "selector  1\n"));
}

TEST(JobDetailsTest, EmptySections) {
  v1::Job job;
  job.set_id("j-1");
  const std::string details = RenderJobDetails(job, kNow);
  EXPECT_THAT(details, HasSubstr("Command:            (image entrypoint)\n"));
  EXPECT_THAT(details, HasSubstr("Max wait:           policy default\n"));
  EXPECT_THAT(details, HasSubstr("Attempts:\n  none\n"));
  EXPECT_THAT(details, HasSubstr("Last decision:\n  none\n"));
}

TEST(JobEventTest, FixedWidthLine) {
  const v1::JobEvent event = FromText<v1::JobEvent>(R"pb(
    revision: 15
    job_id: "j-42"
    state: JOB_STATE_SUCCEEDED
    reason: "exit 0"
    time { seconds: 1714565000 }
    backend: BACKEND_VM
    node_id: "vm-1"
    attempt: 1
  )pb");
  EXPECT_EQ(RenderJobEvent(event),
            "15         2024-05-01T12:03:20Z j-42                     "
            "succeeded  vm      vm-1"
            "                 1       exit 0\n");
  // The header's columns start where the line's do.
  EXPECT_EQ(JobEventHeader().find("JOB"), RenderJobEvent(event).find("j-42"));
  EXPECT_EQ(JobEventHeader().find("REASON"),
            RenderJobEvent(event).find("exit 0"));
}

v1::GetClusterResponse Cluster() {
  return FromText<v1::GetClusterResponse>(R"pb(
    nodes {
      id: "vm-1"
      state: NODE_STATE_READY
      capacity { cpu_millis: 4000 memory_mib: 16384 }
      allocated { cpu_millis: 1500 memory_mib: 2048 }
      labels { key: "zone" value: "a" }
      job_ids: [ "j-1", "j-2", "j-3", "j-4", "j-5" ]
    }
    nodes {
      id: "vm-2"
      state: NODE_STATE_CORDONED
      capacity { cpu_millis: 4000 memory_mib: 16384 }
    }
    aci_instances {
      group: "spill-j-9-1"
      job_id: "j-9"
      attempt: 1
      state: "running"
      resources { cpu_millis: 2000 memory_mib: 4096 }
      cost_micro_usd: 81000
      create_time { seconds: 1714564800 }
    }
    queue_by_reason { key: "no-fit" value: 2 }
    queue_by_reason { key: "backoff" value: 1 }
    queue_by_reason { key: "aci-quota" value: 2 }
    queue_depth: 5
    aci_spend_micro_usd: 1234567
    aci_spend_rate_micro_usd_per_hour: 99000
    vm_pool_cost_rate_micro_usd_per_hour: 2000000
    burst_status: "blocked: spend budget"
    policy_version: 3
  )pb");
}

TEST(ClusterTest, AllSections) {
  const std::string out = RenderCluster(Cluster(), kNow);
  EXPECT_THAT(
      out,
      HasSubstr("Nodes (2):\n"
                "ID    STATE     CPU      MEMORY    LABELS  JOBS\n"
                "vm-1  ready     1500m/4  2Gi/16Gi  zone=a  j-1,j-2,j-3 +2\n"
                "vm-2  cordoned  0/4      0Mi/16Gi  -       -\n"));
  EXPECT_THAT(
      out,
      HasSubstr(
          "ACI instances (1):\n"
          "GROUP        JOB  ATTEMPT  STATE    CPU  MEMORY  COST    AGE\n"
          "spill-j-9-1  j-9  1        running  2    4Gi     $0.081  10m\n"));
  EXPECT_THAT(out, HasSubstr("Queue (5 pending):\n"
                             "REASON     JOBS\n"
                             "aci-quota  2\n"
                             "no-fit     2\n"
                             "backoff    1\n"));
  EXPECT_THAT(out,
              HasSubstr("ACI spend:       $1.234567 so far, $0.099/h now\n"));
  EXPECT_THAT(out, HasSubstr("VM pool cost:    $2.00/h\n"));
  EXPECT_THAT(out, HasSubstr("Burst:           blocked: spend budget\n"));
  EXPECT_THAT(out, HasSubstr("Policy version:  3\n"));
}

TEST(ClusterTest, Empty) {
  const std::string out = RenderCluster(v1::GetClusterResponse(), kNow);
  EXPECT_THAT(out, HasSubstr("Nodes (0):\n  none\n"));
  EXPECT_THAT(out, HasSubstr("ACI instances (0):\n  none\n"));
  EXPECT_THAT(out, HasSubstr("Queue (0 pending):\n  empty\n"));
}

TEST(NodeTest, OneRow) {
  EXPECT_EQ(RenderNode(Cluster().nodes(1)),
            "ID    STATE     CPU  MEMORY    LABELS  JOBS\n"
            "vm-2  cordoned  0/4  0Mi/16Gi  -       -\n");
}

TEST(PolicyTest, FieldsAndHistory) {
  const v1::GetPolicyResponse response = FromText<v1::GetPolicyResponse>(R"pb(
    policy {
      version: 4
      placement_strategy: PLACEMENT_STRATEGY_SPREAD
      burst_enabled: true
      default_max_wait { seconds: 120 }
      aci_vcpu_hour_micro_usd: 40500
    }
    history {
      version: 4
      time { seconds: 1714564800 }
      caller: "ops"
      diff: [ "burst_enabled: false -> true", "affinity_weight: 10 -> 0" ]
    }
  )pb");
  const std::string out = RenderPolicy(response);
  EXPECT_THAT(out, HasSubstr("FIELD                            VALUE\n"
                             "version                          4\n"
                             "placement_strategy               spread\n"));
  EXPECT_THAT(out, HasSubstr("burst_enabled                    true\n"));
  EXPECT_THAT(out, HasSubstr("default_max_wait                 2m\n"));
  EXPECT_THAT(out,
              HasSubstr("aci_vcpu_hour_micro_usd          40500 ($0.0405)\n"));
  EXPECT_THAT(
      out,
      HasSubstr(
          "VERSION  TIME                  CALLER  CHANGE\n"
          "4        2024-05-01T12:00:00Z  ops     burst_enabled: false -> "
          "true\n"
          "                                       affinity_weight: 10 -> 0\n"));
}

TEST(PolicyUpdateTest, VersionAndDiff) {
  v1::UpdatePolicyResponse response;
  response.mutable_policy()->set_version(5);
  EXPECT_EQ(RenderPolicyUpdate(4, response, {"burst_enabled: true -> false"}),
            "policy version 4 -> 5\n"
            "  burst_enabled: true -> false\n");
}

TEST(JsonTest, OneCompactLine) {
  v1::JobEvent event;
  event.set_revision(15);
  event.set_job_id("j-42");
  event.set_state(v1::JOB_STATE_RUNNING);
  absl::StatusOr<std::string> json = ToJsonLine(event);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json,
            "{\"revision\":\"15\",\"jobId\":\"j-42\",\"state\":\"JOB_STATE_"
            "RUNNING\"}\n");
}

TEST(JsonTest, SecretsStayAsTheServerSentThem) {
  const std::string json = ToJsonLine(RunningJob()).value_or("");
  EXPECT_THAT(json, HasSubstr("\"secret\":true"));
  EXPECT_THAT(json, Not(HasSubstr("\n{")));  // One document, one line.
}

}  // namespace
}  // namespace spillway::spillctl
