#include "server/redaction.h"

#include <google/protobuf/arena.h>

#include "gtest/gtest.h"

namespace spillway {
namespace {

spillway::v1::Job JobWithEnv() {
  spillway::v1::Job job;
  job.set_id("job-1");
  job.mutable_spec()->set_name("etl");
  auto* secret = job.mutable_spec()->add_env();
  secret->set_name("TOKEN");
  secret->set_value("hunter2");
  secret->set_secret(true);
  auto* plain = job.mutable_spec()->add_env();
  plain->set_name("MODE");
  plain->set_value("fast");
  return job;
}

TEST(RedactionTest, BlanksSecretValuesOnly) {
  const spillway::v1::Job redacted = RedactJob(JobWithEnv());
  ASSERT_EQ(redacted.spec().env_size(), 2);
  EXPECT_EQ(redacted.spec().env(0).name(), "TOKEN");
  EXPECT_EQ(redacted.spec().env(0).value(), "");
  EXPECT_TRUE(redacted.spec().env(0).secret());
  EXPECT_EQ(redacted.spec().env(1).value(), "fast");
  EXPECT_FALSE(redacted.spec().env(1).secret());
  EXPECT_EQ(redacted.id(), "job-1");
  EXPECT_EQ(redacted.spec().name(), "etl");
}

TEST(RedactionTest, RedactsIntoAMessageOnAnArena) {
  const spillway::v1::Job job = JobWithEnv();
  google::protobuf::Arena arena;
  auto* out = google::protobuf::Arena::CreateMessage<spillway::v1::Job>(&arena);
  out->set_reason("stale");  // Replaced, not merged into.
  RedactJobInto(job, *out);
  EXPECT_EQ(out->GetArena(), &arena);
  EXPECT_EQ(out->id(), "job-1");
  EXPECT_EQ(out->reason(), "");
  ASSERT_EQ(out->spec().env_size(), 2);
  EXPECT_EQ(out->spec().env(0).value(), "");
  EXPECT_EQ(out->spec().env(1).value(), "fast");
  EXPECT_EQ(job.spec().env(0).value(), "hunter2");
}

TEST(RedactionTest, LeavesTheOriginalAlone) {
  const spillway::v1::Job job = JobWithEnv();
  RedactJob(job);
  EXPECT_EQ(job.spec().env(0).value(), "hunter2");
}

TEST(RedactionTest, SecretValueAppearsNowhereInTheCopy) {
  const spillway::v1::Job redacted = RedactJob(JobWithEnv());
  EXPECT_EQ(redacted.SerializeAsString().find("hunter2"), std::string::npos);
  EXPECT_EQ(redacted.DebugString().find("hunter2"), std::string::npos);
}

TEST(RedactionTest, SpecVariants) {
  spillway::v1::JobSpec spec = JobWithEnv().spec();
  EXPECT_EQ(RedactSpec(spec).env(0).value(), "");
  EXPECT_EQ(spec.env(0).value(), "hunter2");
  RedactSpecInPlace(spec);
  EXPECT_EQ(spec.env(0).value(), "");
  EXPECT_EQ(spec.env(1).value(), "fast");
}

}  // namespace
}  // namespace spillway
