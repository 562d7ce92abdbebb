#include "sim/simulation.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "scheduler/core/core.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

bool IsFinal(spillway::v1::JobState s) {
  return s == spillway::v1::JOB_STATE_SUCCEEDED || s == spillway::v1::JOB_STATE_FAILED ||
         s == spillway::v1::JOB_STATE_CANCELLED;
}

// Per-job bookkeeping the report needs beyond the core's records.
struct Tracked {
  absl::Time submitted;
  absl::Time burst_at = absl::InfinitePast();
  bool on_aci = false;
  bool running_seen = false;
};

class Replay {
 public:
  Replay(const Trace& trace, const spillway::v1::Policy& policy, const SimOptions& options)
      : trace_(trace), policy_(policy), options_(options), core_(MakeConfig(policy, options)) {
    std::vector<SimulatedNode> nodes;
    for (int i = 0; i < options.pool.nodes; ++i) {
      nodes.push_back({absl::StrCat("vm-", 10000 + i), options.pool.node_capacity, {}});
    }
    vm_ = std::make_unique<SimulatedVmPool>(std::move(nodes), options.vm);
    SimulatedAciOptions aci = options.aci;
    aci.prices = PricesOf(policy);
    aci_ = std::make_unique<SimulatedAci>(aci);
    result_.jobs.resize(trace.size());
    tracked_.resize(trace.size());
    ids_.resize(trace.size());
  }

  SimResult Run() {
    const absl::Time t0 = options_.start;
    const absl::Time last_submit = trace_.empty() ? t0 : t0 + trace_.back().submit;
    const absl::Time give_up = last_submit + options_.give_up_after;
    absl::Time next_sample = t0;
    absl::Time next_forget = t0;
    absl::Time now = t0;
    size_t next_job = 0;
    while (true) {
      const bool work_left = next_job < trace_.size() || open_jobs_ > 0 || aci_->LiveGroups() > 0;
      absl::Time next = std::min(vm_->NextEventTime(), aci_->NextEventTime());
      if (next_job < trace_.size()) next = std::min(next, t0 + trace_[next_job].submit);
      if (core_.queue_depth() > 0 || aci_->LiveGroups() > 0) {
        next = std::min(next, last_apply_ + options_.tick_interval);
      }
      if (!work_left && next == absl::InfiniteFuture()) break;
      next = std::min(next, next_sample);
      if (next > give_up) break;
      now = std::max(now, next);

      for (Backend* backend :
           {static_cast<Backend*>(vm_.get()), static_cast<Backend*>(aci_.get())}) {
        for (Event& e : backend->Poll(now)) ApplyReport(e);
      }
      while (next_job < trace_.size() && t0 + trace_[next_job].submit <= now) {
        Submit(next_job++, now);
      }
      if ((core_.queue_depth() > 0 || aci_->LiveGroups() > 0) &&
          now >= last_apply_ + options_.tick_interval) {
        ExecuteAll(Apply(Event{now, Tick{}}).actions, now);
      }
      if (now >= next_sample) {
        TakeSample(now);
        next_sample += options_.sample_interval;
      }
      // The replay keeps its own record of every job: the core need not (bounded memory). Once
      // a simulated minute, so each call frees a few jobs rather than a sample interval's worth.
      if (options_.forget_finished_after != absl::InfiniteDuration() && now >= next_forget) {
        core_.ForgetFinished(now - options_.forget_finished_after);
        next_forget = now + absl::Minutes(1);
      }
    }
    result_.makespan = now - t0;
    result_.aci_spend_micro_usd = aci_->SpendMicroUsd(now);
    result_.core_aci_spend_micro_usd = core_.AciSpendMicroUsd(now);
    result_.live_groups_at_end = aci_->LiveGroups();
    result_.full_passes = core_.full_passes();
    for (size_t i = 0; i < ids_.size() && result_.unfinished_examples.size() < 5; ++i) {
      if (result_.jobs[i].ended || ids_[i].empty()) continue;
      const spillway::v1::Job* job = core_.FindJob(ids_[i]);
      if (job == nullptr) continue;
      result_.unfinished_examples.push_back(absl::StrCat(
          ids_[i], " ", spillway::v1::JobState_Name(job->state()), ": ", job->reason()));
    }
    return std::move(result_);
  }

 private:
  static CoreConfig MakeConfig(const spillway::v1::Policy& policy, const SimOptions& options) {
    CoreConfig config;
    config.cluster_name = "spillsim";
    config.policy = policy;
    config.start_time = options.start;
    config.event_log_capacity = 1000;  // WatchJobs history is not needed here.
    return config;
  }

  void Submit(size_t index, absl::Time now) {
    const TraceJob& job = trace_[index];
    spillway::v1::JobSpec spec = ToJobSpec(job);
    result_.jobs[index].budget =
        EffectiveMaxWait(spec, options_.budget_policy ? *options_.budget_policy : policy_);
    tracked_[index].submitted = now;
    ++open_jobs_;
    ApplyResult r = Apply(Event{now, JobSubmitted{std::move(spec), ""}});
    if (r.status.ok()) {
      index_[r.job_id] = index;
      ids_[index] = r.job_id;
    } else {
      --open_jobs_;  // Refused: counted as never run, never ended.
    }
    ExecuteAll(r.actions, now);
  }

