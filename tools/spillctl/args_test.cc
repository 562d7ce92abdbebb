#include "tools/spillctl/args.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/spillctl/flag_values.h"

namespace spillway::spillctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<FlagSpec> kSpecs = {
    {"name"},
    {"output", 'o'},
    {"label", '\0', /*takes_value=*/true, /*repeatable=*/true},
    {"all", '\0', /*takes_value=*/false},
};

absl::StatusOr<ParsedArgs> Parse(std::vector<std::string> args,
                                 bool stop = false) {
  return ParseArgs(args, kSpecs, stop);
}

TEST(ParseArgsTest, AcceptsSpaceAndEqualsForms) {
  absl::StatusOr<ParsedArgs> args = Parse({"--name", "a", "-o=json"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Get("name"), "a");
  EXPECT_EQ(args->Get("output"), "json");

  args = Parse({"--name=b=c", "-o", "table"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Get("name"), "b=c");  // Only the first '=' splits.
  EXPECT_EQ(args->Get("output"), "table");
}

TEST(ParseArgsTest, ValueMayLookLikeAFlag) {
  absl::StatusOr<ParsedArgs> args = Parse({"--name", "--all"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Get("name"), "--all");
  EXPECT_FALSE(args->Has("all"));
}

TEST(ParseArgsTest, RepeatableFlagKeepsOrder) {
  absl::StatusOr<ParsedArgs> args = Parse({"--label", "a=1", "--label=b=2"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->GetAll("label"), ElementsAre("a=1", "b=2"));
  EXPECT_THAT(args->GetAll("name"), IsEmpty());
}

TEST(ParseArgsTest, Switches) {
  absl::StatusOr<ParsedArgs> args = Parse({"--all"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_TRUE(args->GetSwitch("all"));

  args = Parse({"--all=false"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_FALSE(args->GetSwitch("all"));

  args = Parse({});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_FALSE(args->GetSwitch("all"));
}

TEST(ParseArgsTest, PositionalsAnywhereAndPassthroughAfterDoubleDash) {
  absl::StatusOr<ParsedArgs> args =
      Parse({"job-1", "--all", "job-2", "--", "--name", "x"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->positional(), ElementsAre("job-1", "job-2"));
  EXPECT_TRUE(args->saw_double_dash());
  EXPECT_THAT(args->passthrough(), ElementsAre("--name", "x"));
  EXPECT_FALSE(args->Has("name"));
}

TEST(ParseArgsTest, LoneDashIsPositional) {
  absl::StatusOr<ParsedArgs> args = Parse({"-"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->positional(), ElementsAre("-"));
}

TEST(ParseArgsTest, StopsAtFirstPositionalWhenAsked) {
  absl::StatusOr<ParsedArgs> args =
      Parse({"-o", "json", "list", "--name", "x"}, /*stop=*/true);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Get("output"), "json");
  EXPECT_THAT(args->positional(), ElementsAre("list"));
  EXPECT_THAT(args->passthrough(), ElementsAre("--name", "x"));
  EXPECT_FALSE(args->saw_double_dash());
}

struct BadArgsCase {
  std::vector<std::string> args;
  std::string error;
};

void PrintTo(const BadArgsCase& c, std::ostream* os) {
  *os << absl::StrJoin(c.args, " ");
}

class BadArgsTest : public ::testing::TestWithParam<BadArgsCase> {};

TEST_P(BadArgsTest, NamesTheFlag) {
  absl::StatusOr<ParsedArgs> args = Parse(GetParam().args);
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(args.status().message(), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadArgsTest,
    ::testing::Values(BadArgsCase{{"--nope"}, "unknown flag --nope"},
                      BadArgsCase{{"-x"}, "unknown flag -x"},
                      BadArgsCase{{"--name"}, "flag --name needs a value"},
                      BadArgsCase{{"-o"}, "flag --output needs a value"},
                      BadArgsCase{{"--name", "a", "--name", "b"},
                                  "--name given more than once"},
                      BadArgsCase{{"--all=maybe"}, "--all is a switch"}));

TEST(OnePositionalTest, WantsExactlyOne) {
  absl::StatusOr<ParsedArgs> args = Parse({"j1"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(OnePositional(*args, "JOB").value_or(""), "j1");

  args = Parse({});
  ASSERT_TRUE(args.ok());
  EXPECT_THAT(OnePositional(*args, "JOB").status().message(),
              HasSubstr("missing JOB"));

  args = Parse({"j1", "j2"});
  ASSERT_TRUE(args.ok());
  EXPECT_THAT(OnePositional(*args, "JOB").status().message(),
              HasSubstr("\"j2\""));
}

TEST(NoPositionalsTest, NamesTheFirstExtra) {
  absl::StatusOr<ParsedArgs> args = Parse({"--all"});
  ASSERT_TRUE(args.ok());
  EXPECT_TRUE(NoPositionals(*args).ok());

  args = Parse({"oops", "more"});
  ASSERT_TRUE(args.ok());
  EXPECT_THAT(NoPositionals(*args).message(), HasSubstr("\"oops\""));
}

TEST(ParseIntFlagTest, RangeAndSyntax) {
  EXPECT_EQ(ParseIntFlag("priority", "0", 0, 1000).value_or(-1), 0);
  EXPECT_EQ(ParseIntFlag("priority", "1000", 0, 1000).value_or(-1), 1000);
  for (const char* bad : {"1001", "-1", "ten", "", "1.5"}) {
    absl::StatusOr<int64_t> value = ParseIntFlag("priority", bad, 0, 1000);
    ASSERT_FALSE(value.ok()) << bad;
    EXPECT_THAT(value.status().message(),
                HasSubstr("--priority: want an integer in 0..1000"));
  }
}

TEST(ParseKeyValueTest, SplitsAtFirstEquals) {
  auto kv = ParseKeyValue("label", "team=a=b");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "team");
  EXPECT_EQ(kv->second, "a=b");

  kv = ParseKeyValue("label", "team=");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->second, "");

  for (const char* bad : {"team", "=x", ""}) {
    EXPECT_THAT(ParseKeyValue("label", bad).status().message(),
                HasSubstr("--label: want KEY=VALUE"))
        << bad;
  }
}

TEST(AddKeyValuesTest, RejectsRepeatedKey) {
  google::protobuf::Map<std::string, std::string> map;
  EXPECT_TRUE(AddKeyValues("selector", {"zone=a", "disk=ssd"}, &map).ok());
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map["zone"], "a");

  google::protobuf::Map<std::string, std::string> other;
  EXPECT_THAT(AddKeyValues("selector", {"zone=a", "zone=b"}, &other).message(),
              HasSubstr("--selector: key \"zone\" given twice"));
}

}  // namespace
}  // namespace spillway::spillctl
