#include "scheduler/core/job_index.h"

#include <vector>

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

TEST(JobIndexTest, KeepsNumbersAcrossChunksAndPastTheDenseRange) {
  JobIndex<int> index;
  std::vector<int> values(5000);
  // Ids in three chunks and beyond the chunked range, inserted out of order.
  const int64_t big = JobIndex<int>::kMaxDense + 3;
  std::vector<int64_t> numbers = {big, 3000, 1, 1023, 1024, 2047, 4999};
  for (size_t i = 0; i < numbers.size(); ++i) {
    index.Insert(absl::StrFormat("job-%08d", numbers[i]), &values[i]);
  }
  EXPECT_EQ(index.size(), numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i) {
    EXPECT_EQ(index.Find(absl::StrFormat("job-%08d", numbers[i])), &values[i]) << numbers[i];
  }
  EXPECT_EQ(index.Find("job-00001025"), nullptr);  // A hole in a live chunk.
  EXPECT_EQ(index.Find("job-00009999"), nullptr);  // Past the last chunk.
  EXPECT_EQ(index.Find(absl::StrFormat("job-%08d", big + 1)), nullptr);

  // Inserting an id again replaces its value without counting it twice.
  index.Insert("job-00001024", &values[10]);
  EXPECT_EQ(index.Find("job-00001024"), &values[10]);
  EXPECT_EQ(index.size(), numbers.size());

  // Emptying a chunk forgets its ids; an id there can come back.
  index.Erase("job-00001024");
  index.Erase("job-00002047");
  index.Erase("job-00002047");  // Twice: no effect.
  EXPECT_EQ(index.Find("job-00001024"), nullptr);
  EXPECT_EQ(index.Find("job-00002047"), nullptr);
  EXPECT_EQ(index.size(), numbers.size() - 2);
  index.Insert("job-00002000", &values[11]);
  EXPECT_EQ(index.Find("job-00002000"), &values[11]);
  index.Erase(absl::StrFormat("job-%08d", big));
  EXPECT_EQ(index.Find(absl::StrFormat("job-%08d", big)), nullptr);
  EXPECT_EQ(index.size(), numbers.size() - 2);
  EXPECT_EQ(index.Find("job-00000001"), &values[2]);
}

}  // namespace
}  // namespace spillway
