// The queue pass: VM pool first, predicted waits and reservations, overflow to ACI.
//
//   1. Jobs are visited in queue order — priority, then earliest deadline (queued since + budget,
//      budgets counted up to deadline_order_window), then arrival; jobs in back-off are skipped.
//      (A running job past its expected end is assumed to need a quarter as long again as it has
//      run: run times are heavy-tailed, and the pool's next room comes from the first of many.)
//   2. A job tries the VM pool (placer.h). Nodes holding a reservation for a job ahead accept it
//      only if it fits beside the reservation for its whole expected run (conservative
//      backfilling: a small job never delays a bigger job's predicted start). Nodes kept for an
//      urgent job ahead (step 4) accept it only if they could still hold that job right now.
//   3. A job that does not fit gets its predicted VM start: the earliest time any node that could
//      ever hold it has room for its whole expected run, given running tasks' expected ends and
//      the reservations of jobs ahead (capacity_profile.h).
//   4. DecideBurst (burst_decision.h) weighs that wait against the job's budget, ACI's start
//      latency and ACI's limits. Burst -> CreateAciGroup; else the job keeps its place, reserves
//      its predicted start (the first `max_reservations` such jobs), and records why it waits.
//      A job that may soon have to burst (budget left within kKeepNodesLeads last-moment leads)
//      also keeps every other node that could start it within its budget: run-time estimates
//      are noisy, so the reserved node's room often comes late, and a hole forming on another
//      node is its way out — unless later jobs fill it (KeepNodesFor).
//
// Every event first starts head-of-queue jobs that fit now (PlaceHead: a few placements). The full
// pass costs O(queue x nodes); it follows when jobs are still queued and either the queue is
// short (at most `max_reservations`) and the event changed something (a job entered the queue,
// a node, ACI's usage, the policy: not a Tick, nor a task that started, ran or exited — freed
// room goes to the head at once), or `full_pass_interval` (1 s)
// has passed since the last one — Slurm's split between its event-driven main scheduler and its
// periodic backfill pass. Decisions on a long queue so lag by at most the interval, against
// budgets of minutes.
#include <algorithm>
#include <optional>
#include <tuple>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler/core/core.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

// A queued job that can burst, with budget left within this many LastMomentLeads, keeps besides
// its reservation every node that could start it within its budget (Pass::KeepNodesFor). Two:
// the room a job waits for takes about one lead to come (or not) before its last moment, and
// jobs with the default budget are covered from arrival, so later small jobs cannot take the
// room they will need. Patient jobs keep nothing until then: nodes kept for half an hour would
// starve everything behind them. (spillsim seeds 1-5, against the reservation alone: up to 17%
// less ACI spend, seed 4 the same, and 2-31% fewer broken budgets; with 1.5 leads the nodes are
// kept too late: seed 5 spent $2.91, not $2.43. sim/results.)
constexpr int kKeepNodesLeads = 2;

bool Unbounded(const spillway::v1::JobSpec& spec) {
  return spec.restart_policy() == spillway::v1::RESTART_POLICY_ALWAYS;
}

// True if `decision` predicted the same VM start (within a second) as `predicted` from `now`.
bool SamePredictedStart(const spillway::v1::Decision& decision, absl::Duration predicted,
                        absl::Time now) {
  if (!decision.has_predicted_vm_wait()) return predicted == absl::InfiniteDuration();
  if (predicted == absl::InfiniteDuration()) return false;
  const absl::Time decided = absl::FromUnixNanos(
      google::protobuf::util::TimeUtil::TimestampToNanoseconds(decision.time()));
  const absl::Time before = decided + ToAbslDuration(decision.predicted_vm_wait());
  return absl::AbsDuration(before - (now + predicted)) < absl::Seconds(1);
}

}  // namespace

const Core::SpecFacts& Core::FactsOf(const JobRecord& rec) const {
  SpecFacts& f = rec.facts;
  if (f.known) return f;
  const auto& spec = rec.job.spec();
  f.plain = spec.node_selector().empty() && spec.affinity().empty() && spec.anti_affinity().empty();
  f.unbounded = Unbounded(spec);
  f.mode = spec.burst_mode() == spillway::v1::BURST_MODE_UNSPECIFIED
               ? spillway::v1::BURST_MODE_ALLOWED
               : spec.burst_mode();
  f.hint = spec.has_expected_duration() ? ToAbslDuration(spec.expected_duration())
                                        : absl::ZeroDuration();
  f.aci_request = RoundToAciGranularity(rec.request);
  f.known = true;
  return f;
}

