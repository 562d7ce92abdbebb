#include "scheduler/model/aci_name.h"

#include <cstdint>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

// ACI's rule: 1-63 chars of lowercase letters, digits and hyphens, not starting or ending with a
// hyphen; plus ours: no double hyphens.
::testing::AssertionResult IsValidAciName(const std::string& name) {
  static const std::regex kRule("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
  if (!std::regex_match(name, kRule)) {
    return ::testing::AssertionFailure() << "\"" << name << "\" breaks ACI's naming rule";
  }
  if (name.find("--") != std::string::npos) {
    return ::testing::AssertionFailure() << "\"" << name << "\" contains \"--\"";
  }
  return ::testing::AssertionSuccess();
}

TEST(AciGroupNameTest, DocumentedShape) {
  EXPECT_EQ(AciGroupName("prod", "job-42", 1), "sw-prod-job-42-a1");
  EXPECT_EQ(AciGroupName("prod", "job-42", 12), "sw-prod-job-42-a12");
}

TEST(AciGroupNameTest, ClusterIsSanitized) {
  EXPECT_EQ(AciGroupName("Prod_EU West", "job-7", 2), "sw-prod-eu-west-job-7-a2");
  EXPECT_EQ(AciGroupName("--Prod--", "job-7", 2), "sw-prod-job-7-a2");
}

TEST(AciGroupNameTest, Deterministic) {
  EXPECT_EQ(AciGroupName("c", "job-1", 3), AciGroupName("c", "job-1", 3));
}

TEST(AciGroupNameTest, LongClusterIsTruncatedKeepingJobIdAndAttempt) {
  const std::string cluster(200, 'x');
  const std::string name = AciGroupName(cluster, "job-123", 7);
  EXPECT_TRUE(IsValidAciName(name));
  EXPECT_TRUE(absl::StartsWith(name, "sw-x")) << name;
  EXPECT_TRUE(absl::EndsWith(name, "-job-123-a7")) << name;
  // Only as many cluster characters are dropped as needed.
  EXPECT_EQ(name.size(), 63u) << name;
}

TEST(AciGroupNameTest, TruncationPointAtAHyphenLeavesNoDoubleOrTrailingHyphen) {
  // Whatever cut point the truncation lands on, the result stays valid.
  for (int len = 40; len <= 70; ++len) {
    std::string cluster;
    while (static_cast<int>(cluster.size()) < len) cluster += "ab-";
    const std::string name = AciGroupName(cluster, "job-9", 1);
    SCOPED_TRACE(cluster);
    EXPECT_TRUE(IsValidAciName(name));
    EXPECT_TRUE(absl::EndsWith(name, "-job-9-a1")) << name;
  }
}

TEST(AciGroupNameTest, OverlongJobIdKeepsItsTailAndAttempt) {
  const std::string job_id = "job-" + std::string(100, '1') + "-z";
  const std::string a1 = AciGroupName("prod", job_id, 1);
  const std::string a2 = AciGroupName("prod", job_id, 2);
  EXPECT_TRUE(IsValidAciName(a1));
  EXPECT_TRUE(IsValidAciName(a2));
  EXPECT_TRUE(absl::EndsWith(a1, "1-z-a1")) << a1;
  EXPECT_TRUE(absl::EndsWith(a2, "1-z-a2")) << a2;
  EXPECT_NE(a1, a2);
}

TEST(AciGroupNameTest, DistinctAttemptsGiveDistinctNames) {
  for (const std::string& cluster : {std::string("prod"), std::string(300, 'c'), std::string()}) {
    for (const std::string& job : {std::string("job-1"), std::string("job-") + std::string(70, '9')}) {
      std::set<std::string> names;
      for (int attempt = 1; attempt <= 200; ++attempt) {
        names.insert(AciGroupName(cluster, job, attempt));
      }
      EXPECT_EQ(names.size(), 200u) << "cluster of " << cluster.size() << " chars, job " << job;
    }
  }
}

TEST(AciGroupNameTest, DistinctServerJobIdsGiveDistinctNames) {
  std::set<std::string> names;
  for (int i = 1; i <= 5000; ++i) names.insert(AciGroupName("prod", absl::StrCat("job-", i), 1));
  EXPECT_EQ(names.size(), 5000u);
}

// Property: over many weird inputs the name is valid, deterministic, and (for job ids of the
// documented shape) ends with "<job id>-a<attempt>".
TEST(AciGroupNameTest, PropertyAlwaysValidOverWeirdInputs) {
  std::mt19937 rng(20240229);  // fixed seed: reproducible
  const std::string alphabet_weird =
      std::string("abcxyzABCXYZ0189-_.:/ \t\n!@#$%^&*()[]{}|\\\"'~`") + std::string("\0", 1) +
      "\xc3\xa9\xe2\x82\xac\xff\x80";
  auto random_string = [&](const std::string& alphabet, int max_len) {
    std::uniform_int_distribution<int> len_dist(0, max_len);
    std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
    std::string s;
    const int len = len_dist(rng);
    for (int i = 0; i < len; ++i) s.push_back(alphabet[pick(rng)]);
    return s;
  };
  std::uniform_int_distribution<int> attempt_dist(0, 100000);
  for (int i = 0; i < 5000; ++i) {
    const std::string cluster = random_string(alphabet_weird, i % 3 == 0 ? 150 : 20);
    const std::string job_id = i % 2 == 0 ? absl::StrCat("job-", rng() % 100000000)
                                          : random_string(alphabet_weird, 90);
    const int attempt = i % 5 == 0 ? attempt_dist(rng) : 1 + i % 4;
    const std::string name = AciGroupName(cluster, job_id, attempt);
    SCOPED_TRACE(absl::StrCat("cluster=\"", cluster, "\" job_id=\"", job_id, "\" attempt=",
                              attempt));
    ASSERT_TRUE(IsValidAciName(name));
    ASSERT_EQ(name, AciGroupName(cluster, job_id, attempt));
    if (i % 2 == 0) {
      ASSERT_TRUE(absl::EndsWith(name, absl::StrCat(job_id, "-a", attempt))) << name;
      // A short tail leaves room for the "sw" prefix.
      ASSERT_TRUE(absl::StartsWith(name, "sw")) << name;
    }
    ASSERT_NE(name, AciGroupName(cluster, job_id, attempt + 1));
  }
}

TEST(SanitizeAciNameTest, Table) {
  struct Row {
    std::string raw;
    std::string want;
  };
  for (const Row& row : std::vector<Row>{
           {"prod", "prod"},
           {"Hello, World!", "hello-world"},
           {"--a--b--", "a-b"},
           {"a_b.c/d", "a-b-c-d"},
           {"", ""},
           {"---", ""},
           {"\xc3\xa9t\xc3\xa9", "t"},
           {"UPPER123", "upper123"},
       }) {
    SCOPED_TRACE(row.raw);
    EXPECT_EQ(SanitizeAciName(row.raw), row.want);
  }
}

}  // namespace
}  // namespace spillway
