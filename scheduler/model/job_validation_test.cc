#include "scheduler/model/job_validation.h"

#include <functional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

using ::spillway::v1::JobSpec;

// Nodes of 8 vCPU / 32 GiB; ACI groups of 4 vCPU / 16 GiB (the policy default).
CapacityLimits Limits() {
  CapacityLimits l;
  l.vm_node_sizes = {{8000, 32768}};
  l.max_aci_group = {4000, 16384};
  l.burst_enabled = true;
  return l;
}

JobSpec ValidSpec() {
  JobSpec s;
  s.set_name("train-1");
  s.set_image("ghcr.io/acme/train:1.0");
  s.add_command("python");
  s.add_command("train.py");
  s.set_cpu_millis(1000);
  s.set_memory_mib(1024);
  s.set_priority(100);
  return s;
}

// The message starts with `field` and then ':' (or '[' / '.', i.e. a more precise sub-field).
::testing::AssertionResult HasFieldPrefix(const absl::Status& s, const std::string& field) {
  if (s.code() != absl::StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure() << "want INVALID_ARGUMENT for " << field << ", got " << s;
  }
  const std::string m(s.message());
  if (!absl::StartsWith(m, field) || m.size() == field.size() || m[field.size()] != ':') {
    return ::testing::AssertionFailure() << "message \"" << m << "\" does not start with \""
                                         << field << ":\"";
  }
  return ::testing::AssertionSuccess();
}

TEST(ValidateJobSpecTest, BaseSpecIsValid) {
  EXPECT_TRUE(ValidateJobSpec(ValidSpec(), Limits()).ok()) << ValidateJobSpec(ValidSpec(), Limits());
}

// ---------------------------------------------------------------------------------------------
// Bad specs: each row mutates the valid base spec and names the exact field in the error.

struct BadSpecCase {
  std::string name;
  std::string field;
  std::function<void(JobSpec&)> mutate;
  std::function<void(CapacityLimits&)> limits = [](CapacityLimits&) {};
};

// Parameterised test output names the row instead of dumping bytes.
void PrintTo(const BadSpecCase& c, std::ostream* os) { *os << c.name; }

class ValidateJobSpecRejectsTest : public ::testing::TestWithParam<BadSpecCase> {};

TEST_P(ValidateJobSpecRejectsTest, InvalidArgumentNamingTheField) {
  JobSpec spec = ValidSpec();
  GetParam().mutate(spec);
  CapacityLimits limits = Limits();
  GetParam().limits(limits);
  EXPECT_TRUE(HasFieldPrefix(ValidateJobSpec(spec, limits), GetParam().field));
}

std::string Repeat(char c, size_t n) { return std::string(n, c); }