absl::Duration Core::MaxWaitOf(const JobRecord& rec) const {
  if (rec.max_wait_policy != policy_.version()) {
    rec.max_wait = EffectiveMaxWait(rec.job.spec(), policy_);
    rec.max_wait_policy = policy_.version();
  }
  return rec.max_wait;
}

PlacementRequest Core::RequestOf(const JobRecord& rec) const {
  PlacementRequest r;
  r.resources = rec.request;
  if (FactsOf(rec).plain) return r;  // Nothing to match: the placer reads null as empty.
  r.node_selector = &rec.job.spec().node_selector();
  r.affinity = &rec.job.spec().affinity();
  r.anti_affinity = &rec.job.spec().anti_affinity();
  return r;
}

bool Core::AnyNodeCouldEverFit(const PlacementRequest& request) const {
  for (const auto& [node_id, node] : pool_.nodes()) {
    if (CouldEverFit(node, request)) return true;
  }
  return false;
}

PlacementOptions Core::Options() const {
  PlacementOptions o;
  o.strategy = policy_.placement_strategy();
  o.affinity_weight = policy_.affinity_weight();
  o.candidate_limit = config_.candidate_limit;
  return o;
}

absl::Duration Core::ExpectedDurationOf(const JobRecord& rec) const {
  const SpecFacts& facts = FactsOf(rec);
  if (facts.hint != absl::ZeroDuration()) return facts.hint;  // The submitter's estimate.
  const std::pair<int64_t, int64_t> at{feedback_.run_time_version(), policy_.version()};
  if (rec.expected_at != at) {
    if (rec.class_id == -1) rec.class_id = ClassIdOf(Feedback::ClassOf(rec.job.spec()));
    if (rec.class_id == kNoClassId) {
      rec.expected = feedback_.ExpectedDuration(rec.job.spec(), policy_);
    } else {
      rec.expected = ClassRun(rec.class_id);  // Without a hint the class decides.
    }
    rec.expected_at = at;
  }
  return rec.expected;
}

absl::Duration Core::ClassRun(int class_id) const {
  ClassMemo& memo = class_memo_[class_id];
  const std::pair<int64_t, int64_t> at{feedback_.run_time_version(), policy_.version()};
  if (memo.at != at) {
    memo.expected = feedback_.ExpectedDuration(memo.name, spillway::v1::JobSpec::default_instance(),
                                               policy_);  // No hint.
    memo.at = at;
  }
  return memo.expected;
}

int Core::ClassIdOf(absl::string_view job_class) const {
  auto it = class_ids_.find(job_class);
  if (it != class_ids_.end()) return it->second;
  if (class_memo_.size() >= static_cast<size_t>(kMaxClassIds)) return kNoClassId;
  const int id = static_cast<int>(class_memo_.size());
  class_memo_.push_back({std::string(job_class)});
  class_ids_.emplace(std::string(job_class), id);
  return id;
}

absl::Time Core::StartOf(const JobRecord& rec) const {
  if (rec.cached_start_attempt != rec.current_attempt) {  // OnTaskRunning resets it.
    const spillway::v1::Attempt& a = rec.job.attempts(rec.current_attempt - 1);
    const auto& started = a.has_start_time() ? a.start_time() : a.placed_time();
    rec.cached_start =
        absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(started));
    rec.cached_start_attempt = rec.current_attempt;
  }
  return rec.cached_start;
}

absl::Time Core::ExpectedEnd(const JobRecord& rec, absl::Time now) const {
  if (FactsOf(rec).unbounded) return absl::InfiniteFuture();
  const absl::Time start = StartOf(rec);
  const absl::Duration expected = ExpectedDurationOf(rec);
  const absl::Time end = start + expected;
  // Overran its estimate: run times are heavy-tailed, so the longer a job has run the longer it
  // is likely to go on — assume a quarter as long again as it has run (at least a quarter of the
  // estimate, and 5 s). A quarter, not the median residual (~0.8x for a Pareto tail of shape 1.2):
  // the pool's next room is the first of many overrunning jobs to end, far sooner than any one's
  // median; DecideBurst's last-moment check guards the budgets against the optimism.
  return end > now ? end : now + std::max({(now - start) / 4, expected / 4, absl::Seconds(5)});
}

