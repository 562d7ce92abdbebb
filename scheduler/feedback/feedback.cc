#include "scheduler/feedback/feedback.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler/model/policy.h"
#include "scheduler/model/time_codec.h"

namespace spillway {
namespace {

constexpr char kClassLabel[] = "spillway.io/class";
constexpr absl::Duration kReleaseWindow = absl::Minutes(10);

}  // namespace

absl::string_view Feedback::ClassOf(const spillway::v1::JobSpec& spec) {
  static const std::string* const kLabel = new std::string(kClassLabel);  // No per-call copy.
  auto it = spec.labels().find(*kLabel);
  if (it != spec.labels().end()) return it->second;
  if (spec.image().empty()) return "(process)";
  return spec.image();
}

void Feedback::ObserveAciStart(absl::Duration placed_to_running) {
  aci_start_.Add(placed_to_running);
}

void Feedback::ObserveRunTime(const spillway::v1::JobSpec& spec, absl::Duration run_time) {
  const std::string cls(ClassOf(spec));
  auto it = run_time_.find(cls);
  if (it == run_time_.end()) {
    if (run_time_.size() >= kMaxClasses) return;  // Bounded memory; the default applies.
    it = run_time_.emplace(cls, SampleWindow(50)).first;
  }
  SampleWindow& window = it->second;
  const size_t size_before = window.size();
  const absl::Duration median_before = window.Quantile(500);
  window.Add(run_time);
  // ExpectedDuration reads only the class's sample count and median.
  if (window.size() != size_before || window.Quantile(500) != median_before) ++run_time_version_;
}

void Feedback::ObserveVmRelease(absl::Time now, int64_t cpu_millis) {
  releases_.push_back({now, cpu_millis});
  while (!releases_.empty() && releases_.front().first <= now - kReleaseWindow) {
    releases_.pop_front();
  }
}

void Feedback::ObserveAciCreateOutcome(absl::Time now, bool failed, const std::string& reason,
                                       const spillway::v1::Policy& policy) {
  outcomes_.push_back({now, failed});
  while (outcomes_.size() > 1000) outcomes_.pop_front();
  if (!failed || CircuitOpen(now)) return;
  // The region's quota does not come back by retrying: stop bursting at once.
  if (reason.rfind("ContainerGroupQuotaReached", 0) == 0) {
    open_until_ = now + ToAbslDuration(policy.aci_breaker_cooldown());
    open_reason_ = absl::StrCat("ACI quota reached (", reason.substr(0, 200), ")");
    return;
  }
  const int percent = AciFailurePercent(now, policy);
  int ended = 0;
  const absl::Time since = now - ToAbslDuration(policy.aci_breaker_window());
  for (const Outcome& o : outcomes_) ended += o.time > since ? 1 : 0;
  if (ended >= policy.aci_breaker_min_creates() &&
      percent >= policy.aci_breaker_failure_percent()) {
    open_until_ = now + ToAbslDuration(policy.aci_breaker_cooldown());
    open_reason_ = absl::StrCat(percent, "% of the last ", ended,
                                " ACI creates failed (last: ", reason.substr(0, 200), ")");
  }
}

absl::Duration Feedback::AciStartLatency(const spillway::v1::Policy& policy) const {
  if (aci_start_.size() >= static_cast<size_t>(std::max(1, policy.feedback_min_samples()))) {
    return aci_start_.Quantile(900);
  }
  return ToAbslDuration(policy.aci_start_latency());
}

absl::Duration Feedback::ExpectedDuration(const spillway::v1::JobSpec& spec,
                                          const spillway::v1::Policy& policy) const {
  return ExpectedDuration(ClassOf(spec), spec, policy);
}

absl::Duration Feedback::ExpectedDuration(absl::string_view job_class,
                                          const spillway::v1::JobSpec& spec,
                                          const spillway::v1::Policy& policy) const {
  if (spec.has_expected_duration() &&
      (spec.expected_duration().seconds() != 0 || spec.expected_duration().nanos() != 0)) {
    return ToAbslDuration(spec.expected_duration());
  }
  auto it = run_time_.find(job_class);
  if (it != run_time_.end() &&
      it->second.size() >= static_cast<size_t>(std::max(1, policy.feedback_min_samples()))) {
    return std::max(it->second.Quantile(500), absl::Seconds(1));
  }
  return ToAbslDuration(policy.default_expected_duration());
}

int64_t Feedback::VmReleaseMillicoresPerMinute(absl::Time now) const {
  int64_t total = 0;
  for (const auto& [t, cpu] : releases_) total += t > now - kReleaseWindow ? cpu : 0;
  return total / absl::ToInt64Minutes(kReleaseWindow);
}

int Feedback::AciFailurePercent(absl::Time now, const spillway::v1::Policy& policy) const {
  const absl::Time since = now - ToAbslDuration(policy.aci_breaker_window());
  int ended = 0, failed = 0;
  for (const Outcome& o : outcomes_) {
    if (o.time <= since) continue;
    ++ended;
    failed += o.failed ? 1 : 0;
  }
  return ended == 0 ? 0 : failed * 100 / ended;
}

std::string Feedback::CircuitReason(absl::Time now) const {
  if (!CircuitOpen(now)) return "";
  return absl::StrCat("ACI circuit open until ",
                      absl::FormatTime("%H:%M:%SZ", open_until_, absl::UTCTimeZone()), ": ",
                      open_reason_);
}

void Feedback::Describe(absl::Time now, const spillway::v1::Policy& policy,
                        spillway::v1::Beliefs* out) const {
  *out->mutable_aci_start_latency_p50() = ToProtoDuration(aci_start_.Quantile(500));
  *out->mutable_aci_start_latency_p90() = ToProtoDuration(aci_start_.Quantile(900));
  out->set_aci_start_samples(static_cast<int32_t>(aci_start_.size()));
  *out->mutable_aci_start_latency_used() = ToProtoDuration(AciStartLatency(policy));
  std::map<absl::string_view, const SampleWindow*> by_class;  // In class order.
  for (const auto& [cls, window] : run_time_) by_class[cls] = &window;
  for (const auto& [cls, window] : by_class) {
    spillway::v1::ClassRunTime* c = out->add_run_times();
    c->set_job_class(std::string(cls));
    *c->mutable_p50() = ToProtoDuration(window->Quantile(500));
    c->set_samples(static_cast<int32_t>(window->size()));
  }
  out->set_vm_release_millicores_per_minute(VmReleaseMillicoresPerMinute(now));
  out->set_aci_failure_percent(AciFailurePercent(now, policy));
  out->set_aci_circuit_open(CircuitOpen(now));
  out->set_aci_circuit_reason(CircuitReason(now));
}

}  // namespace spillway

