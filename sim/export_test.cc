#include "sim/export.h"

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

using google::protobuf::util::TimeUtil;

spillway::v1::Job Finished(int64_t created_s, int64_t start_s, int64_t finish_s) {
  spillway::v1::Job job;
  *job.mutable_create_time() = TimeUtil::SecondsToTimestamp(created_s);
  job.mutable_spec()->set_cpu_millis(500);
  job.mutable_spec()->set_memory_mib(1024);
  job.mutable_spec()->set_priority(7);
  job.mutable_spec()->set_migratable(true);
  *job.mutable_spec()->mutable_max_wait() = ToProtoDuration(absl::Seconds(45));
  (*job.mutable_spec()->mutable_labels())["team"] = "a";
  (*job.mutable_spec()->mutable_labels())["spillway.sim/duration"] = "9s";
  spillway::v1::Attempt* a = job.add_attempts();
  *a->mutable_start_time() = TimeUtil::SecondsToTimestamp(start_s);
  *a->mutable_finish_time() = TimeUtil::SecondsToTimestamp(finish_s);
  return job;
}

TEST(ExportTest, JobsBecomeRowsRelativeToTheFirstSubmit) {
  spillway::v1::Job pending;
  *pending.mutable_create_time() = TimeUtil::SecondsToTimestamp(1050);
  pending.mutable_spec()->set_cpu_millis(100);
  pending.mutable_spec()->set_memory_mib(100);
  ExportStats stats;
  const Trace t =
      TraceFromJobs({Finished(1010, 1015, 1075), Finished(1000, 1001, 1031), pending}, &stats);
  EXPECT_EQ(stats.jobs, 3);
  EXPECT_EQ(stats.skipped, 1);  // No run time known.
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].submit, absl::ZeroDuration());
  EXPECT_EQ(t[0].duration, absl::Seconds(30));
  EXPECT_EQ(t[1].submit, absl::Seconds(10));
  EXPECT_EQ(t[1].duration, absl::Seconds(60));
  EXPECT_EQ(t[1].max_wait, absl::Seconds(45));
  EXPECT_EQ(t[1].priority, 7);
  EXPECT_TRUE(t[1].migratable);
  EXPECT_EQ(t[1].labels.size(), 1u);  // The simulator's own label is dropped.
}

TEST(ExportTest, JobsCancelledBeforeRunningAreNoLoadAndDoNotSetTheStart) {
  spillway::v1::Job cancelled;  // The earliest submit, with a hint, but it never ran.
  *cancelled.mutable_create_time() = TimeUtil::SecondsToTimestamp(900);
  cancelled.set_state(spillway::v1::JOB_STATE_CANCELLED);
  cancelled.mutable_spec()->set_cpu_millis(100);
  cancelled.mutable_spec()->set_memory_mib(100);
  *cancelled.mutable_spec()->mutable_expected_duration() = ToProtoDuration(absl::Minutes(5));
  spillway::v1::Job cancelled_while_running = Finished(1020, 1021, 1041);
  cancelled_while_running.set_state(spillway::v1::JOB_STATE_CANCELLED);
  ExportStats stats;
  const Trace t =
      TraceFromJobs({cancelled, Finished(1000, 1001, 1031), cancelled_while_running}, &stats);
  EXPECT_EQ(stats.jobs, 3);
  EXPECT_EQ(stats.skipped, 1);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].submit, absl::ZeroDuration());  // From the first row written, not the skipped job.
  EXPECT_EQ(t[1].submit, absl::Seconds(20));
  EXPECT_EQ(t[1].duration, absl::Seconds(20));  // It ran until it was cancelled.
}

}  // namespace
}  // namespace sim
}  // namespace spillway