CapacityProfile& Core::ProfileOf(
    const NodeInfo& node, absl::Time now,
    absl::flat_hash_map<const NodeInfo*, CapacityProfile>& profiles) const {
  auto it = profiles.find(&node);
  if (it != profiles.end()) return it->second;
  CapacityProfile profile(now, node.Free());
  auto jobs = node_jobs_.find(node.id);
  if (jobs != node_jobs_.end()) {
    NodeJobs& on_node = jobs->second;
    const std::pair<int64_t, int64_t> at{feedback_.run_time_version(), policy_.version()};
    const bool cached = on_node.cached_version == on_node.version &&
                        (!on_node.cached_uses_class || on_node.cached_at == at) &&
                        now >= on_node.cached_from && now < on_node.cached_until;
    if (!cached) {
      on_node.releases.clear();
      on_node.releases.reserve(on_node.jobs.size());
      on_node.cached_uses_class = false;
      on_node.cached_until = absl::InfiniteFuture();
      AddReleases(on_node, now);
      on_node.cached_version = on_node.version;
      on_node.cached_at = at;
      on_node.cached_from = now;
    } else if (config_.check_caches) {
      NodeJobs fresh;
      fresh.jobs = on_node.jobs;
      AddReleases(fresh, now);
      if (fresh.releases != on_node.releases) {
        ABSL_RAW_LOG(FATAL, "stale release cache of node %s", node.id.c_str());
      }
    }
    for (const auto& [end, resources] : on_node.releases) profile.AddRelease(end, resources);
  }
  return profiles.emplace(&node, std::move(profile)).first->second;
}

void Core::AddReleases(NodeJobs& on_node, absl::Time now) const {
  const absl::Time moving = now + absl::Nanoseconds(1);  // Valid at `now` only.
  for (const JobRecord* rec : on_node.jobs) {
    const SpecFacts& facts = FactsOf(*rec);
    if (!facts.unbounded && facts.hint == absl::ZeroDuration()) on_node.cached_uses_class = true;
    absl::Time end = now;  // A migration copy replaces the original: it ends when the job would.
    if (rec->current_attempt == 0) {
      on_node.cached_until = moving;
    } else if (facts.unbounded) {
      end = absl::InfiniteFuture();
    } else if (const absl::Time fixed = StartOf(*rec) + ExpectedDurationOf(*rec); fixed > now) {
      end = fixed;  // Up to its expected end a job's end stays put...
      on_node.cached_until = std::min(on_node.cached_until, fixed);
    } else {
      end = ExpectedEnd(*rec, now);  // ...then it moves with time.
      on_node.cached_until = moving;
    }
    on_node.releases.push_back({end, rec->request});
  }
  // In time order each release only extends the last step (ties: any order gives the same
  // profile; sorted fully so a cached list and a fresh one compare equal).
  std::sort(on_node.releases.begin(), on_node.releases.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.cpu_millis, a.second.memory_mib) <
           std::tie(b.first, b.second.cpu_millis, b.second.memory_mib);
  });
}

AciUsage Core::CurrentAciUsage(absl::Time now) {
  if (group_usage_version_ != groups_version_ || group_usage_policy_ != policy_.version()) {
    AciUsage sums;
    const AciPrices prices = PricesOf(policy_);
    for (const auto& [name, g] : groups_) {
      ++sums.groups;
      sums.cpu_millis += g.size.cpu_millis;
      sums.spend_rate_micro_usd_per_hour += AciHourlyRateMicroUsd(g.size, prices);
    }
    group_usage_ = sums;
    group_usage_version_ = groups_version_;
    group_usage_policy_ = policy_.version();
  }
  AciUsage u = group_usage_;
  u.creates_last_5min = creates_.CountWithin(now, absl::Minutes(5));
  u.creates_last_hour = creates_.CountWithin(now, absl::Hours(1));
  u.circuit_open_reason = feedback_.CircuitReason(now);
  return u;
}

void Core::RecordDecision(JobRecord& rec, const std::string& outcome, const std::string& message,
                          const std::map<std::string, int>& rejections, absl::Duration predicted,
                          absl::Time now) {
  spillway::v1::Decision* d = rec.job.mutable_last_decision();
  d->set_outcome(outcome);
  d->set_message(message);
  d->clear_rejections();
  for (const auto& [k, v] : rejections) (*d->mutable_rejections())[k] = v;
  if (predicted == absl::InfiniteDuration() || predicted < absl::ZeroDuration()) {
    d->clear_predicted_vm_wait();
  } else {
    *d->mutable_predicted_vm_wait() = ToProtoDuration(predicted);
  }
  *d->mutable_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
}