INSTANTIATE_TEST_SUITE_P(
    Table, ValidateJobSpecRejectsTest,
    ::testing::Values(
        // spec.name: 1-63 chars of lowercase letters, digits, '-', '.', '_'.
        BadSpecCase{"NameEmpty", "spec.name", [](JobSpec& s) { s.set_name(""); }},
        BadSpecCase{"NameUppercase", "spec.name", [](JobSpec& s) { s.set_name("Train"); }},
        BadSpecCase{"NameSpace", "spec.name", [](JobSpec& s) { s.set_name("train job"); }},
        BadSpecCase{"NameSlash", "spec.name", [](JobSpec& s) { s.set_name("team/train"); }},
        BadSpecCase{"NameNonAscii", "spec.name", [](JobSpec& s) { s.set_name("tr\xc3\xa4in"); }},
        BadSpecCase{"NameTooLong", "spec.name", [](JobSpec& s) { s.set_name(Repeat('a', 64)); }},
        // Enums.
        BadSpecCase{"BurstModeUnknown", "spec.burst_mode",
                    [](JobSpec& s) { s.set_burst_mode(static_cast<spillway::v1::BurstMode>(42)); }},
        BadSpecCase{"RestartPolicyUnknown", "spec.restart_policy",
                    [](JobSpec& s) {
                      s.set_restart_policy(static_cast<spillway::v1::RestartPolicy>(42));
                    }},
        // spec.image: no whitespace; required unless VM-only.
        BadSpecCase{"ImageWithSpace", "spec.image",
                    [](JobSpec& s) { s.set_image("ubuntu latest"); }},
        BadSpecCase{"ImageWithTab", "spec.image",
                    [](JobSpec& s) { s.set_image("ubuntu\t:latest"); }},
        BadSpecCase{"ImageWithNewline", "spec.image",
                    [](JobSpec& s) { s.set_image("ubuntu:latest\n"); }},
        BadSpecCase{"ImageAbsurdlyLong", "spec.image",
                    [](JobSpec& s) { s.set_image(Repeat('a', 10000)); }},
        BadSpecCase{"ImageMissingForBurstAllowed", "spec.image",
                    [](JobSpec& s) { s.clear_image(); }},
        BadSpecCase{"ImageMissingForAciOnly", "spec.image",
                    [](JobSpec& s) {
                      s.clear_image();
                      s.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
                    }},
        // spec.command: required without an image; no NUL; bounded.
        BadSpecCase{"CommandMissingWithoutImage", "spec.command",
                    [](JobSpec& s) {
                      s.clear_image();
                      s.clear_command();
                      s.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
                    }},
        BadSpecCase{"CommandWithNul", "spec.command[1]",
                    [](JobSpec& s) { s.set_command(1, std::string("train\0.py", 9)); }},
        BadSpecCase{"CommandArgumentTooLong", "spec.command[0]",
                    [](JobSpec& s) { s.set_command(0, Repeat('x', 1 << 20)); }},
        BadSpecCase{"CommandTooManyEntries", "spec.command",
                    [](JobSpec& s) {
                      for (int i = 0; i < 10000; ++i) s.add_command("x");
                    }},
        BadSpecCase{"ArgsWithNul", "spec.args[0]",
                    [](JobSpec& s) { s.add_args(std::string("a\0b", 3)); }},
        // spec.env: names [A-Za-z_][A-Za-z0-9_]*, no duplicates, bounded values.
        BadSpecCase{"EnvNameEmpty", "spec.env[0].name", [](JobSpec& s) { s.add_env(); }},
        BadSpecCase{"EnvNameLeadingDigit", "spec.env[0].name",
                    [](JobSpec& s) { s.add_env()->set_name("1PATH"); }},
        BadSpecCase{"EnvNameWithHyphen", "spec.env[1].name",
                    [](JobSpec& s) {
                      s.add_env()->set_name("OK_NAME");
                      s.add_env()->set_name("BAD-NAME");
                    }},
        BadSpecCase{"EnvNameWithEquals", "spec.env[0].name",
                    [](JobSpec& s) { s.add_env()->set_name("A=B"); }},
        BadSpecCase{"EnvNameDuplicate", "spec.env[2].name",
                    [](JobSpec& s) {
                      s.add_env()->set_name("A");
                      s.add_env()->set_name("B");
                      s.add_env()->set_name("A");
                    }},
        BadSpecCase{"EnvValueHuge", "spec.env[0].value",
                    [](JobSpec& s) {
                      auto* e = s.add_env();
                      e->set_name("BLOB");
                      e->set_value(Repeat('v', 1 << 20));
                    }},
        BadSpecCase{"EnvTooManyVariables", "spec.env",
                    [](JobSpec& s) {
                      for (int i = 0; i < 10000; ++i) s.add_env()->set_name(absl::StrCat("V", i));
                    }},
        // spec.cpu_millis / spec.memory_mib: positive, and something must be able to hold it.
        BadSpecCase{"CpuZero", "spec.cpu_millis", [](JobSpec& s) { s.set_cpu_millis(0); }},
        BadSpecCase{"CpuNegative", "spec.cpu_millis", [](JobSpec& s) { s.set_cpu_millis(-500); }},
        BadSpecCase{"CpuMoreThanAnyNodeOrGroup", "spec.cpu_millis",
                    [](JobSpec& s) { s.set_cpu_millis(9000); }},
        BadSpecCase{"CpuAciOnlyMoreThanGroup", "spec.cpu_millis",
                    [](JobSpec& s) {
                      // Would fit a node (8 vCPU) but ACI-only jobs never run there.
                      s.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
                      s.set_cpu_millis(5000);
                    }},
        BadSpecCase{"CpuVmOnlyMoreThanNode", "spec.cpu_millis",
                    [](JobSpec& s) {
                      s.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
                      s.set_cpu_millis(9000);
                    },
                    [](CapacityLimits& l) { l.max_aci_group = {31000, 245760}; }},
        BadSpecCase{"CpuBurstDisabledMoreThanNode", "spec.cpu_millis",
                    [](JobSpec& s) { s.set_cpu_millis(9000); },
                    [](CapacityLimits& l) {
                      l.max_aci_group = {31000, 245760};
                      l.burst_enabled = false;
                    }},
        BadSpecCase{"CpuMoreThanFallbackWhenNoNodes", "spec.cpu_millis",
                    [](JobSpec& s) {
                      s.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
                      s.set_cpu_millis(1000000);  // 1000 vCPU
                    },
                    [](CapacityLimits& l) { l.vm_node_sizes = {}; }},
        BadSpecCase{"MemoryZero", "spec.memory_mib", [](JobSpec& s) { s.set_memory_mib(0); }},
        BadSpecCase{"MemoryNegative", "spec.memory_mib",
                    [](JobSpec& s) { s.set_memory_mib(-1); }},
        BadSpecCase{"MemoryMoreThanAnyNodeOrGroup", "spec.memory_mib",
                    [](JobSpec& s) { s.set_memory_mib(40000); }},
        BadSpecCase{"MemoryAciOnlyMoreThanGroup", "spec.memory_mib",
                    [](JobSpec& s) {
                      s.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
                      s.set_memory_mib(20000);
                    }},
        // spec.priority: 0..1000.
        BadSpecCase{"PriorityNegative", "spec.priority", [](JobSpec& s) { s.set_priority(-1); }},
        BadSpecCase{"PriorityAbove1000", "spec.priority", [](JobSpec& s) { s.set_priority(1001); }},
        // spec.max_wait / spec.expected_duration: non-negative.
        BadSpecCase{"MaxWaitNegative", "spec.max_wait",
                    [](JobSpec& s) { s.mutable_max_wait()->set_seconds(-1); }},
        BadSpecCase{"MaxWaitNegativeNanos", "spec.max_wait",
                    [](JobSpec& s) { s.mutable_max_wait()->set_nanos(-1); }},
        BadSpecCase{"MaxWaitAYear", "spec.max_wait",
                    [](JobSpec& s) { s.mutable_max_wait()->set_seconds(365 * 24 * 3600); }},
        BadSpecCase{"ExpectedDurationNegative", "spec.expected_duration",
                    [](JobSpec& s) { s.mutable_expected_duration()->set_seconds(-60); }},
        // spec.max_restarts.
        BadSpecCase{"MaxRestartsNegative", "spec.max_restarts",
                    [](JobSpec& s) { s.set_max_restarts(-1); }},
        BadSpecCase{"MaxRestartsAbsurd", "spec.max_restarts",
                    [](JobSpec& s) { s.set_max_restarts(1000000); }},
        // spec.node_selector: keys 1-63 of [A-Za-z0-9._/-], values at most 63 of the same.
        BadSpecCase{"NodeSelectorKeyWithSpace", "spec.node_selector[bad key]",
                    [](JobSpec& s) { (*s.mutable_node_selector())["bad key"] = "x"; }},
        BadSpecCase{"NodeSelectorKeyEmpty", "spec.node_selector[]",
                    [](JobSpec& s) { (*s.mutable_node_selector())[""] = "x"; }},
        BadSpecCase{"NodeSelectorKeyTooLong", "spec.node_selector[" + Repeat('k', 64) + "]",
                    [](JobSpec& s) { (*s.mutable_node_selector())[Repeat('k', 64)] = "x"; }},
        BadSpecCase{"NodeSelectorValueWithSpace", "spec.node_selector[zone]",
                    [](JobSpec& s) { (*s.mutable_node_selector())["zone"] = "eu west"; }},
        BadSpecCase{"NodeSelectorOnAciOnlyJob", "spec.node_selector",
                    [](JobSpec& s) {
                      s.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
                      (*s.mutable_node_selector())["zone"] = "eu";
                    }},
        // spec.labels.
        BadSpecCase{"LabelKeyNonAscii", "spec.labels[t\xc3\xa9\x61m]",
                    [](JobSpec& s) { (*s.mutable_labels())["t\xc3\xa9\x61m"] = "a"; }},
        BadSpecCase{"LabelValueTooLong", "spec.labels[team]",
                    [](JobSpec& s) { (*s.mutable_labels())["team"] = Repeat('v', 64); }},
        BadSpecCase{"LabelValueWithColon", "spec.labels[team]",
                    [](JobSpec& s) { (*s.mutable_labels())["team"] = "a:b"; }},
        BadSpecCase{"TooManyLabels", "spec.labels",
                    [](JobSpec& s) {
                      for (int i = 0; i < 1000; ++i) (*s.mutable_labels())[absl::StrCat("k", i)] = "v";
                    }},
        // spec.affinity / spec.anti_affinity keys.
        BadSpecCase{"AffinityKeyEmpty", "spec.affinity[0]", [](JobSpec& s) { s.add_affinity(""); }},
        BadSpecCase{"AffinityKeyWithSpace", "spec.affinity[1]",
                    [](JobSpec& s) {
                      s.add_affinity("cache");
                      s.add_affinity("model weights");
                    }},
        BadSpecCase{"AffinityTooManyKeys", "spec.affinity",
                    [](JobSpec& s) {
                      for (int i = 0; i < 1000; ++i) s.add_affinity(absl::StrCat("k", i));
                    }},
        BadSpecCase{"AntiAffinityKeyTooLong", "spec.anti_affinity[0]",
                    [](JobSpec& s) { s.add_anti_affinity(Repeat('a', 64)); }}),
    [](const ::testing::TestParamInfo<BadSpecCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// Valid specs.

struct GoodSpecCase {
  std::string name;
  std::function<void(JobSpec&)> mutate;
  std::function<void(CapacityLimits&)> limits = [](CapacityLimits&) {};
};

// Parameterised test output names the row instead of dumping bytes.
void PrintTo(const GoodSpecCase& c, std::ostream* os) { *os << c.name; }

class ValidateJobSpecAcceptsTest : public ::testing::TestWithParam<GoodSpecCase> {};

TEST_P(ValidateJobSpecAcceptsTest, Ok) {
  JobSpec spec = ValidSpec();
  GetParam().mutate(spec);
  CapacityLimits limits = Limits();
  GetParam().limits(limits);
  const absl::Status s = ValidateJobSpec(spec, limits);
  EXPECT_TRUE(s.ok()) << s;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ValidateJobSpecAcceptsTest,
    ::testing::Values(
        GoodSpecCase{"VmOnlyProcessWithoutImage",
                     [](JobSpec& s) {
                       s.clear_image();
                       s.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
                     }},
        GoodSpecCase{"AciOnlyBiggerThanNodesWithinGroup",
                     [](JobSpec& s) {
                       s.set_burst_mode(spillway::v1::BURST_MODE_ACI_ONLY);
                       s.set_cpu_millis(4000);
                       s.set_memory_mib(16384);
                     },
                     [](CapacityLimits& l) { l.vm_node_sizes = {{2000, 4096}}; }},
        GoodSpecCase{"BurstAllowedBiggerThanNodesFitsGroup",
                     [](JobSpec& s) {
                       s.set_cpu_millis(3000);
                       s.set_memory_mib(8192);
                     },
                     [](CapacityLimits& l) { l.vm_node_sizes = {{2000, 4096}}; }},
        GoodSpecCase{"BurstAllowedBiggerThanGroupFitsNode",
                     [](JobSpec& s) {
                       s.set_cpu_millis(8000);
                       s.set_memory_mib(32768);
                     }},
        GoodSpecCase{"VmOnlyWithinFallbackWhenNoNodes",
                     [](JobSpec& s) {
                       s.set_burst_mode(spillway::v1::BURST_MODE_VM_ONLY);
                       s.set_cpu_millis(64000);
                     },
                     [](CapacityLimits& l) { l.vm_node_sizes = {}; }},
        GoodSpecCase{"NameBoundaries",
                     [](JobSpec& s) { s.set_name("a" + std::string(62, '9')); }},
        GoodSpecCase{"NameWithDotAndUnderscore", [](JobSpec& s) { s.set_name("etl.daily_2"); }},
        GoodSpecCase{"PriorityBounds", [](JobSpec& s) { s.set_priority(1000); }},
        GoodSpecCase{"ZeroMaxWait", [](JobSpec& s) { s.mutable_max_wait(); }},
        GoodSpecCase{"EnvAndLabels",
                     [](JobSpec& s) {
                       auto* e = s.add_env();
                       e->set_name("_PATH2");
                       e->set_value("has spaces and = signs");
                       s.add_env()->set_name("token");
                       (*s.mutable_labels())["team"] = "";
                       (*s.mutable_labels())["acme.io/tier"] = "gold_1";
                       (*s.mutable_node_selector())["zone"] = "eu-west-1";
                       s.add_affinity("model/llama-7b");
                       s.add_anti_affinity("db.primary");
                     }},
        GoodSpecCase{"RestartsWithinBounds",
                     [](JobSpec& s) {
                       s.set_restart_policy(spillway::v1::RESTART_POLICY_ON_FAILURE);
                       s.set_max_restarts(10);
                     }}),
    [](const ::testing::TestParamInfo<GoodSpecCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// Ids and keys.

TEST(ValidateIdempotencyKeyTest, AcceptsPrintableAscii) {
  EXPECT_TRUE(ValidateIdempotencyKey("").ok());
  EXPECT_TRUE(ValidateIdempotencyKey("req-123_ABC:./~!").ok());
  EXPECT_TRUE(ValidateIdempotencyKey(std::string(128, 'k')).ok());
}

TEST(ValidateIdempotencyKeyTest, RejectsBadKeys) {
  for (const std::string& key : {std::string("has space"), std::string("tab\there"),
                                 std::string("nul\0byte", 8), std::string("caf\xc3\xa9"),
                                 std::string(10000, 'k')}) {
    SCOPED_TRACE(key.substr(0, 20));
    EXPECT_TRUE(HasFieldPrefix(ValidateIdempotencyKey(key), "idempotency_key"));
  }
}

TEST(ValidateJobIdTest, AcceptsServerStyleIds) {
  EXPECT_TRUE(ValidateJobId("id", "job-1").ok());
  EXPECT_TRUE(ValidateJobId("id", "job-18446744073709551615").ok());
}

TEST(ValidateJobIdTest, RejectsBadIdsNamingTheCallersField) {
  for (const std::string& id :
       {std::string(""), std::string("JOB-1"), std::string("job_1"), std::string("job 1"),
        std::string("job/1"), std::string(1000, 'j')}) {
    SCOPED_TRACE(id.substr(0, 20));
    EXPECT_TRUE(HasFieldPrefix(ValidateJobId("request.id", id), "request.id"));
  }
}

TEST(ValidateNodeIdTest, AcceptsLabelLikeIds) {
  EXPECT_TRUE(ValidateNodeId("node_id", "vm-1").ok());
  EXPECT_TRUE(ValidateNodeId("node_id", "pool/A.b_c-9").ok());
}

TEST(ValidateNodeIdTest, RejectsBadIds) {
  for (const std::string& id : {std::string(""), std::string("vm 1"), std::string("vm:1"),
                                std::string(64, 'n'), std::string("vm\n")}) {
    SCOPED_TRACE(id.substr(0, 20));
    EXPECT_TRUE(HasFieldPrefix(ValidateNodeId("node_id", id), "node_id"));
  }
}

TEST(LabelSyntaxTest, KeysAndValues) {
  EXPECT_TRUE(IsValidLabelKey("acme.io/team_a-1"));
  EXPECT_TRUE(IsValidLabelKey(std::string(63, 'k')));
  EXPECT_FALSE(IsValidLabelKey(""));
  EXPECT_FALSE(IsValidLabelKey(std::string(64, 'k')));
  EXPECT_FALSE(IsValidLabelKey("a b"));
  EXPECT_FALSE(IsValidLabelKey("a=b"));
  EXPECT_TRUE(IsValidLabelValue(""));  // values may be empty
  EXPECT_TRUE(IsValidLabelValue("gold"));
  EXPECT_FALSE(IsValidLabelValue(std::string(64, 'v')));
  EXPECT_FALSE(IsValidLabelValue("a,b"));
}

}  // namespace
}  // namespace spillway

namespace spillway {
namespace {

TEST(JobValidationNodeSizesTest, RequestMustFitOneRealNodeNotTheMaxOfEachDimension) {
  CapacityLimits limits;
  limits.vm_node_sizes = {{8000, 1024}, {2000, 65536}};
  limits.max_aci_group = {4000, 16384};
  spillway::v1::JobSpec spec;
  spec.set_name("mixed");
  spec.set_image("busybox");
  spec.set_cpu_millis(8000);
  spec.set_memory_mib(65536);
  const absl::Status s = ValidateJobSpec(spec, limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).rfind("spec.memory_mib", 0), 0u) << s;
  spec.set_memory_mib(1024);
  EXPECT_TRUE(ValidateJobSpec(spec, limits).ok());
}

}  // namespace
}  // namespace spillway
