#include "scheduler/burst/capacity_profile.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

absl::Time At(absl::Duration d) { return kNow + d; }

TEST(CapacityProfileTest, FitsNowWhenFreeNow) {
  const CapacityProfile p(kNow, {4000, 16384});
  EXPECT_EQ(p.EarliestFit({4000, 16384}, absl::Hours(1)), kNow);
  EXPECT_EQ(p.EarliestFit({1000, 1024}, absl::InfiniteDuration()), kNow);
}

TEST(CapacityProfileTest, NeverWithoutReleases) {
  const CapacityProfile p(kNow, {1000, 1024});
  EXPECT_EQ(p.EarliestFit({1001, 1024}, absl::Minutes(1)), absl::InfiniteFuture());
  EXPECT_EQ(p.EarliestFit({1000, 1025}, absl::Minutes(1)), absl::InfiniteFuture());
}

TEST(CapacityProfileTest, FitsOnlyAfterTwoReleases) {
  CapacityProfile p(kNow, {1000, 2048});
  p.AddRelease(At(absl::Minutes(20)), {2000, 4096});
  p.AddRelease(At(absl::Minutes(10)), {1000, 2048});  // added out of order on purpose
  // Free: 1000 now, 2000 from +10m, 4000 from +20m.
  EXPECT_EQ(p.EarliestFit({1000, 2048}, absl::Hours(1)), kNow);
  EXPECT_EQ(p.EarliestFit({2000, 4096}, absl::Hours(1)), At(absl::Minutes(10)));
  EXPECT_EQ(p.EarliestFit({3000, 4096}, absl::Hours(1)), At(absl::Minutes(20)));
  EXPECT_EQ(p.EarliestFit({4000, 8192}, absl::Hours(1)), At(absl::Minutes(20)));
  EXPECT_EQ(p.EarliestFit({4001, 8192}, absl::Hours(1)), absl::InfiniteFuture());
  // Memory is a dimension too: the cpu arrives at +10m but the memory only at +20m.
  EXPECT_EQ(p.EarliestFit({2000, 5000}, absl::Hours(1)), At(absl::Minutes(20)));
  // Only starts before `before` count (another node already offers that start).
  EXPECT_EQ(p.EarliestFit({2000, 4096}, absl::Hours(1), At(absl::Minutes(11))),
            At(absl::Minutes(10)));
  EXPECT_EQ(p.EarliestFit({2000, 4096}, absl::Hours(1), At(absl::Minutes(10))),
            absl::InfiniteFuture());
}

TEST(CapacityProfileTest, ReleasesAtTheSameTimeAddUp) {
  CapacityProfile p(kNow, {0, 0});
  p.AddRelease(At(absl::Minutes(5)), {1000, 1024});
  p.AddRelease(At(absl::Minutes(5)), {1000, 1024});
  EXPECT_EQ(p.EarliestFit({2000, 2048}, absl::Minutes(1)), At(absl::Minutes(5)));
}

TEST(CapacityProfileTest, PastReleaseIsClampedToNow) {
  CapacityProfile p(kNow, {0, 0});
  p.AddRelease(kNow - absl::Minutes(3), {1000, 1024});  // overdue task: counts as free now
  EXPECT_EQ(p.EarliestFit({1000, 1024}, absl::Minutes(1)), kNow);
}

TEST(CapacityProfileTest, NeverReleaseIsIgnored) {
  CapacityProfile p(kNow, {0, 0});
  p.AddRelease(absl::InfiniteFuture(), {8000, 8192});
  EXPECT_EQ(p.EarliestFit({1, 1}, absl::Seconds(1)), absl::InfiniteFuture());
}

