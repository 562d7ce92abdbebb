#include "common/poll.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace spillway {
namespace {

TEST(PollUntilTest, ReturnsAsSoonAsTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(PollUntil([&] { return ++calls == 3; }, absl::Seconds(30), absl::Milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(PollUntilTest, GivesUpAtTheDeadline) {
  int calls = 0;
  EXPECT_FALSE(PollUntil([&] { ++calls; return false; }, absl::Milliseconds(30),
                         absl::Milliseconds(5)));
  EXPECT_GE(calls, 2);
}

TEST(PollUntilTest, SeesAChangeMadeByAnotherThread) {
  std::atomic<bool> flag{false};
  std::thread t([&] { flag = true; });
  EXPECT_TRUE(PollUntil([&] { return flag.load(); }, absl::Seconds(30)));
  t.join();
}

}  // namespace
}  // namespace spillway
