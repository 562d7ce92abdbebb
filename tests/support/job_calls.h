// JobService calls the integration fixtures share: submit (expecting success) and get.
#ifndef SPILLWAY_TESTS_SUPPORT_JOB_CALLS_H_
#define SPILLWAY_TESTS_SUPPORT_JOB_CALLS_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "gtest/gtest.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"

namespace spillway {

// Submits `spec` and returns the job id; a failed call fails the test (and returns "").
inline std::string SubmitExpectingOk(spillway::v1::JobService::Stub& jobs,
                                     const spillway::v1::JobSpec& spec) {
  grpc::ClientContext ctx;
  spillway::v1::SubmitJobRequest req;
  *req.mutable_spec() = spec;
  spillway::v1::SubmitJobResponse resp;
  const grpc::Status s = jobs.SubmitJob(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.job().id();
}

// The job as the server has it; an empty Job when the call fails, which fails the test when
// `expect_ok` (fixtures that poll across a restart pass false).
inline spillway::v1::Job GetJobOrEmpty(spillway::v1::JobService::Stub& jobs, const std::string& id,
                                       bool expect_ok = true) {
  grpc::ClientContext ctx;
  spillway::v1::GetJobRequest req;
  req.set_id(id);
  spillway::v1::Job job;
  const grpc::Status s = jobs.GetJob(&ctx, req, &job);
  if (expect_ok) {
    EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
  }
  return job;
}

}  // namespace spillway

#endif  // SPILLWAY_TESTS_SUPPORT_JOB_CALLS_H_
