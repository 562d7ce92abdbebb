#include "backends/aci/aci_backend.h"

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <variant>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backends/aci/backoff.h"
#include "backends/aci/curl_http_client.h"
#include "backends/aci/group_spec.h"
#include "backends/aci/group_state.h"
#include "backends/aci/json_util.h"
#include "scheduler/model/money.h"

namespace spillway {
namespace {

// Longest a worker sleeps before re-reading the clock (keeps injected clocks responsive).
constexpr absl::Duration kMaxIdleWait = absl::Milliseconds(200);

bool IsSuccess(int status) { return status >= 200 && status < 300; }

std::string OperationUrl(const HttpResponse& response) {
  std::string url = response.Header("azure-asyncoperation");
  if (url.empty()) url = response.Header("location");
  return url;
}

// The quota reason the core and operators see, whatever ARM called it.
std::string QuotaReason(const ArmError& error) {
  if (error.code == "ContainerGroupQuotaReached") return error.Reason();
  return absl::StrCat("ContainerGroupQuotaReached: ", error.Reason());
}

}  // namespace

std::string AciQuota::ToString() const {
  if (!known) return "unknown";
  return absl::StrFormat("container groups %d/%d, cores %.2f/%d at start-up",
                         groups_used_at_start, groups_limit, cores_used_at_start, cores_limit);
}

AciBackend::AciBackend(AciBackendConfig config, std::unique_ptr<HttpClient> http,
                       std::unique_ptr<TokenSource> tokens, Clock* clock)
    : AciBackend(std::move(config), std::move(http), std::move(tokens), clock,
                 absl::BitGenRef(own_bitgen_)) {}

AciBackend::AciBackend(AciBackendConfig config, std::unique_ptr<HttpClient> http,
                       std::unique_ptr<TokenSource> tokens, Clock* clock, absl::BitGenRef bitgen)
    : config_(std::move(config)),
      http_(std::move(http)),
      tokens_(std::move(tokens)),
      clock_(clock),
      arm_(config_, http_.get(), tokens_.get()),
      own_bitgen_(config_.seed),
      bitgen_(bitgen),
      write_bucket_(config_.arm_write_burst, config_.arm_writes_per_second, clock->Now()),
      read_bucket_(config_.arm_read_burst, config_.arm_reads_per_second, clock->Now()) {
  create_limit_.Add(config_.creates_per_5min, absl::Minutes(5));
  create_limit_.Add(config_.creates_per_hour, absl::Hours(1));
  delete_limit_.Add(config_.deletes_per_5min, absl::Minutes(5));
  delete_limit_.Add(config_.deletes_per_hour, absl::Hours(1));
  for (int i = 0; i < config_.worker_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

AciBackend::~AciBackend() {
  {
    // After this no wakeup runs or starts: the loop that owns it may be going away.
    absl::MutexLock wake_lock(&wake_mu_);
    absl::MutexLock lock(&mu_);
    wakeup_ = nullptr;
    stopping_ = true;
    work_cv_.SignalAll();
  }
  for (std::thread& worker : workers_) worker.join();
}

bool AciBackend::Handles(const Action& action) const {
  return std::holds_alternative<CreateAciGroup>(action) ||
         std::holds_alternative<DeleteAciGroup>(action);
}

void AciBackend::Execute(const Action& action, absl::Time now) {
  (void)now;  // Steps read the injected clock when they run.
  absl::MutexLock lock(&mu_);
  if (const auto* create = std::get_if<CreateAciGroup>(&action)) {
    strangers_.erase(create->group_name);
    auto [it, inserted] = groups_.try_emplace(create->group_name);
    if (!inserted) {
      Group& known = it->second;
      if (known.found_at_start && !known.reported_final && known.job_id == create->job_id &&
          known.attempt == create->attempt) {
        // The core re-issued the create of a group we adopted from the first list: it is this
        // attempt's group. Report it from the start.
        known.found_at_start = false;
        known.reported_starting = false;
        known.size = AciBilledSize(create->resources.IsZero()
                                       ? Resources{create->spec.cpu_millis(),
                                                   create->spec.memory_mib()}
                                       : create->resources);
        ++stats_.groups_adopted;
        if (!known.busy) known.due = absl::InfinitePast();
      }
      if (known.orphan) {  // We are deleting it as an orphan: this attempt cannot have it.
        Emit(TaskFailed{create->job_id, create->attempt,
                        absl::StrCat("Conflict: container group ", create->group_name,
                                     " is being deleted as an orphan")});
      }
      return;  // A repeated create of a known group: its steps carry on.
    }
    Group& group = it->second;
    group.job_id = create->job_id;
    group.attempt = create->attempt;
    group.name = create->group_name;
    // Invalid UTF-8 is replaced rather than fatal (nlohmann-json without exceptions aborts).
    group.body = BuildContainerGroupBody(config_, *create)
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    group.size = AciBilledSize(create->resources.IsZero()
                                   ? Resources{create->spec.cpu_millis(), create->spec.memory_mib()}
                                   : create->resources);
    group.step = Step::kCreate;
    group.due = absl::InfinitePast();
  } else if (const auto* del = std::get_if<DeleteAciGroup>(&action)) {
    strangers_.erase(del->group_name);
    auto [it, inserted] = groups_.try_emplace(del->group_name);
    Group& group = it->second;
    if (inserted) {  // Unknown here (e.g. created before a restart): delete it all the same.
      group.job_id = del->job_id;
      group.attempt = del->attempt;
      group.name = del->group_name;
      group.reported_final = true;
    }
    group.delete_requested = true;
    if (!group.busy && group.step != Step::kDelete && group.step != Step::kWatchDelete) {
      group.step = Step::kDelete;
      group.retries = 0;
      group.due = absl::InfinitePast();
    }
  }
  work_cv_.SignalAll();
}

std::vector<Event> AciBackend::Poll(absl::Time now) {
  (void)now;
  absl::MutexLock lock(&mu_);
  std::vector<Event> events;
  events.swap(outbox_);
  return events;
}

absl::Time AciBackend::NextEventTime() const {
  absl::MutexLock lock(&mu_);
  return outbox_.empty() ? absl::InfiniteFuture() : outbox_.front().time;
}

void AciBackend::SetWakeup(std::function<void()> wakeup) {
  absl::MutexLock wake_lock(&wake_mu_);
  absl::MutexLock lock(&mu_);
  wakeup_ = std::move(wakeup);
}

void AciBackend::Wake() {
  absl::MutexLock wake_lock(&wake_mu_);  // Not mu_: the wakeup only signals the loop.
  std::function<void()> wakeup;
  {
    absl::MutexLock lock(&mu_);
    if (outbox_.empty() || !wakeup_) return;
    wakeup = wakeup_;
  }
  wakeup();
}

AciQuota AciBackend::quota() const {
  absl::MutexLock lock(&mu_);
  return quota_;
}

AciBackendStats AciBackend::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

int64_t AciBackend::SpendMicroUsd(absl::Time now) const {
  absl::MutexLock lock(&mu_);
  int64_t spend = closed_spend_micro_usd_;
  for (const auto& [name, group] : groups_) {
    if (group.billing_start < now) {
      spend += AciCostMicroUsd(group.size, now - group.billing_start, config_.prices);
    }
  }
  return spend;
}

int AciBackend::LiveGroups() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(groups_.size());
}

bool AciBackend::AwaitIdle(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return groups_.empty() && busy_ops_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

absl::StatusOr<std::string> AciBackend::FetchLogs(const std::string& group,
                                                  const std::string& container) {
  HttpRequest request;
  request.url = arm_.LogsUrl(group, container.empty() ? config_.container_name : container);
  absl::StatusOr<HttpResponse> response = arm_.Send(std::move(request));
  if (!response.ok()) return response.status();
  if (response->status == 404) {
    return absl::NotFoundError(ParseArmError(*response).Reason());
  }
  if (!IsSuccess(response->status)) {
    return absl::UnavailableError(ParseArmError(*response).Reason());
  }
  const nlohmann::json body = ParseJson(response->body);
  return JsonString(body, "content");
}

// --- Scheduling ---

void AciBackend::WorkerLoop() {
  while (true) {
    std::string name;
    GlobalOp global = GlobalOp::kNone;
    {
      absl::MutexLock lock(&mu_);
      if (!Claim(&name, &global)) return;
    }
    switch (global) {
      case GlobalOp::kQuota:
        DoReadQuota();
        break;
      case GlobalOp::kPollCycle:
        DoPollCycle();
        break;
      case GlobalOp::kNone:
        RunStep(name);
        break;
    }
    Wake();
  }
}

absl::Duration AciBackend::BudgetWait(const Group& group, absl::Time now) {
  switch (group.step) {
    case Step::kCreate:
      return std::max(create_limit_.WaitFor(now), write_bucket_.WaitFor(now));
    case Step::kDelete:
      return std::max(delete_limit_.WaitFor(now), write_bucket_.WaitFor(now));
    default:
      return read_bucket_.WaitFor(now);
  }
}

void AciBackend::TakeBudget(const Group& group, absl::Time now) {
  switch (group.step) {
    case Step::kCreate:
      // The quota check may still refuse without sending; the token is spent all the same
      // (conservative: the budget never over-admits).
      create_limit_.TryTake(now);
      write_bucket_.TryTake(now);
      break;
    case Step::kDelete:
      delete_limit_.TryTake(now);
      write_bucket_.TryTake(now);
      break;
    default:
      read_bucket_.TryTake(now);
      break;
  }
}

bool AciBackend::Claim(std::string* group_name, GlobalOp* global) {
  while (!stopping_) {
    const absl::Time now = clock_->Now();
    absl::Time next = absl::InfiniteFuture();
    if (quota_pending_) {
      quota_pending_ = false;
      ++busy_ops_;
      *global = GlobalOp::kQuota;
      return true;
    }
    bool observing = false;
    for (auto& [name, group] : groups_) {
      if (group.step == Step::kObserve && !group.busy) observing = true;
    }
    if (!poll_busy_ && (observing || now >= next_reconcile_)) {
      if (next_poll_ <= now) {
        poll_busy_ = true;
        ++busy_ops_;
        *global = GlobalOp::kPollCycle;
        return true;
      }
      next = std::min(next, next_poll_);
    }
    for (auto& [name, group] : groups_) {
      if (group.busy || group.step == Step::kIdle || group.due == absl::InfiniteFuture()) continue;
      if (group.due > now) {
        next = std::min(next, group.due);
        continue;
      }
      const absl::Duration wait = BudgetWait(group, now);
      if (wait > absl::ZeroDuration()) {
        group.due = now + wait;
        next = std::min(next, group.due);
        continue;
      }
      TakeBudget(group, now);
      group.busy = true;
      ++busy_ops_;
      *group_name = name;
      return true;
    }
    const absl::Duration wait =
        next == absl::InfiniteFuture() ? kMaxIdleWait : std::min(kMaxIdleWait, next - now);
    work_cv_.WaitWithTimeout(&mu_, std::max(wait, absl::Milliseconds(1)));
  }
  return false;
}

void AciBackend::Schedule(Group& group, Step step, absl::Duration delay) {
  group.step = step;
  group.due = clock_->Now() + delay;
}

void AciBackend::Release(Group& group) {
  group.busy = false;
  --busy_ops_;
  if (group.delete_requested && group.step != Step::kDelete &&
      group.step != Step::kWatchDelete) {
    group.step = Step::kDelete;
    group.retries = 0;
    group.due = absl::InfinitePast();
  }
  work_cv_.SignalAll();
}

void AciBackend::Emit(EventBody body) { outbox_.push_back(Event{clock_->Now(), std::move(body)}); }

void AciBackend::Fail(Group& group, const std::string& reason) {
  if (!group.reported_final && !group.orphan) {
    Emit(TaskFailed{group.job_id, group.attempt, reason});
  }
  group.reported_final = true;
  group.final_at = clock_->Now();
  group.step = Step::kIdle;
}

void AciBackend::RetryOrFail(Group& group, const ArmError& error, Step retry_step,
                             bool give_up_allowed) {
  if (error.http_status == 429) ++stats_.throttled;
  if (give_up_allowed && group.retries >= config_.max_retries) {
    ABSL_RAW_LOG(WARNING, "aci: %s: giving up after %d retries: %s", group.name.c_str(),
                 group.retries, error.Reason().c_str());
    Fail(group, error.Reason());
    return;
  }
  const absl::Duration delay =
      BackoffDelay(BackoffPolicy{config_.backoff_initial, config_.backoff_max}, group.retries,
                   error.retry_after, bitgen_);
  ++group.retries;
  ++stats_.retries;
  Schedule(group, retry_step, delay);
}

void AciBackend::Gone(const std::string& name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) return;
  Group& group = it->second;
  const absl::Time now = clock_->Now();
  if (group.billing_start < now) {
    closed_spend_micro_usd_ += AciCostMicroUsd(group.size, now - group.billing_start, config_.prices);
  }
  if (group.orphan) {
    ++stats_.orphans_deleted;
    if (quota_.groups_used_at_start > 0) --quota_.groups_used_at_start;
  } else {
    Emit(AciGroupDeleted{name});
  }
  --busy_ops_;
  groups_.erase(it);
  work_cv_.SignalAll();
}

std::string AciBackend::QuotaRefusal(const Group& group) const {
  if (!quota_.known) return "";
  int64_t groups = quota_.groups_used_at_start + 1;
  double cores = quota_.cores_used_at_start + CpuHundredths(group.size.cpu_millis) / 100.0;
  for (const auto& [name, other] : groups_) {
    // Groups that exist or may (a PUT went out) count, including creates still in flight.
    if (other.orphan || other.found_at_start || &other == &group ||
        other.put_sent_at == absl::InfiniteFuture()) {
      continue;
    }
    ++groups;
    cores += CpuHundredths(other.size.cpu_millis) / 100.0;
  }
  if (quota_.groups_limit >= 0 && groups > quota_.groups_limit) {
    return absl::StrCat("ContainerGroupQuotaReached: the region's quota of ",
                        quota_.groups_limit, " container groups is in use");
  }
  if (quota_.cores_limit >= 0 && cores > quota_.cores_limit + 1e-9) {
    return absl::StrFormat(
        "ContainerGroupQuotaReached: %.2f cores would exceed the region's quota of %d cores",
        cores, quota_.cores_limit);
  }
  return "";
}

void AciBackend::ReportVerdict(Group& group, const std::string& body_json) {
  const GroupVerdict verdict =
      MapGroupState(ParseGroupView(ParseJson(body_json), config_.container_name));
  if (group.reported_final || group.orphan) return;
  if (!group.reported_starting) {
    group.reported_starting = true;
    Emit(TaskStarting{group.job_id, group.attempt});
  }
  switch (verdict.kind) {
    case GroupVerdict::Kind::kStarting:
      return;
    case GroupVerdict::Kind::kRunning:
      if (!group.reported_running) {
        group.reported_running = true;
        Emit(TaskRunning{group.job_id, group.attempt});
      }
      return;
    case GroupVerdict::Kind::kExited:
      if (!group.reported_running) {
        group.reported_running = true;
        Emit(TaskRunning{group.job_id, group.attempt});
      }
      Emit(TaskExited{group.job_id, group.attempt, verdict.exit_code, verdict.reason});
      group.reported_final = true;
      group.final_at = clock_->Now();
      group.step = Step::kIdle;
      return;
    case GroupVerdict::Kind::kFailed:
      Fail(group, verdict.reason);
      return;
  }
}

// --- Steps ---

void AciBackend::RunStep(const std::string& name) {
  Group snapshot;
  {
    absl::MutexLock lock(&mu_);
    snapshot = groups_.at(name);
  }
  switch (snapshot.step) {
    case Step::kCreate:
      DoCreate(name, snapshot);
      break;
    case Step::kVerify:
      DoVerify(name, snapshot);
      break;
    case Step::kWatchCreate:
      DoWatchCreate(name, snapshot);
      break;
    case Step::kObserve:
      DoObserve(name, snapshot);
      break;
    case Step::kDelete:
      DoDelete(name, snapshot);
      break;
    case Step::kWatchDelete:
      DoWatchDelete(name, snapshot);
      break;
    case Step::kIdle: {
      absl::MutexLock lock(&mu_);
      Release(groups_.at(name));
      break;
    }
  }
}

void AciBackend::DoCreate(const std::string& name, const Group& snapshot) {
  {
    absl::MutexLock lock(&mu_);
    Group& group = groups_.at(name);
    if (group.delete_requested) {  // Cancelled before it was sent: nothing to create.
      Release(group);
      return;
    }
    if (std::string refusal = QuotaRefusal(group); !refusal.empty()) {
      ++stats_.quota_rejections;
      Fail(group, refusal);
      Release(group);
      return;
    }
    ++stats_.creates_sent;
    if (group.put_sent_at == absl::InfiniteFuture()) group.put_sent_at = clock_->Now();
  }
  absl::StatusOr<HttpResponse> response = arm_.PutGroup(name, snapshot.body);
  absl::MutexLock lock(&mu_);
  Group& group = groups_.at(name);
  if (!response.ok()) {
    RetryOrFail(group, TransportError(response.status()), Step::kVerify, true);
  } else if (response->status == 200 || response->status == 201) {
    if (response->status == 201) {
      ++stats_.groups_created;
    } else {
      ++stats_.groups_adopted;
      ABSL_RAW_LOG(INFO, "aci: adopted existing container group %s", name.c_str());
    }
    group.billing_start = std::min(group.billing_start, group.put_sent_at);
    group.retries = 0;
    ReportVerdict(group, response->body);
    if (!group.reported_final) {
      group.operation_url = OperationUrl(*response);
      const absl::Duration wait =
          std::max(ParseRetryAfter(response->Header("retry-after")), config_.poll_interval);
      if (!group.operation_url.empty()) {
        Schedule(group, Step::kWatchCreate, wait);
      } else {
        group.step = Step::kObserve;
        group.due = absl::InfiniteFuture();  // The next poll cycle GETs it.
      }
    }
  } else {
    const ArmError error = ParseArmError(*response);
    switch (ClassifyArmFailure(error, /*is_create=*/true)) {
      case FailureClass::kFatal:
        Fail(group, IsQuotaError(error) ? QuotaReason(error) : error.Reason());
        break;
      case FailureClass::kVerifyThenRetry:
        RetryOrFail(group, error, Step::kVerify, true);
        break;
      case FailureClass::kRetry:
        RetryOrFail(group, error, Step::kCreate, true);
        break;
    }
  }
  Release(group);
}

void AciBackend::DoVerify(const std::string& name, const Group& snapshot) {
  (void)snapshot;
  absl::StatusOr<HttpResponse> response = arm_.GetGroup(name);
  absl::MutexLock lock(&mu_);
  Group& group = groups_.at(name);
  ++stats_.gets;
  if (response.ok() && response->status == 200) {
    ++stats_.creates_verified;  // The create went through after all: never re-send it.
    group.billing_start = std::min(group.billing_start, group.put_sent_at);
    ReportVerdict(group, response->body);
    if (!group.reported_final) {
      group.step = Step::kObserve;
      group.due = absl::InfiniteFuture();
    }
  } else if (response.ok() && response->status == 404) {
    Schedule(group, Step::kCreate, absl::ZeroDuration());  // It did not happen: send it again.
  } else {
    const ArmError error =
        response.ok() ? ParseArmError(*response) : TransportError(response.status());
    RetryOrFail(group, error, Step::kVerify, true);
  }
  Release(group);
}

void AciBackend::DoWatchCreate(const std::string& name, const Group& snapshot) {
  absl::StatusOr<HttpResponse> response = arm_.GetUrl(snapshot.operation_url);
  absl::MutexLock lock(&mu_);
  Group& group = groups_.at(name);
  ++stats_.gets;
  if (response.ok() && response->status == 202) {  // Location-style: still running.
    Schedule(group, Step::kWatchCreate,
             std::max(ParseRetryAfter(response->Header("retry-after")), config_.poll_interval));
  } else if (response.ok() && IsSuccess(response->status)) {
    const nlohmann::json body = ParseJson(response->body);
    std::string status = JsonString(body, "status");
    if (status.empty()) status = "Succeeded";  // Location-style: done; the GET tells the rest.
    if (status == "Succeeded") {
      Schedule(group, Step::kObserve, absl::ZeroDuration());
    } else if (status == "Failed" || status == "Canceled") {
      ArmError error;
      if (const nlohmann::json* e = JsonObject(body, "error")) {
        error.code = JsonString(*e, "code");
        error.message = JsonString(*e, "message");
      }
      if (error.code.empty()) error.code = "ProvisioningFailed";
      // The group exists and bills: the core deletes it and decides about another attempt.
      Fail(group, IsQuotaError(error) ? QuotaReason(error) : error.Reason());
    } else {
      Schedule(group, Step::kWatchCreate,
               std::max(ParseRetryAfter(response->Header("retry-after")), config_.poll_interval));
    }
  } else if (response.ok() && response->status == 404) {
    Schedule(group, Step::kObserve, absl::ZeroDuration());  // Operation forgotten: GET the group.
  } else {
    const ArmError error =
        response.ok() ? ParseArmError(*response) : TransportError(response.status());
    RetryOrFail(group, error, Step::kWatchCreate, true);
  }
  Release(group);
}

void AciBackend::DoObserve(const std::string& name, const Group& snapshot) {
  (void)snapshot;
  absl::StatusOr<HttpResponse> response = arm_.GetGroup(name);
  absl::MutexLock lock(&mu_);
  Group& group = groups_.at(name);
  ++stats_.gets;
  if (response.ok() && response->status == 200) {
    group.retries = 0;
    ReportVerdict(group, response->body);
    if (!group.reported_final) {
      group.step = Step::kObserve;
      group.due = absl::InfiniteFuture();
    }
  } else if (response.ok() && response->status == 404) {
    Fail(group, "ContainerGroupNotFound: the container group disappeared");
  } else {
    const ArmError error =
        response.ok() ? ParseArmError(*response) : TransportError(response.status());
    RetryOrFail(group, error, Step::kObserve, true);
  }
  Release(group);
}

void AciBackend::DoDelete(const std::string& name, const Group& snapshot) {
  (void)snapshot;
  {
    absl::MutexLock lock(&mu_);
    ++stats_.deletes_sent;
  }
  absl::StatusOr<HttpResponse> response = arm_.DeleteGroup(name);
  absl::MutexLock lock(&mu_);
  Group& group = groups_.at(name);
  if (response.ok() &&
      (response->status == 200 || response->status == 204 || response->status == 404)) {
    Gone(name);
    return;
  }
  if (response.ok() && response->status == 202) {
    group.operation_url = OperationUrl(*response);
    group.retries = 0;
    Schedule(group, Step::kWatchDelete,
             std::max(ParseRetryAfter(response->Header("retry-after")), config_.poll_interval));
  } else {
    const ArmError error =
        response.ok() ? ParseArmError(*response) : TransportError(response.status());
    if (ClassifyArmFailure(error, false) == FailureClass::kFatal) {
      ABSL_RAW_LOG(WARNING, "aci: delete of %s refused (%s); retrying: a paid group must go",
                   name.c_str(), error.Reason().c_str());
    }
    RetryOrFail(group, error, Step::kDelete, /*give_up_allowed=*/false);
  }
  Release(group);
}

void AciBackend::DoWatchDelete(const std::string& name, const Group& snapshot) {
  const bool by_operation = !snapshot.operation_url.empty();
  absl::StatusOr<HttpResponse> response =
      by_operation ? arm_.GetUrl(snapshot.operation_url) : arm_.GetGroup(name);
  absl::MutexLock lock(&mu_);
  Group& group = groups_.at(name);
  ++stats_.gets;
  const absl::Duration again = config_.poll_interval;
  if (response.ok() && response->status == 404) {
    if (by_operation) {
      group.operation_url.clear();
      Schedule(group, Step::kWatchDelete, absl::ZeroDuration());
    } else {
      Gone(name);
      return;
    }
  } else if (response.ok() && by_operation && response->status == 202) {
    Schedule(group, Step::kWatchDelete,
             std::max(ParseRetryAfter(response->Header("retry-after")), again));
  } else if (response.ok() && IsSuccess(response->status)) {
    std::string status = JsonString(ParseJson(response->body), "status");
    if (by_operation && status.empty()) status = "Succeeded";  // Location-style: done.
    if (by_operation && status == "Succeeded") {
      Gone(name);
      return;
    }
    if (by_operation && (status == "Failed" || status == "Canceled")) {
      Schedule(group, Step::kDelete, again);  // Send the delete again.
    } else {
      Schedule(group, Step::kWatchDelete,
               std::max(ParseRetryAfter(response->Header("retry-after")), again));
    }
  } else {
    const ArmError error =
        response.ok() ? ParseArmError(*response) : TransportError(response.status());
    RetryOrFail(group, error, Step::kWatchDelete, false);
  }
  Release(group);
}

void AciBackend::DoReadQuota() {
  absl::StatusOr<HttpResponse> response = arm_.GetUrl(arm_.UsagesUrl());
  AciQuota quota;
  if (response.ok() && response->status == 200) {
    const nlohmann::json body = ParseJson(response->body);
    if (const nlohmann::json* values = JsonArray(body, "value")) {
      for (const nlohmann::json& usage : *values) {
        const nlohmann::json* name = JsonObject(usage, "name");
        const std::string which = name ? JsonString(*name, "value") : "";
        int64_t limit = -1;
        double current = 0;
        JsonInt(usage, "limit", &limit);
        JsonDouble(usage, "currentValue", &current);
        if (which == "ContainerGroups") {
          quota.known = true;
          quota.groups_limit = limit;
          quota.groups_used_at_start = static_cast<int64_t>(current);
        } else if (which == "StandardCores") {
          quota.known = true;
          quota.cores_limit = limit;
          quota.cores_used_at_start = current;
        }
      }
    }
    ABSL_RAW_LOG(INFO, "aci: quota in %s: %s", config_.location.c_str(), quota.ToString().c_str());
  } else {
    const std::string why = response.ok() ? ParseArmError(*response).Reason()
                                          : std::string(response.status().message());
    ABSL_RAW_LOG(WARNING, "aci: could not read usages (quota unknown): %s", why.c_str());
  }
  absl::MutexLock lock(&mu_);
  quota_ = quota;
  --busy_ops_;
  work_cv_.SignalAll();
}

void AciBackend::DoPollCycle() {
  bool reconcile = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    reconcile = now >= next_reconcile_;
    if (!read_bucket_.TryTake(now)) {
      next_poll_ = now + read_bucket_.WaitFor(now);
      poll_busy_ = false;
      --busy_ops_;
      return;
    }
  }
  // One list of the resource group (following nextLink), no lock held.
  absl::flat_hash_map<std::string, GroupView> listed;
  bool list_ok = true;
  std::string url = arm_.ListUrl();
  int pages = 0;
  while (!url.empty() && pages++ < 100) {
    absl::StatusOr<HttpResponse> response = arm_.GetUrl(url);
    if (!response.ok() || response->status != 200) {
      list_ok = false;
      break;
    }
    const nlohmann::json body = ParseJson(response->body);
    if (const nlohmann::json* values = JsonArray(body, "value")) {
      for (const nlohmann::json& value : *values) {
        GroupView view = ParseGroupView(value, config_.container_name);
        listed[view.name] = std::move(view);
      }
    }
    url = JsonString(body, "nextLink");
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  ++stats_.lists;
  next_poll_ = now + config_.poll_interval;
  poll_busy_ = false;
  --busy_ops_;
  // GETs only for groups that are not final yet.
  for (auto& [name, group] : groups_) {
    if (group.step == Step::kObserve && !group.busy && !group.reported_final) {
      group.due = absl::InfinitePast();
    }
  }
  if (list_ok && !inventory_reported_) {
    inventory_reported_ = true;
    BackendInventory inventory;
    inventory.backend = spillway::v1::BACKEND_ACI;
    for (const auto& [name, view] : listed) {
      auto tag = view.tags.find(kTagCluster);
      if (tag == view.tags.end() || tag->second != config_.cluster_name) continue;
      inventory.aci_groups.push_back(name);
      if (groups_.contains(name)) continue;
      auto job = view.tags.find(kTagJob);
      auto attempt_tag = view.tags.find(kTagAttempt);
      int attempt = 0;
      if (job == view.tags.end() || attempt_tag == view.tags.end() ||
          !absl::SimpleAtoi(attempt_tag->second, &attempt)) {
        continue;  // Not one of ours after all: the reconciler treats it as a stranger.
      }
      Group& adopted = groups_[name];
      adopted.job_id = job->second;
      adopted.attempt = attempt;
      adopted.name = name;
      adopted.reported_starting = true;  // The core saw it start before the restart.
      adopted.found_at_start = true;
      adopted.put_sent_at = now;         // Counts against the quota; billed from now on.
      adopted.billing_start = now;
      adopted.step = Step::kObserve;
      adopted.due = absl::InfinitePast();
      ++stats_.groups_found_at_start;
    }
    for (const auto& [name, group] : groups_) {
      if (!listed.contains(name) && !group.delete_requested && !group.orphan) {
        inventory.aci_groups.push_back(name);  // Being created: live as far as we know.
      }
    }
    std::sort(inventory.aci_groups.begin(), inventory.aci_groups.end());
    ABSL_RAW_LOG(INFO, "aci: %zu container groups tagged for cluster %s at start-up (%d adopted)",
                 inventory.aci_groups.size(), config_.cluster_name.c_str(),
                 stats_.groups_found_at_start);
    Emit(std::move(inventory));
  }
  if (list_ok && reconcile) {
    next_reconcile_ = now + config_.reconcile_interval;
    absl::flat_hash_map<std::string, absl::Time> still_strangers;
    for (const auto& [name, view] : listed) {
      auto tag = view.tags.find(kTagCluster);
      if (tag == view.tags.end() || tag->second != config_.cluster_name) continue;
      if (groups_.contains(name)) continue;
      auto seen = strangers_.find(name);
      const absl::Time first_seen = seen == strangers_.end() ? now : seen->second;
      if (now - first_seen >= config_.orphan_grace) {
        Group& orphan = groups_[name];
        orphan.name = name;
        orphan.orphan = true;
        orphan.reported_final = true;
        orphan.delete_requested = true;
        orphan.step = Step::kDelete;
        orphan.due = absl::InfinitePast();
        ABSL_RAW_LOG(INFO, "aci: deleting orphaned container group %s (job %s attempt %s)",
                     name.c_str(), view.tags.count(kTagJob) ? view.tags.at(kTagJob).c_str() : "?",
                     view.tags.count(kTagAttempt) ? view.tags.at(kTagAttempt).c_str() : "?");
      } else {
        still_strangers[name] = first_seen;
      }
    }
    strangers_ = std::move(still_strangers);
    // Finished attempts whose delete never came.
    for (auto& [name, group] : groups_) {
      if (group.reported_final && !group.delete_requested && !group.busy &&
          now - group.final_at >= config_.orphan_grace) {
        group.delete_requested = true;
        group.step = Step::kDelete;
        group.retries = 0;
        group.due = absl::InfinitePast();
      }
    }
  }
  work_cv_.SignalAll();
}

// --- Factory ---

absl::StatusOr<std::unique_ptr<AciBackend>> MakeAciBackend(AciBackendConfig config, Clock* clock) {
  ApplyAzureEnvironment(config, [](const char* name) { return std::getenv(name); });
  if (absl::Status s = ValidateAciConfig(config); !s.ok()) return s;
  if (clock == nullptr) clock = RealClock::Get();
  auto http = std::make_unique<CurlHttpClient>();
  // The token source uses the backend's client: the backend owns both and destroys the token
  // source first (member order).
  HttpClient* token_http = http.get();
  std::unique_ptr<TokenSource> tokens;
  const AciAuthConfig& auth = config.auth;
  switch (auth.mode) {
    case AciAuthConfig::Mode::kNone:
      tokens = std::make_unique<NoAuthTokenSource>();
      break;
    case AciAuthConfig::Mode::kClientCredentials:
      tokens = std::make_unique<CachingTokenSource>(
          std::make_unique<ClientCredentialsFetcher>(
              token_http, clock, auth.login_base_url, auth.tenant_id, auth.client_id,
              auth.client_secret, auth.scope, config.http_timeout),
          clock, auth.refresh_before_expiry);
      break;
    case AciAuthConfig::Mode::kManagedIdentity:
    case AciAuthConfig::Mode::kAuto:
      tokens = std::make_unique<CachingTokenSource>(
          std::make_unique<ManagedIdentityFetcher>(token_http, clock, auth.imds_base_url,
                                                   auth.resource, auth.client_id,
                                                   config.http_timeout),
          clock, auth.refresh_before_expiry);
      break;
  }
  ABSL_RAW_LOG(INFO, "aci: ARM %s, subscription %s, resource group %s, %s, api-version %s",
               config.arm_base_url.c_str(), config.subscription_id.c_str(),
               config.resource_group.c_str(), config.location.c_str(),
               config.api_version.c_str());
  return std::make_unique<AciBackend>(std::move(config), std::move(http), std::move(tokens),
                                      clock);
}

}  // namespace spillway