void Core::PlaceOnVm(JobRecord& rec, const NodeInfo& node, const std::string& why, absl::Time now,
                     std::vector<Action>& actions) {
  Dequeue(rec);
  spillway::v1::Attempt& a = NewAttempt(rec, spillway::v1::BACKEND_VM, now);
  a.set_node_id(node.id);
  rec.current_attempt = a.number();
  rec.pending_class.clear();
  TouchNodesOf(rec);
  AllocateTask(rec, node.id, a.number());
  rec.job.set_backend(spillway::v1::BACKEND_VM);
  rec.job.set_node_id(node.id);
  rec.job.clear_aci_group();
  actions.push_back(StartVmTask{rec.job.id(), a.number(), node.id, rec.job.spec()});
  Transition(rec, spillway::v1::JOB_STATE_PLACED, why, now);
}

void Core::BurstToAci(JobRecord& rec, const std::string& why, absl::Time now,
                      std::vector<Action>& actions) {
  Dequeue(rec);
  CreateAciGroup create = StartAciAttempt(rec, now);
  rec.current_attempt = create.attempt;
  rec.pending_class.clear();
  TouchNodesOf(rec);
  rec.job.set_backend(spillway::v1::BACKEND_ACI);
  rec.job.clear_node_id();
  rec.job.set_aci_group(create.group_name);
  actions.push_back(std::move(create));
  Transition(rec, spillway::v1::JOB_STATE_PLACED, absl::StrCat("burst to ACI: ", why), now);
}

void Core::Schedule(absl::Time now, bool changed, bool force, std::vector<Action>& actions) {
  if (queue_.empty()) return;
  // Head-of-queue jobs that fit now start at once: the full pass would place them the same way
  // (in order, with nothing reserved ahead of them).
  PlaceHead(now, actions);
  if (queue_.empty()) return;
  const bool short_queue = queue_.size() <= static_cast<size_t>(config_.max_reservations);
  if (force || (short_queue && changed) || last_full_pass_ == absl::InfinitePast() ||
      now - last_full_pass_ >= config_.full_pass_interval) {
    FullPass(now, actions);
  }
}

void Core::PlaceHead(absl::Time now, std::vector<Action>& actions) {
  PlacementOptions options = Options();
  options.explain = false;  // A job that does not fit is left to the full pass to explain.
  for (auto it = queue_.begin(); it != queue_.end();) {
    JobRecord& rec = *it->second;
    ++it;  // Placing the job takes it out of the queue.
    if (rec.retry_at > now || rec.job.spec().burst_mode() == spillway::v1::BURST_MODE_ACI_ONLY ||
        rec.pending_class == kPendingInfeasible) {
      continue;
    }
    const PlacementRequest request = RequestOf(rec);
    PlacementResult placed = Place(pool_, request, options);
    if (placed.node == nullptr) {
      if (AnyNodeCouldEverFit(request)) return;  // The head waits; nothing behind may overtake.
      continue;
    }
    RecordDecision(rec, "placed", placed.Explain(), {}, absl::ZeroDuration(), now);
    PlaceOnVm(rec, *placed.node, absl::StrCat("placed on vm node ", placed.node->id), now, actions);
  }
}

// One full pass's working state.
struct Core::Pass {
  PlacementOptions options;
  absl::Duration aci_latency;
  AciPrices prices;
  // Built lazily, this pass only; keyed by node (nodes neither come nor go during a pass).
  absl::flat_hash_map<const NodeInfo*, CapacityProfile> profiles;
  std::vector<const NodeInfo*> nodes;  // The pool's nodes in id order, listed on first use.
  int reservations = 0;
  AciUsage usage;  // Kept up to date as this pass bursts.
  absl::Duration last_prediction = absl::ZeroDuration();
  // Within a pass the pool only fills and reservations only grow, so a job without constraints
  // that found no room fails again for any job of its shape (cpu, memory) expected to run at
  // least as long: the shortest such failure per shape, with its rejections.
  std::map<std::pair<int64_t, int64_t>, std::pair<absl::Duration, std::map<std::string, int>>>
      failed_shapes;
  // AnyNodeCouldEverFit for plain jobs, by shape (the pool does not change during a pass).
  absl::flat_hash_map<std::pair<int64_t, int64_t>, bool> could_fit;
  // Blocked jobs past the horizon are decided again even when ACI's limits hold them: their
  // explanations are due for a refresh (CoreConfig::blocked_refresh_interval).
  bool refresh_blocked = true;