TEST(CapacityProfileTest, ReservationBlocksOverlappingWindowButNotLaterOne) {
  CapacityProfile p(kNow, {4000, 16384});
  // A queued job ahead holds 3000 over [+10m, +20m).
  p.Reserve(At(absl::Minutes(10)), absl::Minutes(10), {3000, 1024});
  EXPECT_TRUE(p.has_reservations());
  // Short job ends before the reservation starts: now.
  EXPECT_EQ(p.EarliestFit({2000, 1024}, absl::Minutes(5)), kNow);
  // Exactly up to the reservation's start ([now, +10m) is half-open): now.
  EXPECT_EQ(p.EarliestFit({2000, 1024}, absl::Minutes(10)), kNow);
  // Longer job would overlap the reservation (only 1000 left): after it ends.
  EXPECT_EQ(p.EarliestFit({2000, 1024}, absl::Minutes(15)), At(absl::Minutes(20)));
  // A job small enough to share with the reservation: now.
  EXPECT_EQ(p.EarliestFit({1000, 1024}, absl::Hours(1)), kNow);

  EXPECT_TRUE(p.FitsDuring(kNow, absl::Minutes(10), {2000, 1024}));
  EXPECT_FALSE(p.FitsDuring(kNow, absl::Minutes(10) + absl::Nanoseconds(1), {2000, 1024}));
  EXPECT_FALSE(p.FitsDuring(At(absl::Minutes(12)), absl::Minutes(1), {2000, 1024}));
  EXPECT_FALSE(p.FitsDuring(At(absl::Minutes(19)), absl::Minutes(5), {2000, 1024}));
  EXPECT_TRUE(p.FitsDuring(At(absl::Minutes(20)), absl::Hours(5), {4000, 16384}));
}

TEST(CapacityProfileTest, ReservationWithReleases) {
  // 2000 free now; 2000 more at +30m. A reservation of 2000 over [+30m, +90m) takes the release.
  CapacityProfile p(kNow, {2000, 8192});
  p.AddRelease(At(absl::Minutes(30)), {2000, 8192});
  p.Reserve(At(absl::Minutes(30)), absl::Minutes(60), {2000, 8192});
  // 2000 for 10m: now. 2000 for 1h: now (2000 stays free the whole time). 3000: after +90m.
  EXPECT_EQ(p.EarliestFit({2000, 8192}, absl::Minutes(10)), kNow);
  EXPECT_EQ(p.EarliestFit({2000, 8192}, absl::Hours(1)), kNow);
  EXPECT_EQ(p.EarliestFit({3000, 8192}, absl::Minutes(1)), At(absl::Minutes(90)));
}

TEST(CapacityProfileTest, ReserveWithInfiniteDuration) {
  CapacityProfile p(kNow, {4000, 16384});
  p.AddRelease(At(absl::Minutes(20)), {2000, 0});
  p.Reserve(At(absl::Minutes(10)), absl::InfiniteDuration(), {3000, 0});
  // Free: 4000 until +10m, 1000 until +20m, 3000 forever after.
  EXPECT_EQ(p.EarliestFit({2000, 0}, absl::Minutes(1)), kNow);
  EXPECT_EQ(p.EarliestFit({2000, 0}, absl::Minutes(15)), At(absl::Minutes(20)));
  EXPECT_EQ(p.EarliestFit({3000, 0}, absl::InfiniteDuration()), At(absl::Minutes(20)));
  EXPECT_EQ(p.EarliestFit({4000, 0}, absl::Minutes(15)), absl::InfiniteFuture());
  EXPECT_FALSE(p.FitsDuring(At(absl::Hours(1000)), absl::Minutes(1), {3001, 0}));
}

TEST(CapacityProfileTest, ReserveThenEarliestFitIsConservativeBackfilling) {
  // The backfilling rule: reserving what a job ahead needs keeps later jobs from delaying it.
  CapacityProfile p(kNow, {2000, 4096});
  p.AddRelease(At(absl::Minutes(10)), {2000, 4096});
  const Resources big{4000, 8192};
  const absl::Time big_start = p.EarliestFit(big, absl::Minutes(30));
  ASSERT_EQ(big_start, At(absl::Minutes(10)));
  p.Reserve(big_start, absl::Minutes(30), big);
  // A small job that ends before +10m may backfill now; a long one must wait for the big one.
  EXPECT_EQ(p.EarliestFit({1000, 1024}, absl::Minutes(5)), kNow);
  EXPECT_EQ(p.EarliestFit({1000, 1024}, absl::Minutes(20)), At(absl::Minutes(40)));
  // The big job's window is fully taken: nothing else fits inside it.
  EXPECT_FALSE(p.FitsDuring(big_start, absl::Minutes(30), {1, 1}));
}

TEST(CapacityProfileTest, NoReservationsInitially) {
  CapacityProfile p(kNow, {1, 1});
  EXPECT_FALSE(p.has_reservations());
  p.AddRelease(At(absl::Minutes(1)), {1, 1});
  EXPECT_FALSE(p.has_reservations());
}

}  // namespace
}  // namespace spillway
