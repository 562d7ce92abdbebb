// Drives a Core by hand in tests: a fixed start time, events applied at `now`, actions collected.
#ifndef SPILLWAY_SCHEDULER_CORE_CORE_TEST_HARNESS_H_
#define SPILLWAY_SCHEDULER_CORE_CORE_TEST_HARNESS_H_

#include <string>
#include <utility>
#include <vector>

#include "scheduler/core/core.h"
#include "scheduler/model/policy.h"

namespace spillway {

inline spillway::v1::JobSpec MakeSpec(const std::string& name, int64_t cpu_millis,
                                      int64_t memory_mib) {
  spillway::v1::JobSpec spec;
  spec.set_name(name);
  spec.set_image("busybox");
  spec.add_command("true");
  spec.set_cpu_millis(cpu_millis);
  spec.set_memory_mib(memory_mib);
  return spec;
}

inline void SetDurations(spillway::v1::JobSpec& spec, absl::Duration expected,
                         absl::Duration max_wait) {
  *spec.mutable_expected_duration() = ToProtoDuration(expected);
  *spec.mutable_max_wait() = ToProtoDuration(max_wait);
}

class CoreHarness {
 public:
  explicit CoreHarness(spillway::v1::Policy policy = {}) : core_(MakeConfig(std::move(policy))) {}
  explicit CoreHarness(CoreConfig config) : core_(std::move(config)) {}

  static CoreConfig MakeConfig(spillway::v1::Policy policy) {
    CoreConfig c;
    c.cluster_name = "test";
    c.policy = std::move(policy);
    c.start_time = absl::FromUnixSeconds(1767225600);
    c.check_caches = true;  // A stale cached answer of the queue pass aborts the test.
    return c;
  }

  ApplyResult Do(EventBody body) {
    ApplyResult r = core_.Apply(Event{now_, std::move(body)});
    for (auto& a : r.actions) {
      log_.push_back(DescribeAction(a));
      actions_.push_back(a);
    }
    return r;
  }

  void AddNode(const std::string& id, int64_t cpu_millis, int64_t memory_mib,
               std::map<std::string, std::string> labels = {}) {
    Do(NodeUp{id, Resources{cpu_millis, memory_mib}, std::move(labels)});
  }

  std::string Submit(const spillway::v1::JobSpec& spec, const std::string& key = "") {
    ApplyResult r = Do(JobSubmitted{spec, key});
    return r.job_id;
  }

  void Advance(absl::Duration d) {
    now_ += d;
    Do(Tick{});
  }

  // Actions since the last call.
  std::vector<Action> Take() { return std::exchange(actions_, {}); }

  template <class T>
  std::vector<T> Take() {
    std::vector<T> out;
    std::vector<Action> rest;
    for (auto& a : actions_) {
      if (auto* t = std::get_if<T>(&a)) {
        out.push_back(*t);
      } else {
        rest.push_back(a);
      }
    }
    actions_ = std::move(rest);
    return out;
  }

  // Reports the attempt as started and running now.
  void Run(const std::string& job_id, int attempt) {
    Do(TaskStarting{job_id, attempt});
    Do(TaskRunning{job_id, attempt});
  }

  spillway::v1::JobState StateOf(const std::string& id) const {
    return core_.FindJob(id)->state();
  }
  const spillway::v1::Job& JobOf(const std::string& id) const { return *core_.FindJob(id); }

  Core& core() { return core_; }
  absl::Time now() const { return now_; }
  const std::vector<std::string>& log() const { return log_; }

 private:
  Core core_;
  absl::Time now_ = absl::FromUnixSeconds(1767225600);
  std::vector<Action> actions_;
  std::vector<std::string> log_;
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_CORE_CORE_TEST_HARNESS_H_