  // Schedulable nodes as the pass's predictions first looked at them: free capacity then, and
  // when it first changed. Capacity only shrinks during a pass (placements, reservations), so a
  // node with no room for a job then has none until that change.
  struct NodeStart {
    absl::Time change;
    Resources free;
    const NodeInfo* node;
  };
  std::vector<NodeStart> by_free;    // Most free cpu first.
  std::vector<NodeStart> by_change;  // Earliest change first.
  bool ordered = false;

  // What Place answers a job whose cpu no node has free (every node: its state, else cpu): the
  // same for every such job of the pass (node states do not change during one), so worked out
  // once; deep in a flooded queue each new job's first explanation would walk the whole pool.
  std::optional<PlacementResult> no_cpu_free;
  const PlacementResult& NoCpuFree(const NodePool& pool, const PlacementRequest& request) {
    if (!no_cpu_free) no_cpu_free = Place(pool, request, options);
    return *no_cpu_free;
  }

  // Nodes kept for urgent jobs ahead (KeepNodesFor): the most cpu and memory any of them needs.
  // A later job may start there only if the node could still hold that much afterwards.
  absl::flat_hash_map<const NodeInfo*, Resources> kept;

  void OrderNodes(const Core& core, absl::Time now) {
    if (ordered) return;
    ordered = true;
    for (const NodeInfo* node : Nodes(core.pool_)) {
      if (!node->Schedulable()) continue;
      const CapacityProfile& p = core.ProfileOf(*node, now, profiles);
      by_free.push_back({p.next_change(), p.free_now(), node});
    }
    by_change = by_free;
    std::sort(by_free.begin(), by_free.end(), [](const NodeStart& a, const NodeStart& b) {
      return a.free.cpu_millis > b.free.cpu_millis;
    });
    std::sort(by_change.begin(), by_change.end(),
              [](const NodeStart& a, const NodeStart& b) { return a.change < b.change; });
  }

  const std::vector<const NodeInfo*>& Nodes(const NodePool& pool) {
    if (nodes.empty()) {
      nodes.reserve(pool.nodes().size());
      for (const auto& [id, node] : pool.nodes()) nodes.push_back(&node);
    }
    return nodes;
  }

  // Keeps for `rec` (which waits, reserved on `reserved`) every other node that could start it
  // before `until`. The nodes visited as in DecideQueued: room now first, then by first change.
  void KeepNodesFor(const Core& core, const JobRecord& rec, const PlacementRequest& request,
                    absl::Duration duration, const NodeInfo* reserved, absl::Time until,
                    absl::Time now) {
    auto keep = [&](const NodeInfo* node) {
      auto it = kept.find(node);
      // Already kept for as much (a long queue's urgent jobs share nodes): nothing to look at.
      if (it != kept.end() && it->second.Fits(rec.request)) return;
      if (node == reserved || !CouldEverFit(*node, request)) return;
      const CapacityProfile& p = core.ProfileOf(*node, now, profiles);
      if (p.EarliestFit(rec.request, duration, until) == absl::InfiniteFuture()) return;
      Resources& k = kept[node];
      k.cpu_millis = std::max(k.cpu_millis, rec.request.cpu_millis);
      k.memory_mib = std::max(k.memory_mib, rec.request.memory_mib);
    };
    for (const NodeStart& n : by_free) {
      if (n.free.cpu_millis < rec.request.cpu_millis) break;
      if (n.free.Fits(rec.request)) keep(n.node);
    }
    for (const NodeStart& n : by_change) {
      if (n.change >= until) break;
      if (!n.free.Fits(rec.request)) keep(n.node);
    }
  }

  void Burst(Core& core, JobRecord& rec, const BurstInput& input, const BurstDecision& decision,
             const std::map<std::string, int>& rejections, absl::Time now,
             std::vector<Action>& actions) {
    core.RecordDecision(rec, "burst", decision.message, rejections, input.predicted_vm_wait, now);
    core.BurstToAci(rec, decision.message, now, actions);
    ++usage.groups;
    usage.cpu_millis += input.request.cpu_millis;
    usage.spend_rate_micro_usd_per_hour += AciHourlyRateMicroUsd(input.request, prices);
    ++usage.creates_last_5min;
    ++usage.creates_last_hour;
  }
};

