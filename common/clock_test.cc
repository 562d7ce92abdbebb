#include "common/clock.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace spillway {
namespace {

TEST(RealClockTest, SingletonIsStableAndNearTheWallClock) {
  Clock* clock = RealClock::Get();
  ASSERT_NE(clock, nullptr);
  EXPECT_EQ(clock, RealClock::Get());
  // Sanity only: later than the day this was written, and not going backwards between calls.
  const absl::Time first = clock->Now();
  EXPECT_GT(first, absl::FromUnixSeconds(1735689600));  // 2025-01-01
  EXPECT_GE(clock->Now(), first);
}

TEST(SimulatedClockTest, StartsAtTheDefaultTime) {
  SimulatedClock clock;
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1767225600));
  EXPECT_EQ(clock.Now(), SimulatedClock::kDefaultStart);
}

TEST(SimulatedClockTest, StartsAtTheGivenTime) {
  SimulatedClock clock(absl::FromUnixSeconds(42));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(42));
}

TEST(SimulatedClockTest, StandsStillUntilAdvanced) {
  SimulatedClock clock;
  const absl::Time start = clock.Now();
  EXPECT_EQ(clock.Now(), start);
  EXPECT_EQ(clock.Advance(absl::Seconds(30)), start + absl::Seconds(30));
  EXPECT_EQ(clock.Now(), start + absl::Seconds(30));
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(clock.Now(), start + absl::Seconds(30) + absl::Milliseconds(1));
  clock.Advance(absl::ZeroDuration());
  EXPECT_EQ(clock.Now(), start + absl::Milliseconds(30001));
}

TEST(SimulatedClockTest, NegativeAdvanceMovesBack) {
  SimulatedClock clock(absl::FromUnixSeconds(100));
  clock.Advance(absl::Seconds(-40));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(60));
}

TEST(SimulatedClockTest, SetTimeJumpsEitherWay) {
  SimulatedClock clock(absl::FromUnixSeconds(100));
  clock.SetTime(absl::FromUnixSeconds(1000));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1000));
  clock.SetTime(absl::FromUnixSeconds(10));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(10));
}

TEST(SimulatedClockTest, UsableThroughTheInterface) {
  SimulatedClock simulated(absl::FromUnixSeconds(5));
  const Clock& clock = simulated;
  simulated.Advance(absl::Seconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(10));
}

TEST(SimulatedClockTest, ConcurrentAdvancesAreAllApplied) {
  SimulatedClock clock(absl::FromUnixSeconds(0));
  constexpr int kThreads = 8;
  constexpr int kAdvancesPerThread = 1000;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&clock] {
      for (int j = 0; j < kAdvancesPerThread; ++j) {
        clock.Advance(absl::Milliseconds(1));
        (void)clock.Now();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(0) + absl::Milliseconds(kThreads * kAdvancesPerThread));
}

}  // namespace
}  // namespace spillway
