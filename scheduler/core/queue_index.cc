// Indexes of the queue that let a full pass skip the deep queue's unchanged jobs.
//
// Past the reservation horizon a job is predicted to wait as long as the last job that got a
// reservation (last_prediction), so its decision differs from its last one only if
//   - it was never decided (just queued, or in retry back-off at the last pass),
//   - its last decision was blocked (an ACI limit, the circuit, infeasible): limits move,
//   - it is due to burst: ACI-only; or its deadline (queued_since + wait budget) is reached —
//     by now for the fixed-wait strategy; for the cost-aware one by now + last_prediction (its
//     waited + predicted wait breaks the budget) or by now + ACI's last-moment lead (its
//     prediction is only a lower bound, burst_decision.h); every job for burst-when-unschedulable,
//   - or it could backfill: its cpu fits the largest free cpu on a node.
// Everything else keeps its class and explanation, so the pass need not visit it. Changes to
// nodes, the policy or recovery set visit_all_ (the next pass visits every job).
//
// A blocked job leaves by_deadline_ (blocked_ brings it back when ACI's limits may let it start,
// and on every refresh pass), so the deadline index holds only jobs that may still become due.
// Of the candidates, a job the pool cannot take now
// (no node has its cpu free, or its shape already failed this pass) and that DecideBurst leaves
// in its class is passed over without the placement walk (Core::DeepDecisionUnchanged):
// determinism_test holds the indexed pass to the answers of a pass that decides every job.
#include <algorithm>

#include "scheduler/core/core.h"
#include "scheduler/model/policy.h"

