#include "scheduler/core/job_index.h"

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

TEST(CanonicalJobNumberTest, ReadsWhatTheCorePrintsAndNothingElse) {
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{12345678}, int64_t{99999999},
                    int64_t{100000000}, int64_t{123456789012}}) {
    EXPECT_EQ(CanonicalJobNumber(absl::StrFormat("job-%08d", n)), n) << n;
  }
  for (const char* id : {"job-1", "job-0000001", "job-000000001", "job-0000000a", "Job-00000001",
                         "job-", "", "job-00000001 ", "x-00000001", "job--0000001"}) {
    EXPECT_EQ(CanonicalJobNumber(id), std::nullopt) << id;
  }
}

TEST(JobIndexTest, FindsCanonicalAndOtherIdsAndForgets) {
  JobIndex<int> index;
  int a = 1, b = 2;
  index.Insert("job-00000007", &a);
  index.Insert("imported-7", &b);
  EXPECT_EQ(index.Find("job-00000007"), &a);
  EXPECT_EQ(index.Find("imported-7"), &b);
  EXPECT_EQ(index.Find("job-7"), nullptr);  // Same number, not the same id.
  EXPECT_EQ(index.Find("job-00000008"), nullptr);
  EXPECT_EQ(index.size(), 2u);
  index.Erase("job-00000007");
  EXPECT_EQ(index.Find("job-00000007"), nullptr);
  EXPECT_EQ(index.Find("imported-7"), &b);
  index.Clear();
  EXPECT_EQ(index.Find("imported-7"), nullptr);
  EXPECT_EQ(index.size(), 0u);
}

}  // namespace
}  // namespace spillway