void Core::FullPass(absl::Time now, std::vector<Action>& actions) {
  Pass pass;
  // Refresh when this pass is the first in its interval (intervals counted from the epoch, so
  // a restored core refreshes on the same passes).
  const int64_t every = absl::ToInt64Nanoseconds(config_.blocked_refresh_interval);
  pass.refresh_blocked =
      every <= 0 || last_full_pass_ == absl::InfinitePast() ||
      absl::ToUnixNanos(now) / every != absl::ToUnixNanos(last_full_pass_) / every;
  last_full_pass_ = now;
  ++full_passes_;
  pass.options = Options();
  pass.aci_latency = feedback_.AciStartLatency(policy_);
  pass.prices = PricesOf(policy_);
  pass.usage = CurrentAciUsage(now);
  auto decide = [&](JobRecord& rec) {
    if (rec.retry_at > now) return;  // Still undecided.
    if (!pass.refresh_blocked && rec.blocked && !rec.undecided &&
        pass.reservations >= config_.max_reservations && HeldByAciLimits(rec, pass)) {
      return;
    }
    DecideQueued(rec, pass, now, actions);
    if (rec.queued) MarkDecided(rec);  // Placed or burst: already out of the indexes.
  };
  // Up to the reservation horizon every job, in queue order (deciding a job may take it out of
  // the queue: step past it first).
  auto it = queue_.begin();
  const bool visit_all = visit_all_ || !config_.index_deep_queue;
  while (it != queue_.end() && (visit_all || pass.reservations < config_.max_reservations)) {
    JobRecord& rec = *it->second;
    ++it;
    decide(rec);
  }
  visit_all_ = false;
  if (it == queue_.end()) return;
  // Past it, only the jobs whose decision can change (queue_index.cc), and of those only the ones
  // a decision would change.
  for (const DeepCandidate& c : DeepCandidates(it->first, pass.last_prediction, pass.aci_latency,
                                               now, pass.usage, pass.refresh_blocked, pass)) {
    // Picked only as small enough for the pool: as if never picked once the pool cannot take it.
    if (c.only_small && !SmallJobMightFit(c.small, pass)) continue;
    JobRecord& rec = *c.rec;
    if (!rec.undecided && rec.retry_at <= now && DeepDecisionUnchanged(rec, pass, now)) continue;
    decide(rec);
  }
}

absl::Duration Core::RunOf(const JobRecord& rec) const {
  return FactsOf(rec).unbounded ? absl::InfiniteDuration() : ExpectedDurationOf(rec);
}

bool Core::PoolMightTake(const JobRecord& rec, absl::Duration duration, const Pass& pass) const {
  const auto& free_cpu = pool_.free_cpu_index();
  if (free_cpu.empty() || free_cpu.rbegin()->first < rec.request.cpu_millis) return false;
  if (!FactsOf(rec).plain) return true;
  const absl::Duration* failed =
      ShapeFailure(pass, {rec.request.cpu_millis, rec.request.memory_mib});
  return failed == nullptr || *failed > duration;
}

const absl::Duration* Core::ShapeFailure(const Pass& pass,
                                         const std::pair<int64_t, int64_t>& shape) const {
  auto failed = pass.failed_shapes.find(shape);
  return failed == pass.failed_shapes.end() ? nullptr : &failed->second.first;
}

bool Core::HeldByAciLimits(const JobRecord& rec, const Pass& pass) const {
  const SpecFacts& facts = FactsOf(rec);
  if (AciLimitsAllow(facts.aci_request, pass.usage, policy_)) return false;
  if (facts.mode == spillway::v1::BURST_MODE_ACI_ONLY) return true;
  return !PoolMightTake(rec, RunOf(rec), pass);
}

bool Core::DeepDecisionUnchanged(const JobRecord& rec, Pass& pass, absl::Time now) const {
  const SpecFacts& facts = FactsOf(rec);
  if (facts.mode == spillway::v1::BURST_MODE_ACI_ONLY) return false;
  const absl::Duration duration = RunOf(rec);
  const std::pair<int64_t, int64_t> shape{rec.request.cpu_millis, rec.request.memory_mib};
  if (PoolMightTake(rec, duration, pass)) return false;
  bool any_could_fit;
  if (facts.plain) {
    auto known = pass.could_fit.find(shape);
    if (known == pass.could_fit.end()) {
      known = pass.could_fit.emplace(shape, AnyNodeCouldEverFit(RequestOf(rec))).first;
    }
    any_could_fit = known->second;
  } else {
    any_could_fit = AnyNodeCouldEverFit(RequestOf(rec));
  }
  BurstInput input;
  input.request = facts.aci_request;
  input.mode = facts.mode;
  input.waited = now - rec.queued_since;
  input.max_wait = MaxWaitOf(rec);
  input.aci_start_latency = pass.aci_latency;
  input.expected_duration = facts.unbounded ? absl::Hours(1) : duration;
  input.predicted_vm_wait = any_could_fit ? pass.last_prediction : absl::InfiniteDuration();
  input.prediction_is_lower_bound = true;
  const BurstDecision decision = DecideBurst(input, pass.usage, policy_, /*explain=*/false);
  if (decision.burst) return false;
  const bool infeasible =
      !any_could_fit && decision.pending_class != kPendingWaitingForVm &&
      (input.mode == spillway::v1::BURST_MODE_VM_ONLY || !policy_.burst_enabled());
  static const std::string* const kQueued = new std::string("queued");
  static const std::string* const kInfeasible = new std::string("infeasible");
  return (infeasible ? rec.pending_class == kPendingInfeasible
                     : rec.pending_class == decision.pending_class) &&
         rec.job.last_decision().outcome() == (any_could_fit ? *kQueued : *kInfeasible);
}

