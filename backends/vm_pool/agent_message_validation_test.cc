#include "backends/vm_pool/agent_message_validation.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

using spillway::v1::RegisterRequest;
using spillway::v1::TaskReport;
using ::testing::StartsWith;

RegisterRequest GoodRegister() {
  RegisterRequest r;
  r.set_node_id("vm-1");
  r.mutable_capacity()->set_cpu_millis(2000);
  r.mutable_capacity()->set_memory_mib(4096);
  (*r.mutable_labels())["zone"] = "a";
  auto* t = r.add_tasks();
  t->set_job_id("job-00000001");
  t->set_attempt(1);
  t->set_state(TaskReport::STATE_RUNNING);
  return r;
}

TEST(AgentMessageValidationTest, NodeIds) {
  EXPECT_TRUE(IsValidNodeId("vm-1"));
  EXPECT_TRUE(IsValidNodeId("a.b-c9"));
  EXPECT_FALSE(IsValidNodeId(""));
  EXPECT_FALSE(IsValidNodeId("-vm"));
  EXPECT_FALSE(IsValidNodeId("VM1"));
  EXPECT_FALSE(IsValidNodeId("vm 1"));
  EXPECT_FALSE(IsValidNodeId(std::string(64, 'a')));
}

TEST(AgentMessageValidationTest, RegisterCases) {
  const VmPoolAgentsConfig config;
  EXPECT_TRUE(ValidateRegister(GoodRegister(), config).ok());
  struct Case {
    std::function<void(RegisterRequest&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.set_node_id("Bad Id"); }, "register.node_id"},
      {[](auto& r) { r.mutable_capacity()->set_cpu_millis(0); }, "register.capacity.cpu_millis"},
      {[](auto& r) { r.mutable_capacity()->set_cpu_millis(-5); }, "register.capacity.cpu_millis"},
      {[](auto& r) { r.mutable_capacity()->set_memory_mib(int64_t{1} << 40); },
       "register.capacity.memory_mib"},
      {[](auto& r) { (*r.mutable_labels())["bad key"] = "x"; }, "register.labels"},
      {[](auto& r) { r.mutable_tasks(0)->set_attempt(0); }, "register.tasks[0].attempt"},
      {[](auto& r) { r.mutable_tasks(0)->set_job_id(""); }, "register.tasks[0].job_id"},
      {[](auto& r) { r.mutable_tasks(0)->set_state(TaskReport::STATE_UNSPECIFIED); },
       "register.tasks[0].state"},
      {[](auto& r) { r.mutable_tasks(0)->set_reason(std::string(5000, 'x')); },
       "register.tasks[0].reason"},
      {[](auto& r) { *r.add_tasks() = r.tasks(0); }, "register.tasks[1]"},
  };
  for (const Case& c : cases) {
    RegisterRequest r = GoodRegister();
    c.mutate(r);
    absl::Status s = ValidateRegister(r, config);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(std::string(s.message()), StartsWith(c.field));
  }
}

TEST(AgentMessageValidationTest, TooManyTasksAndOversizedMessages) {
  VmPoolAgentsConfig config;
  config.max_tasks_per_agent = 2;
  config.max_message_bytes = 200;
  RegisterRequest r = GoodRegister();
  for (int i = 2; i <= 3; ++i) {
    auto* t = r.add_tasks();
    t->set_job_id("job-00000001");
    t->set_attempt(i);
    t->set_state(TaskReport::STATE_RUNNING);
  }
  EXPECT_FALSE(ValidateRegister(r, config).ok());
  spillway::v1::AgentMessage big;
  big.mutable_task()->set_reason(std::string(300, 'x'));
  EXPECT_THAT(std::string(ValidateEnvelope(big, config).message()), StartsWith("message"));
  EXPECT_FALSE(ValidateEnvelope(spillway::v1::AgentMessage(), config).ok());
}

}  // namespace
}  // namespace spillway