  void ApplyReport(const Event& e) {
    const std::string* job_id = nullptr;
    std::visit(
        [&](const auto& body) {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, TaskRunning> || std::is_same_v<T, TaskExited> ||
                        std::is_same_v<T, TaskFailed> || std::is_same_v<T, TaskStarting>) {
            job_id = &body.job_id;
          }
        },
        e.body);
    ApplyResult r = Apply(e);
    if (job_id != nullptr) {
      auto it = index_.find(*job_id);
      if (it != index_.end()) {
        const size_t i = it->second;
        if (std::holds_alternative<TaskRunning>(e.body) && !tracked_[i].running_seen) {
          tracked_[i].running_seen = true;
          result_.jobs[i].wait = e.time - tracked_[i].submitted;
        }
        if (std::holds_alternative<TaskFailed>(e.body)) tracked_[i].on_aci = false;
        if (!result_.jobs[i].ended && (std::holds_alternative<TaskExited>(e.body) ||
                                       std::holds_alternative<TaskFailed>(e.body))) {
          const spillway::v1::Job* job = core_.FindJob(*job_id);
          if (job != nullptr && IsFinal(job->state())) {
            result_.jobs[i].ended = true;
            --open_jobs_;
          }
        }
      }
    }
    ExecuteAll(r.actions, e.time);
  }

  ApplyResult Apply(const Event& e) {
    ++result_.core_events;
    last_apply_ = e.time;
    return core_.Apply(e);
  }

  void ExecuteAll(const std::vector<Action>& actions, absl::Time now) {
    for (const Action& action : actions) {
      Observe(action, now);
      if (vm_->Handles(action)) {
        vm_->Execute(action, now);
      } else if (aci_->Handles(action)) {
        aci_->Execute(action, now);
      }
    }
  }

  void Observe(const Action& action, absl::Time now) {
    if (const auto* create = std::get_if<CreateAciGroup>(&action)) {
      ++result_.bursts;
      creates_.push_back(now);
      while (creates_.front() <= now - absl::Minutes(1)) creates_.pop_front();
      result_.peak_creates_per_minute =
          std::max(result_.peak_creates_per_minute, static_cast<int>(creates_.size()));
      auto it = index_.find(create->job_id);
      if (it != index_.end()) {
        Tracked& t = tracked_[it->second];
        t.on_aci = true;
        t.burst_at = now;
        result_.jobs[it->second].burst = true;
      }
    } else if (const auto* start = std::get_if<StartVmTask>(&action)) {
      auto it = index_.find(start->job_id);
      if (it != index_.end() && tracked_[it->second].on_aci) {
        Tracked& t = tracked_[it->second];
        t.on_aci = false;
        ++result_.migrations;
        if (now - t.burst_at <= options_.flap_window) ++result_.flaps;
      }
    } else if (std::holds_alternative<DeleteAciGroup>(action)) {
      ++result_.aci_deletes;
    }
  }

  void TakeSample(absl::Time now) {
    Sample s;
    s.at = now - options_.start;
    s.queue_depth = core_.queue_depth();
    const Resources capacity = core_.pool().TotalCapacity();
    const Resources allocated = core_.pool().TotalAllocated();
    s.vm_cpu_utilization = capacity.cpu_millis == 0 ? 0
                                                    : static_cast<double>(allocated.cpu_millis) /
                                                          static_cast<double>(capacity.cpu_millis);
    s.aci_groups = aci_->LiveGroups();
    s.aci_spend_micro_usd = aci_->SpendMicroUsd(now);
    result_.samples.push_back(s);
  }

  const Trace& trace_;
  const spillway::v1::Policy policy_;
  const SimOptions options_;
  Core core_;
  std::unique_ptr<SimulatedVmPool> vm_;
  std::unique_ptr<SimulatedAci> aci_;
  SimResult result_;
  std::vector<Tracked> tracked_;
  absl::flat_hash_map<std::string, size_t> index_;  // Job id -> trace index.
  std::vector<std::string> ids_;                    // Trace index -> job id ("" = refused).
  std::deque<absl::Time> creates_;
  absl::Time last_apply_ = absl::InfinitePast();
  int64_t open_jobs_ = 0;
};

}  // namespace

absl::StatusOr<SimResult> Simulate(const Trace& trace, const spillway::v1::Policy& policy,
                                   const SimOptions& options) {
  if (options.pool.nodes < 0 || options.pool.node_capacity.cpu_millis <= 0 ||
      options.pool.node_capacity.memory_mib <= 0) {
    return absl::InvalidArgumentError("pool: nodes must be >= 0 with positive capacity");
  }
  if (options.tick_interval <= absl::ZeroDuration() ||
      options.sample_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("tick_interval and sample_interval must be positive");
  }
  for (size_t i = 1; i < trace.size(); ++i) {
    if (trace[i].submit < trace[i - 1].submit) {
      return absl::InvalidArgumentError("trace: jobs must be in submit order");
    }
  }
  Replay replay(trace, policy, options);
  return replay.Run();
}

}  // namespace sim
}  // namespace spillway