namespace spillway {

void Feedback::SaveTo(spillway::core::v1::FeedbackSnapshot* out) const {
  for (absl::Duration d : aci_start_.samples()) {
    out->add_aci_start_nanos(absl::ToInt64Nanoseconds(d));
  }
  for (const auto& [cls, window] : run_time_) {
    auto& list = (*out->mutable_run_time_nanos())[cls];
    for (absl::Duration d : window.samples()) list.add_nanos(absl::ToInt64Nanoseconds(d));
  }
  for (const auto& [t, cpu] : releases_) {
    out->add_release_times(EncodeTime(t));
    out->add_release_cpu_millis(cpu);
  }
  for (const Outcome& o : outcomes_) {
    out->add_outcome_times(EncodeTime(o.time));
    out->add_outcome_failed(o.failed);
  }
  out->set_open_until(EncodeTime(open_until_));
  out->set_open_reason(open_reason_);
}

void Feedback::RestoreFrom(const spillway::core::v1::FeedbackSnapshot& in) {
  aci_start_ = SampleWindow(200);
  for (int64_t n : in.aci_start_nanos()) aci_start_.Add(absl::Nanoseconds(n));
  run_time_.clear();
  ++run_time_version_;
  // Sorted for determinism (proto maps have no order).
  std::map<std::string, const spillway::core::v1::Durations*> sorted;
  for (const auto& [cls, list] : in.run_time_nanos()) sorted[cls] = &list;
  for (const auto& [cls, list] : sorted) {
    SampleWindow w(50);
    for (int64_t n : list->nanos()) w.Add(absl::Nanoseconds(n));
    run_time_.emplace(cls, std::move(w));
  }
  releases_.clear();
  for (int i = 0; i < in.release_times_size() && i < in.release_cpu_millis_size(); ++i) {
    releases_.push_back({DecodeTime(in.release_times(i)), in.release_cpu_millis(i)});
  }
  outcomes_.clear();
  for (int i = 0; i < in.outcome_times_size() && i < in.outcome_failed_size(); ++i) {
    outcomes_.push_back({DecodeTime(in.outcome_times(i)), in.outcome_failed(i)});
  }
  open_until_ = DecodeTime(in.open_until());
  open_reason_ = in.open_reason();
}

}  // namespace spillway
