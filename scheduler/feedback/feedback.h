// What the scheduler has measured, fed only by observed events (time from the events), and what
// it concludes from that:
//
//   1. ACI start latency: placement -> running of ACI attempts; its p90 replaces the policy's
//      `aci_start_latency` once `feedback_min_samples` were seen.
//   2. Run time per job class (label "spillway.io/class", else the image): succeeded attempts'
//      run times; the class's p50 replaces `default_expected_duration` for jobs without a hint.
//   3. VM pool release rate: millicores freed per minute over the last 10 minutes (exported so
//      operators see how fast the pool turns over).
//   4. ACI failure rate and the circuit breaker: the outcomes of the last creates within
//      `aci_breaker_window`; when at least `aci_breaker_min_creates` ended and the failed share
//      reaches `aci_breaker_failure_percent`, bursting stops for `aci_breaker_cooldown`; a quota
//      error (ContainerGroupQuotaReached) stops it at once.
#ifndef SPILLWAY_SCHEDULER_FEEDBACK_FEEDBACK_H_
#define SPILLWAY_SCHEDULER_FEEDBACK_FEEDBACK_H_

#include <deque>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/spillway/v1/admin.pb.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "scheduler/core/core_snapshot.pb.h"
#include "scheduler/feedback/sample_window.h"

namespace spillway {

class Feedback {
 public:
  // --- Observations ---
  void ObserveAciStart(absl::Duration placed_to_running);
  void ObserveRunTime(const spillway::v1::JobSpec& spec, absl::Duration run_time);
  void ObserveVmRelease(absl::Time now, int64_t cpu_millis);
  // An ACI create ended: it ran (ok) or the platform failed it (capacity, quota, auth...).
  void ObserveAciCreateOutcome(absl::Time now, bool failed, const std::string& reason,
                               const spillway::v1::Policy& policy);

  // --- Beliefs ---
  absl::Duration AciStartLatency(const spillway::v1::Policy& policy) const;
  absl::Duration ExpectedDuration(const spillway::v1::JobSpec& spec,
                                  const spillway::v1::Policy& policy) const;
  // The same, with `job_class` = ClassOf(spec) already known (the queue pass caches it per job).
  absl::Duration ExpectedDuration(absl::string_view job_class, const spillway::v1::JobSpec& spec,
                                  const spillway::v1::Policy& policy) const;
  int64_t VmReleaseMillicoresPerMinute(absl::Time now) const;
  int AciFailurePercent(absl::Time now, const spillway::v1::Policy& policy) const;
  bool CircuitOpen(absl::Time now) const { return now < open_until_; }
  // "" when closed; else why and until when.
  std::string CircuitReason(absl::Time now) const;

  // For GetCluster and metrics.
  void Describe(absl::Time now, const spillway::v1::Policy& policy,
                spillway::v1::Beliefs* out) const;

  // A view into `spec` (or a constant): valid while `spec` is.
  static absl::string_view ClassOf(const spillway::v1::JobSpec& spec);
  // Bumped whenever a run-time sample changes what ExpectedDuration can answer (a class's sample
  // count or median): a job without a hint may expect another run time than at another version
  // (callers cache by it).
  int64_t run_time_version() const { return run_time_version_; }

  // Everything measured, for snapshots (core_snapshot.cc).
  void SaveTo(spillway::core::v1::FeedbackSnapshot* out) const;
  void RestoreFrom(const spillway::core::v1::FeedbackSnapshot& in);

 private:
  static constexpr size_t kMaxClasses = 256;
  struct Outcome {
    absl::Time time;
    bool failed;
  };

  SampleWindow aci_start_{200};
  absl::flat_hash_map<std::string, SampleWindow> run_time_;  // Found by string_view too.
  int64_t run_time_version_ = 0;
  std::deque<std::pair<absl::Time, int64_t>> releases_;
  std::deque<Outcome> outcomes_;
  absl::Time open_until_ = absl::InfinitePast();
  std::string open_reason_;
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_FEEDBACK_FEEDBACK_H_