namespace spillway {

namespace {

bool Burstable(spillway::v1::BurstMode mode) {
  return mode != spillway::v1::BURST_MODE_ACI_ONLY && mode != spillway::v1::BURST_MODE_VM_ONLY;
}

}  // namespace

void Core::IndexQueued(JobRecord& rec) {
  const IndexedJob entry{rec.queue_key, &rec};
  const auto mode = rec.job.spec().burst_mode();
  if (mode == spillway::v1::BURST_MODE_ACI_ONLY) {
    aci_only_.insert(entry);
  } else if (Burstable(mode)) {
    rec.indexed_deadline = rec.queued_since + MaxWaitOf(rec);
    by_deadline_.insert({rec.indexed_deadline, entry});
  }
  by_cpu_.insert(ByCpuEntry(rec));
  undecided_.insert(entry);
  rec.undecided = true;
  rec.blocked = false;
}

void Core::UnindexQueued(JobRecord& rec) {
  const IndexedJob entry{rec.queue_key, &rec};
  aci_only_.erase(entry);
  by_deadline_.erase({rec.indexed_deadline, entry});
  by_cpu_.erase(ByCpuEntry(rec));
  if (rec.undecided) undecided_.erase(entry);
  if (rec.blocked) blocked_.erase({FactsOf(rec).aci_request.cpu_millis, entry});
  rec.undecided = false;
  rec.blocked = false;
}

void Core::MarkDecided(JobRecord& rec) {
  const IndexedJob entry{rec.queue_key, &rec};
  if (rec.undecided) {
    undecided_.erase(entry);
    rec.undecided = false;
  }
  const bool blocked =
      !(rec.pending_class == kPendingWaitingForVm || rec.pending_class == kPendingVmOnly ||
        rec.pending_class == kPendingBurstDisabled);
  if (blocked == rec.blocked) return;
  rec.blocked = blocked;
  // A blocked job is visited through blocked_ (DeepCandidates); by_deadline_ need not hold it.
  const bool dated = Burstable(rec.job.spec().burst_mode());
  if (blocked) {
    blocked_.insert({FactsOf(rec).aci_request.cpu_millis, entry});
    if (dated) by_deadline_.erase({rec.indexed_deadline, entry});
  } else {
    blocked_.erase({FactsOf(rec).aci_request.cpu_millis, entry});
    if (dated) by_deadline_.insert({rec.indexed_deadline, entry});
  }
}

Core::ByCpu Core::ByCpuEntry(JobRecord& rec) const {
  const SpecFacts& facts = FactsOf(rec);
  ByCpu e{rec.request.cpu_millis, rec.queue_key, &rec, rec.request.memory_mib, facts.plain, -1,
          absl::ZeroDuration()};
  if (facts.unbounded) {
    e.run = absl::InfiniteDuration();
  } else if (facts.hint != absl::ZeroDuration()) {
    e.run = facts.hint;
  } else {
    if (rec.class_id == -1) rec.class_id = ClassIdOf(Feedback::ClassOf(rec.job.spec()));
    e.class_id = rec.class_id;
  }
  return e;
}

Core::QueueKey Core::KeyOf(const JobRecord& rec) const {
  const absl::Time deadline =
      rec.queued_since + std::min(EffectiveMaxWait(rec.job.spec(), policy_),
                                  ToAbslDuration(policy_.deadline_order_window()));
  return {-rec.job.spec().priority(), absl::ToUnixNanos(deadline), rec.seq};
}

void Core::RebuildQueueIndexes() {
  // Deadlines follow the policy's default budget: re-key the queue.
  queue_.clear();
  for (auto& [id, rec] : jobs_) {
    if (!rec.queued) continue;
    rec.queue_key = KeyOf(rec);
    queue_.emplace(rec.queue_key, &rec);
  }
  by_deadline_.clear();
  by_cpu_.clear();
  aci_only_.clear();
  undecided_.clear();
  blocked_.clear();
  for (const auto& [key, rec] : queue_) IndexQueued(*rec);
  visit_all_ = true;
}

std::vector<Core::DeepCandidate> Core::DeepCandidates(const QueueKey& from,
                                                      absl::Duration last_prediction,
                                                      absl::Duration aci_latency, absl::Time now,
                                                      const AciUsage& usage, bool all_blocked,
                                                      const Pass& pass) const {
  // Each job from `from` on, sorted into queue order (a job found twice is kept once).
  std::vector<DeepCandidate> picked;
  auto add = [&](const IndexedJob& entry) {
    if (!(entry.first < from)) picked.push_back({entry.first, entry.second, false, {}});
  };
  for (const IndexedJob& entry : undecided_) add(entry);
  // Blocked jobs: all of them when their explanations are due for a refresh; else the ones ACI's
  // limits may let start: none while a limit that holds every job is reached (circuit, groups,
  // create budget), else those whose cpu fits the cores left. (Usage only grows during a pass.)
  // Blocked jobs the pool might take are small enough for its free cpu: picked below.
  const Resources any{0, 0};  // The smallest group: if it may not start, none may.
  if (all_blocked) {
    for (const auto& [cpu, entry] : blocked_) add(entry);
  } else if (AciLimitsAllow(any, usage, policy_)) {
    const int64_t cores_left = policy_.aci_max_cores() * 1000 - usage.cpu_millis;
    for (auto it = blocked_.begin(); it != blocked_.end() && it->first <= cores_left; ++it) {
      add(it->second);
    }
  }
  for (const IndexedJob& entry : aci_only_) add(entry);
  if (policy_.burst_enabled()) {
    const auto strategy = policy_.burst_strategy();
    if (strategy == spillway::v1::BURST_STRATEGY_WHEN_UNSCHEDULABLE) {
      for (const auto& [deadline, entry] : by_deadline_) add(entry);
    } else {
      // Cost-aware: the budget breaks, or ACI's last moment came (burst_decision.h).
      const absl::Time due = strategy == spillway::v1::BURST_STRATEGY_AFTER_MAX_WAIT
                                 ? now
                                 : now + std::max(last_prediction, LastMomentLead(aci_latency));
      for (auto it = by_deadline_.begin(); it != by_deadline_.end() && it->first <= due; ++it) {
        add(it->second);
      }
    }
  }
  // Small enough for the largest free cpu, and not of a shape that already failed this pass for
  // a run no longer than its own (more may fail as the pass goes on).
  const auto& free_cpu = pool_.free_cpu_index();
  const int64_t largest_free = free_cpu.empty() ? -1 : free_cpu.rbegin()->first;
  for (auto it = by_cpu_.begin(); it != by_cpu_.end() && it->cpu_millis <= largest_free; ++it) {
    if (!(it->key < from) && SmallJobMightFit(*it, pass)) {
      picked.push_back({it->key, it->rec, true, *it});
    }
  }
  std::sort(picked.begin(), picked.end(),
            [](const DeepCandidate& a, const DeepCandidate& b) { return a.key < b.key; });
  std::vector<DeepCandidate> jobs;
  jobs.reserve(picked.size());
  for (DeepCandidate& c : picked) {
    if (!jobs.empty() && jobs.back().key == c.key) {
      if (!c.only_small) jobs.back().only_small = false;  // Picked for another reason too.
      if (c.only_small) jobs.back().small = c.small;
      continue;
    }
    jobs.push_back(std::move(c));
  }
  return jobs;
}

bool Core::SmallJobMightFit(const ByCpu& e, const Pass& pass) const {
  const auto& free_cpu = pool_.free_cpu_index();
  if (free_cpu.empty() || free_cpu.rbegin()->first < e.cpu_millis) return false;
  if (!e.plain) return true;
  const absl::Duration* failed = ShapeFailure(pass, {e.cpu_millis, e.memory_mib});
  if (failed == nullptr) return true;
  const absl::Duration run = e.class_id == -1           ? e.run
                             : e.class_id == kNoClassId ? RunOf(*e.rec)
                                                        : ClassRun(e.class_id);
  return *failed > run;
}

}  // namespace spillway
