#include "scheduler/burst/rate_window.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST(RateWindowTest, EmptyCountsZero) {
  RateWindow w(absl::Hours(1));
  EXPECT_EQ(w.CountWithin(kT0, absl::Minutes(5)), 0);
}

TEST(RateWindowTest, CountsInHalfOpenWindow) {
  RateWindow w(absl::Hours(1));
  w.Record(kT0);
  w.Record(kT0 + absl::Minutes(1));
  w.Record(kT0 + absl::Minutes(4));
  w.Record(kT0 + absl::Minutes(5));
  // (t0, t0+5m]: the event exactly at now - window is out, the one exactly at now is in.
  EXPECT_EQ(w.CountWithin(kT0 + absl::Minutes(5), absl::Minutes(5)), 3);
  // (t0+1m, t0+6m]
  EXPECT_EQ(w.CountWithin(kT0 + absl::Minutes(6), absl::Minutes(5)), 2);
  // (t0+1m-1ns, t0+6m-1ns]
  EXPECT_EQ(w.CountWithin(kT0 + absl::Minutes(6) - absl::Nanoseconds(1), absl::Minutes(5)), 3);
  // The hour window at t0+1h: (t0, t0+1h] holds all but the first.
  EXPECT_EQ(w.CountWithin(kT0 + absl::Hours(1), absl::Hours(1)), 3);
  // Everything has aged out.
  EXPECT_EQ(w.CountWithin(kT0 + absl::Hours(2), absl::Hours(1)), 0);
}

TEST(RateWindowTest, TwoWindowsOverOneHistory) {
  // "100 creates per 5 minutes and 300 per hour": the same recorder answers both.
  RateWindow w(absl::Hours(1));
  for (int i = 0; i < 60; ++i) w.Record(kT0 + absl::Minutes(i));  // one a minute, t0..t0+59m
  const absl::Time now = kT0 + absl::Minutes(59);
  EXPECT_EQ(w.CountWithin(now, absl::Minutes(5)), 5);   // 55..59
  EXPECT_EQ(w.CountWithin(now, absl::Hours(1)), 60);    // all
  EXPECT_EQ(w.CountWithin(now, absl::Minutes(5)), 5);   // asking the hour did not disturb it
}

TEST(RateWindowTest, SimultaneousEventsAllCount) {
  RateWindow w(absl::Minutes(5));
  for (int i = 0; i < 7; ++i) w.Record(kT0);
  EXPECT_EQ(w.CountWithin(kT0, absl::Minutes(5)), 7);
  EXPECT_EQ(w.CountWithin(kT0 + absl::Minutes(5), absl::Minutes(5)), 0);
}

TEST(RateWindowTest, EventsAfterNowAreNotCounted) {
  // The window is (now - window, now]: an event recorded for a later time is not yet inside it.
  RateWindow w(absl::Hours(1));
  w.Record(kT0);
  w.Record(kT0 + absl::Minutes(10));
  EXPECT_EQ(w.CountWithin(kT0 + absl::Minutes(1), absl::Minutes(5)), 1);
}

TEST(RateWindowTest, AnEventRecordedOutOfOrderStillCountsInItsPlace) {
  // A clock that stepped back: the window stays in time order, so counts stay exact.
  RateWindow w(absl::Hours(1));
  w.Record(kT0 + absl::Minutes(10));
  w.Record(kT0);
  w.Record(kT0 + absl::Minutes(20));
  EXPECT_EQ(w.CountWithin(kT0 + absl::Minutes(1), absl::Minutes(5)), 1);
  EXPECT_EQ(w.CountWithin(kT0 + absl::Minutes(12), absl::Minutes(5)), 1);
  EXPECT_EQ(w.CountWithin(kT0 + absl::Minutes(20), absl::Minutes(30)), 3);
  ASSERT_EQ(w.times().size(), 3u);
  EXPECT_EQ(w.times().front(), kT0);
}

}  // namespace
}  // namespace spillway