void Core::DecideQueued(JobRecord& rec, Pass& pass, absl::Time now, std::vector<Action>& actions) {
  const SpecFacts& facts = FactsOf(rec);
  const PlacementRequest request = RequestOf(rec);
  const absl::Duration duration = RunOf(rec);
  const absl::Duration waited = now - rec.queued_since;
  BurstInput input;
  input.request = facts.aci_request;
  input.mode = facts.mode;
  input.waited = waited;
  input.max_wait = MaxWaitOf(rec);
  input.aci_start_latency = pass.aci_latency;
  input.expected_duration = facts.unbounded ? absl::Hours(1) : duration;

  std::map<std::string, int> rejections;
  if (input.mode != spillway::v1::BURST_MODE_ACI_ONLY) {
    // 2. VM pool first, respecting reservations of jobs ahead.
    const NodeFilter reserved = [&](const NodeInfo& node) {
      auto kept = pass.kept.find(&node);
      if (kept != pass.kept.end() && !(node.Free() - rec.request).Fits(kept->second)) return false;
      auto it = pass.profiles.find(&node);
      return it == pass.profiles.end() || !it->second.has_reservations() ||
             it->second.FitsDuring(now, duration, rec.request);
    };
    const bool plain = facts.plain;
    const std::pair<int64_t, int64_t> shape{rec.request.cpu_millis, rec.request.memory_mib};
    const bool past_horizon = pass.reservations >= config_.max_reservations;
    const auto& free_cpu = pool_.free_cpu_index();
    PlacementResult placed;
    bool explained = true;
    auto cached = plain ? pass.failed_shapes.find(shape) : pass.failed_shapes.end();
    if (cached != pass.failed_shapes.end() && cached->second.first <= duration) {
      placed.rejections = cached->second.second;
    } else if (past_horizon &&
               (free_cpu.empty() || free_cpu.rbegin()->first < rec.request.cpu_millis)) {
      explained = false;  // No node has the cpu free: skip the walk (explained if needed).
    } else {
      placed = Place(pool_, request, pass.options, &reserved);
      if (plain && placed.node == nullptr &&
          (cached == pass.failed_shapes.end() || duration < cached->second.first)) {
        pass.failed_shapes[shape] = {duration, placed.rejections};
      }
    }
    if (placed.node != nullptr) {
      auto it = pass.profiles.find(placed.node);
      if (it != pass.profiles.end()) it->second.Reserve(now, duration, rec.request);
      RecordDecision(rec, "placed", placed.Explain(), {}, absl::ZeroDuration(), now);
      PlaceOnVm(rec, *placed.node, absl::StrCat("placed on vm node ", placed.node->id), now,
                actions);
      return;
    }
    rejections = placed.rejections;
    // 3. Predicted VM start.
    absl::Time start = absl::InfiniteFuture();
    const NodeInfo* best = nullptr;
    bool any_could_fit = false;
    if (!past_horizon) {
      // The earliest start over the nodes (ties: the lowest id), visiting first the nodes with
      // room now, then the others by when their free capacity first changes, up to the best
      // start so far: a node with no room now cannot fit the job before that change.
      pass.OrderNodes(*this, now);
      auto consider = [&](const NodeInfo* node) {
        if (!CouldEverFit(*node, request)) return;
        any_could_fit = true;
        const absl::Time before =
            best == nullptr ? absl::InfiniteFuture() : start + absl::Nanoseconds(1);
        const absl::Time t =
            ProfileOf(*node, now, pass.profiles).EarliestFit(rec.request, duration, before);
        if (t < start || (t == start && t != absl::InfiniteFuture() && node->id < best->id)) {
          start = t;
          best = node;
        }
      };
      for (const Pass::NodeStart& n : pass.by_free) {
        if (n.free.cpu_millis < rec.request.cpu_millis) break;
        if (n.free.Fits(rec.request)) consider(n.node);
      }
      for (const Pass::NodeStart& n : pass.by_change) {
        if (n.change > start) break;
        if (!n.free.Fits(rec.request)) consider(n.node);
      }
      input.predicted_vm_wait =
          start == absl::InfiniteFuture() ? absl::InfiniteDuration() : start - now;
      if (start != absl::InfiniteFuture()) pass.last_prediction = input.predicted_vm_wait;
    } else {
      // Beyond the reservation horizon: at least as long as the last job that got one.
      any_could_fit = AnyNodeCouldEverFit(request);
      input.predicted_vm_wait = any_could_fit ? pass.last_prediction : absl::InfiniteDuration();
      input.prediction_is_lower_bound = true;
    }
    // Deep in the queue the message is built only when it is recorded (below).
    BurstDecision decision = DecideBurst(input, pass.usage, policy_, /*explain=*/!past_horizon);
    // A job no node has the cpu for is explained by the pass's one answer (Pass::NoCpuFree).
    auto explain = [&] {
      placed = pass.NoCpuFree(pool_, request);
      if (!config_.check_caches) return;
      const PlacementResult fresh = Place(pool_, request, pass.options, &reserved);
      if (fresh.node != nullptr || fresh.rejections != placed.rejections) {
        ABSL_RAW_LOG(FATAL, "stale explanation for job %s", rec.job.id().c_str());
      }
    };
    if (!explained && decision.burst) {
      explain();
      rejections = placed.rejections;
      explained = true;
    }
    if (decision.burst) {
      if (past_horizon) decision = DecideBurst(input, pass.usage, policy_);
      pass.Burst(*this, rec, input, decision, rejections, now, actions);
      return;
    }
    if (best != nullptr) {
      // Only a job that can burst: keeping nodes for VM-only waits broke more budgets behind them
      // than it saved (spillsim's vm-only strategy, seeds 1-5: up to 18% more).
      const absl::Duration left = input.max_wait - waited;
      if (input.mode != spillway::v1::BURST_MODE_VM_ONLY && policy_.burst_enabled() &&
          left <= kKeepNodesLeads * LastMomentLead(input.aci_start_latency)) {
        pass.KeepNodesFor(*this, rec, request, duration, best, now + left, now);
      }
      pass.profiles.at(best).Reserve(start, duration, rec.request);
      ++pass.reservations;
    }
    if (!any_could_fit && decision.pending_class != kPendingWaitingForVm &&
        (input.mode == spillway::v1::BURST_MODE_VM_ONLY || !policy_.burst_enabled())) {
      decision.pending_class = kPendingInfeasible;
    }
    const bool same_class = rec.pending_class == decision.pending_class;
    if (!same_class) rec.pending_class = decision.pending_class;
    const char* outcome = any_could_fit ? "queued" : "infeasible";
    // Keep the recorded explanation until the job's class or outcome changes — and, within the
    // reservation horizon, its predicted start moves (by a second or more) — instead of
    // re-formatting it for every queued job on every pass. Deep in the queue nothing new was
    // predicted.
    if (same_class && rec.job.last_decision().outcome() == outcome &&
        (past_horizon ||
         SamePredictedStart(rec.job.last_decision(), input.predicted_vm_wait, now))) {
      return;
    }
    if (!explained) explain();
    if (past_horizon) decision = DecideBurst(input, pass.usage, policy_);
    std::string message = absl::StrCat(placed.Explain(), "; ", decision.message);
    RecordDecision(rec, outcome, message, rejections, input.predicted_vm_wait, now);
    rec.job.set_reason(std::move(message));
    return;
  }
  // ACI-only.
  input.predicted_vm_wait = absl::InfiniteDuration();
  BurstDecision decision = DecideBurst(input, pass.usage, policy_);
  if (decision.burst) {
    pass.Burst(*this, rec, input, decision, {}, now, actions);
    return;
  }
  rec.pending_class = decision.pending_class;
  RecordDecision(rec, "queued", decision.message, {}, input.predicted_vm_wait, now);
  rec.job.set_reason(decision.message);
}

}  // namespace spillway
