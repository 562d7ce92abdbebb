#include "tools/aci-emulator/emulator.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/random/distributions.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "backends/aci/group_spec.h"
#include "scheduler/model/money.h"

namespace spillway {
namespace {

using nlohmann::json;

constexpr const char* kApiVersions[] = {"2023-05-01", "2025-09-01", "2026-05-01"};

EmuResponse JsonReply(int status, const json& body) {
  EmuResponse response;
  response.status = status;
  // Container output may be any bytes: invalid UTF-8 is replaced, never fatal (no exceptions).
  response.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return response;
}

EmuResponse ArmErrorReply(int status, const std::string& code, const std::string& message) {
  return JsonReply(status, json{{"error", {{"code", code}, {"message", message}}}});
}

std::string FormatArmTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

bool ValidGroupName(const std::string& name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && i > 0 && name[i - 1] == '-')) return false;
  }
  return true;
}

std::string UrlDecode(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    int value = 0;
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() &&
               absl::SimpleHexAtoi(text.substr(i + 1, 2), &value)) {
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(absl::string_view body) {
  std::map<std::string, std::string> form;
  for (absl::string_view pair : absl::StrSplit(body, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    form[UrlDecode(kv.first)] = UrlDecode(kv.second);
  }
  return form;
}

bool GetNumber(const json& j, const char* key, double* out) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return false;
  *out = it->get<double>();
  return true;
}

const json* Member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

}  // namespace

Emulator::Emulator(EmulatorOptions options, const Clock* clock, std::string log_dir)
    : options_(std::move(options)),
      clock_(clock),
      log_dir_(std::move(log_dir)),
      faults_(options_.faults),
      bitgen_(options_.seed),
      write_bucket_(options_.arm_write_capacity, options_.arm_writes_per_second, clock->Now()),
      read_bucket_(options_.arm_read_capacity, options_.arm_reads_per_second, clock->Now()) {
  create_limit_.Add(options_.creates_per_5min, absl::Minutes(5));
  create_limit_.Add(options_.creates_per_hour, absl::Hours(1));
  delete_limit_.Add(options_.deletes_per_5min, absl::Minutes(5));
  delete_limit_.Add(options_.deletes_per_hour, absl::Hours(1));
}

Emulator::~Emulator() {
  absl::MutexLock lock(&mu_);
  for (auto& [name, group] : groups_) group.process.KillAndWait();
}

void Emulator::SetFaults(const EmulatorFaults& faults) {
  absl::MutexLock lock(&mu_);
  faults_ = faults;
}

bool Emulator::Draw(double p) {
  if (p <= 0) return false;
  return absl::Bernoulli(bitgen_, std::min(p, 1.0));
}

int64_t Emulator::CostOf(const Group& group, absl::Time end) const {
  if (end <= group.created) return 0;
  return AciCostMicroUsd(group.size, end - group.created, options_.prices);
}

int64_t Emulator::BillMicroUsd() const {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  int64_t total = closed_bill_micro_usd_;
  for (const auto& [name, group] : groups_) total += CostOf(group, now);
  return total;
}

EmuResponse Emulator::Handle(const EmuRequest& request) {
  std::vector<std::string> segments = absl::StrSplit(request.path, '/', absl::SkipEmpty());
  absl::MutexLock lock(&mu_);
  EmuResponse response;
  if (!segments.empty() && segments[0] == "emulator" && segments.size() == 2) {
    response = TestEndpoint(request, segments[1]);
  } else if (segments.size() == 4 && segments[1] == "oauth2" && segments[2] == "v2.0" &&
             segments[3] == "token" && request.method == "POST") {
    response = Token(request);
  } else if (segments.size() == 4 && segments[0] == "metadata" && segments[1] == "identity" &&
             segments[3] == "token" && request.method == "GET") {
    response = Imds(request);
  } else if (!segments.empty() && absl::EqualsIgnoreCase(segments[0], "subscriptions")) {
    response = HandleArm(request, segments);
  } else {
    response = ArmErrorReply(404, "NotFound", "no such endpoint in the ACI emulator");
  }
  response.headers["x-ms-request-id"] = absl::StrCat("emu-", next_id_++);
  return response;
}

EmuResponse Emulator::Gate(const EmuRequest& request, bool is_write) {
  EmuResponse none;
  none.status = 0;
  const absl::Time now = clock_->Now();
  if (options_.require_auth) {
    const auto auth = request.headers.find("authorization");
    if (auth == request.headers.end() || !absl::StartsWith(auth->second, "Bearer ")) {
      ++counters_["unauthorized"];
      return ArmErrorReply(401, "AuthenticationFailed",
                           "Authentication failed. The 'Authorization' header is missing.");
    }
    auto token = tokens_.find(auth->second.substr(7));
    if (token == tokens_.end()) {
      ++counters_["unauthorized"];
      return ArmErrorReply(401, "InvalidAuthenticationToken",
                           "The access token is invalid.");
    }
    if (token->second <= now) {
      ++counters_["unauthorized"];
      return ArmErrorReply(401, "ExpiredAuthenticationToken",
                           "The access token expiry UTC time is earlier than current UTC time.");
    }
  }
  const auto version = request.query.find("api-version");
  bool known_version = false;
  for (const char* v : kApiVersions) {
    known_version |= version != request.query.end() && version->second == v;
  }
  if (!known_version) {
    return ArmErrorReply(400, "NoRegisteredProviderFound",
                         "No registered resource provider found for the api-version; supported: "
                         "2023-05-01, 2025-09-01, 2026-05-01.");
  }
  TokenBucket& bucket = is_write ? write_bucket_ : read_bucket_;
  if (!bucket.TryTake(now)) {
    ++counters_["arm_throttled"];
    EmuResponse r = ArmErrorReply(
        429, "TooManyRequests",
        absl::StrCat("Number of ", is_write ? "write" : "read",
                     " requests for subscription exceeded the limit. Please retry after a while."));
    r.headers["Retry-After"] = absl::StrCat(
        std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(bucket.WaitFor(now), absl::Seconds(1)))));
    return r;
  }
  ++arm_requests_;
  if (faults_.throttle_burst_every > 0 && arm_requests_ % faults_.throttle_burst_every == 0) {
    burst_left_ = faults_.throttle_burst_length;
  }
  if (burst_left_ > 0 || Draw(faults_.p_429)) {
    if (burst_left_ > 0) --burst_left_;
    ++counters_["fault_429"];
    EmuResponse r = ArmErrorReply(429, "TooManyRequests",
                                  "The request is throttled (injected). Please retry later.");
    r.headers["Retry-After"] = absl::StrCat(faults_.throttle_retry_after_seconds);
    return r;
  }
  if (Draw(faults_.p_5xx)) {
    ++counters_["fault_5xx"];
    return ArmErrorReply(500, "InternalServerError",
                         "Encountered internal server error (injected).");
  }
  return none;
}

EmuResponse Emulator::HandleArm(const EmuRequest& request,
                                const std::vector<std::string>& s) {
  const std::string& m = request.method;
  const bool is_write = m == "PUT" || m == "DELETE" || m == "POST";
  auto ieq = [&](size_t i, const char* text) {
    return i < s.size() && absl::EqualsIgnoreCase(s[i], text);
  };
  const bool provider_path = s.size() >= 6 && ieq(2, "providers") &&
                             ieq(3, "Microsoft.ContainerInstance") && ieq(4, "locations");
  const bool groups_path = s.size() >= 7 && ieq(2, "resourceGroups") && ieq(4, "providers") &&
                           ieq(5, "Microsoft.ContainerInstance") && ieq(6, "containerGroups");
  if (!provider_path && !groups_path) {
    return ArmErrorReply(404, "InvalidResourceType", "The resource type could not be found.");
  }
  EmuResponse gate = Gate(request, is_write);
  if (gate.status != 0) return gate;
  const std::string bucket_header = is_write ? "x-ms-ratelimit-remaining-subscription-writes"
                                             : "x-ms-ratelimit-remaining-subscription-reads";
  const int64_t remaining = (is_write ? write_bucket_ : read_bucket_).Remaining(clock_->Now());
  EmuResponse response;
  if (provider_path) {
    if (s.size() == 7 && ieq(6, "usages") && m == "GET") {
      response = Usages();
    } else if (s.size() == 8 && ieq(6, "operations") && m == "GET") {
      response = OperationStatus(s[7]);
    } else {
      response = ArmErrorReply(404, "InvalidResourceType", "Unknown provider path.");
    }
  } else if (s.size() == 7) {
    response = m == "GET" ? List(request, s[3])
                          : ArmErrorReply(405, "MethodNotAllowed", "Use GET to list.");
  } else if (s.size() == 8) {
    if (m == "PUT") {
      ++counters_["puts"];
      response = Put(request, s[3], s[7]);
    } else if (m == "GET") {
      ++counters_["gets"];
      response = Get(s[7], /*with_instance_view=*/true);
    } else if (m == "DELETE") {
      ++counters_["deletes"];
      response = Delete(request, s[7]);
    } else {
      response = ArmErrorReply(405, "MethodNotAllowed", "Unsupported method.");
    }
  } else if (s.size() == 9 && ieq(8, "stop") && m == "POST") {
    response = Stop(s[7]);
  } else if (s.size() == 11 && ieq(8, "containers") && ieq(10, "logs") && m == "GET") {
    response = Logs(s[7]);
  } else {
    response = ArmErrorReply(404, "InvalidResourceType", "Unknown container group path.");
  }
  response.headers[bucket_header] = absl::StrCat(remaining);
  return response;
}

EmuResponse Emulator::Put(const EmuRequest& request, const std::string& rg,
                          const std::string& name) {
  const absl::Time now = clock_->Now();
  if (!ValidGroupName(name)) {
    return ArmErrorReply(400, "ContainerGroupNameInvalid",
                         absl::StrCat("The container group name '", name,
                                      "' is invalid: 1-63 lowercase letters, digits and single "
                                      "hyphens, not starting or ending with a hyphen."));
  }
  if (Draw(faults_.p_409_transitioning)) {
    ++counters_["fault_409"];
    return ArmErrorReply(409, "ContainerGroupTransitioning",
                         absl::StrCat("The container group '", name,
                                      "' is still transitioning, please retry later (injected)."));
  }
  if (auto it = groups_.find(name); it != groups_.end()) {
    if (it->second.phase == Phase::kDeleting) {
      return ArmErrorReply(409, "ContainerGroupTransitioning",
                           absl::StrCat("The container group '", name,
                                        "' is being deleted, please retry later."));
    }
    ++counters_["puts_existing"];
    return JsonReply(200, GroupJson(it->second, true));
  }
  const json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ArmErrorReply(400, "InvalidRequestContent", "The request content was invalid JSON.");
  }
  std::string location;
  if (const json* l = Member(body, "location"); l != nullptr && l->is_string()) {
    location = l->get<std::string>();
  }
  std::string wanted = options_.location;
  location.erase(std::remove(location.begin(), location.end(), ' '), location.end());
  if (!absl::EqualsIgnoreCase(location, wanted)) {
    return ArmErrorReply(400, "LocationNotAvailableForResourceType",
                         absl::StrCat("The provided location '", location,
                                      "' is not available; this emulator serves '", wanted, "'."));
  }
  const json* props = Member(body, "properties");
  const json* os = props ? Member(*props, "osType") : nullptr;
  if (os == nullptr || !os->is_string() ||
      (os->get<std::string>() != "Linux" && os->get<std::string>() != "Windows")) {
    return ArmErrorReply(400, "InvalidOsType", "properties.osType must be Linux or Windows.");
  }
  const json* containers = Member(*props, "containers");
  if (containers == nullptr || !containers->is_array() || containers->empty()) {
    return ArmErrorReply(400, "InvalidContainerGroupContainers",
                         "properties.containers must list at least one container.");
  }
  Group group;
  group.name = name;
  group.resource_group = rg;
  group.created = now;
  int64_t cpu_hundredths = 0;
  int64_t memory_tenths = 0;
  json echo = body;
  for (size_t i = 0; i < containers->size(); ++i) {
    const json& c = (*containers)[i];
    const json* cprops = Member(c, "properties");
    const json* cname = Member(c, "name");
    const json* image = cprops ? Member(*cprops, "image") : nullptr;
    if (cname == nullptr || !cname->is_string() || image == nullptr || !image->is_string() ||
        image->get<std::string>().empty()) {
      return ArmErrorReply(400, "InvalidContainerImage",
                           "Each container needs a name and properties.image.");
    }
    const json* resources = Member(*cprops, "resources");
    const json* requests = resources ? Member(*resources, "requests") : nullptr;
    double cpu = 0, memory = 0;
    if (requests == nullptr || !GetNumber(*requests, "cpu", &cpu) ||
        !GetNumber(*requests, "memoryInGB", &memory) || cpu <= 0 || memory <= 0) {
      return ArmErrorReply(400, "ResourceSomeRequestsNotSpecified",
                           absl::StrCat("The container '", cname->get<std::string>(),
                                        "' must specify resources.requests cpu and memoryInGB."));
    }
    const int64_t h = std::llround(cpu * 100), t = std::llround(memory * 10);
    if (std::fabs(cpu * 100 - h) > 1e-6 || std::fabs(memory * 10 - t) > 1e-6) {
      return ArmErrorReply(400, "InvalidRequestContent",
                           "cpu must be in steps of 0.01 and memoryInGB in steps of 0.1.");
    }
    cpu_hundredths += h;
    memory_tenths += t;
    json& echo_props = echo["properties"]["containers"][i]["properties"];
    if (const json* env = Member(*cprops, "environmentVariables"); env && env->is_array()) {
      json echo_env = json::array();
      for (const json& var : *env) {
        const json* vname = Member(var, "name");
        if (vname == nullptr || !vname->is_string()) {
          return ArmErrorReply(400, "InvalidEnvironmentVariable",
                               "Each environment variable needs a name.");
        }
        const json* value = Member(var, "value");
        const json* secure = Member(var, "secureValue");
        std::string v;
        if (value && value->is_string()) v = value->get<std::string>();
        if (secure && secure->is_string()) v = secure->get<std::string>();
        if (i == 0) group.env.emplace_back(vname->get<std::string>(), v);
        json shown = {{"name", *vname}};
        if (value && value->is_string()) shown["value"] = *value;  // secureValue: never echoed.
        echo_env.push_back(std::move(shown));
      }
      echo_props["environmentVariables"] = echo_env;
    }
    if (i == 0) {
      std::vector<std::string> argv;
      if (const json* cmd = Member(*cprops, "command"); cmd && cmd->is_array()) {
        for (const json& arg : *cmd) {
          if (arg.is_string()) argv.push_back(arg.get<std::string>());
        }
      }
      group.script = argv.empty() ? "true" : ShellJoin(argv);
    }
  }
  if (cpu_hundredths > options_.max_group_cpu_hundredths ||
      memory_tenths > options_.max_group_memory_tenths_gb) {
    return ArmErrorReply(
        400, "ResourceRequestsNotAvailable",
        absl::StrCat("The container group requests ", cpu_hundredths / 100.0, " CPU and ",
                     memory_tenths / 10.0, " GB; the limit per group in '", options_.location,
                     "' is ", options_.max_group_cpu_hundredths / 100.0, " CPU and ",
                     options_.max_group_memory_tenths_gb / 10.0, " GB."));
  }
  if (static_cast<int>(groups_.size()) >= options_.max_groups) {
    ++counters_["quota_rejected"];
    return ArmErrorReply(400, "ContainerGroupQuotaReached",
                         absl::StrCat("Resource type 'Microsoft.ContainerInstance/containerGroups'"
                                      " container group quota '", options_.max_groups,
                                      "' exceeded in region '", options_.location, "'."));
  }
  int64_t used_hundredths = 0;
  for (const auto& [n, g] : groups_) used_hundredths += g.cpu_hundredths;
  if (used_hundredths + cpu_hundredths > static_cast<int64_t>(options_.max_cores) * 100) {
    ++counters_["quota_rejected"];
    return ArmErrorReply(400, "ContainerGroupQuotaReached",
                         absl::StrCat("The requested resource exceeds the standard cores quota '",
                                      options_.max_cores, "' in region '", options_.location,
                                      "'."));
  }
  if (!create_limit_.TryTake(now)) {
    ++counters_["create_rate_limited"];
    EmuResponse r = ArmErrorReply(
        429, "RateLimitExceeded",
        "The container group create rate limit was exceeded. Please retry later.");
    r.headers["Retry-After"] = absl::StrCat(std::max<int64_t>(
        1, absl::ToInt64Seconds(absl::Ceil(create_limit_.WaitFor(now), absl::Seconds(1)))));
    return r;
  }
  if (Draw(faults_.p_capacity_sync)) {
    ++counters_["fault_capacity_sync"];
    return ArmErrorReply(
        409, "ServiceUnavailable",
        absl::StrCat("The requested resource is not available in the location '",
                     options_.location, "' at this moment. Please retry with a different "
                     "resource request or in another location (injected)."));
  }
  // Accepted: the group exists (and bills) from now.
  if (const json* rp = Member(*props, "restartPolicy"); rp && rp->is_string()) {
    group.restart_policy = rp->get<std::string>();
  } else {
    group.restart_policy = "Always";
  }
  if (json& creds = echo["properties"]["imageRegistryCredentials"]; creds.is_array()) {
    for (json& cred : creds) {
      if (cred.is_object()) cred.erase("password");
    }
  } else {
    echo["properties"].erase("imageRegistryCredentials");
  }
  group.echo = std::move(echo);
  group.cpu_hundredths = cpu_hundredths;
  group.size = AciSizeFromUnits(cpu_hundredths, memory_tenths);
  const int64_t min_ms = absl::ToInt64Milliseconds(options_.provisioning_min);
  const int64_t max_ms = std::max(min_ms, absl::ToInt64Milliseconds(options_.provisioning_max));
  group.ready_at =
      now + absl::Milliseconds(absl::Uniform<int64_t>(absl::IntervalClosedClosed, bitgen_, min_ms,
                                                      max_ms));
  group.fail_async = Draw(faults_.p_capacity_async);
  if (group.fail_async) ++counters_["fault_capacity_async"];
  group.log_path = absl::StrCat(log_dir_, "/", name, ".log");
  ++counters_["groups_created"];
  ++created_per_name_[name];
  create_times_ms_.push_back(absl::ToUnixMillis(now));
  auto [it, inserted] = groups_.emplace(name, std::move(group));
  EmuResponse response = JsonReply(201, GroupJson(it->second, true));
  response.headers["Azure-AsyncOperation"] = NewOperation(request, false, name);
  if (options_.operation_retry_after_seconds > 0) {
    response.headers["Retry-After"] = absl::StrCat(options_.operation_retry_after_seconds);
  }
  if (Draw(faults_.p_create_503_after_success)) {
    ++counters_["fault_503_after_create"];
    return ArmErrorReply(503, "ServerTimeout",
                         "The server operation timed out (injected; the group was created).");
  }
  if (Draw(faults_.p_create_timeout)) {
    ++counters_["fault_create_timeout"];
    response.delay = faults_.timeout_delay;
  }
  return response;
}

std::string Emulator::NewOperation(const EmuRequest& request, bool is_delete,
                                   const std::string& group) {
  const std::string id = absl::StrCat("op-", next_id_++);
  operations_[id] = Operation{is_delete, group, clock_->Now()};
  std::vector<std::string> s = absl::StrSplit(request.path, '/', absl::SkipEmpty());
  const std::string subscription = s.size() > 1 ? s[1] : "unknown";
  const auto version = request.query.find("api-version");
  return absl::StrCat(request.base_url, "/subscriptions/", subscription,
                      "/providers/Microsoft.ContainerInstance/locations/", options_.location,
                      "/operations/", id, "?api-version=",
                      version == request.query.end() ? "2023-05-01" : version->second);
}

json Emulator::GroupJson(const Group& group, bool with_instance_view) const {
  json out = group.echo;
  out["id"] = absl::StrCat("/subscriptions/emulated/resourceGroups/", group.resource_group,
                           "/providers/Microsoft.ContainerInstance/containerGroups/", group.name);
  out["name"] = group.name;
  out["type"] = "Microsoft.ContainerInstance/containerGroups";
  json& props = out["properties"];
  std::string provisioning, instance;
  json current = json::object();
  json events = json::array();
  switch (group.phase) {
    case Phase::kProvisioning:
      provisioning = "Creating";
      instance = "Pending";
      current = {{"state", "Waiting"}, {"detailStatus", "ContainerCreating"}};
      break;
    case Phase::kRunning:
      provisioning = "Succeeded";
      instance = "Running";
      current = {{"state", "Running"}, {"startTime", FormatArmTime(group.start_time)},
                 {"detailStatus", ""}};
      break;
    case Phase::kTerminated:
      provisioning = "Succeeded";
      instance = group.exit_code == 0 ? "Succeeded" : "Failed";
      current = {{"state", "Terminated"},
                 {"exitCode", group.exit_code},
                 {"startTime", FormatArmTime(group.start_time)},
                 {"finishTime", FormatArmTime(group.finish_time)},
                 {"detailStatus", group.exit_code == 0 ? "Completed" : "Error"}};
      break;
    case Phase::kFailed:
      provisioning = "Failed";
      instance = "Failed";
      current = {{"state", "Waiting"}, {"detailStatus", "InsufficientCapacity"}};
      events.push_back({{"count", 1},
                        {"type", "Warning"},
                        {"name", "InsufficientCapacity"},
                        {"message",
                         absl::StrCat("The requested resource is not available in the location '",
                                      options_.location, "' at this moment (injected).")}});
      break;
    case Phase::kDeleting:
      provisioning = "Deleting";
      instance = "Stopped";
      current = {{"state", "Terminated"}, {"detailStatus", "Killed"}};
      break;
  }
  props["provisioningState"] = provisioning;
  if (with_instance_view) {
    props["instanceView"] = {{"state", instance}, {"events", events}};
    for (json& c : props["containers"]) {
      c["properties"]["instanceView"] = {{"restartCount", group.restart_count},
                                         {"currentState", current},
                                         {"events", json::array()}};
    }
  }
  return out;
}

EmuResponse Emulator::Get(const std::string& name, bool with_instance_view) {
  auto it = groups_.find(name);
  if (it == groups_.end()) {
    return ArmErrorReply(404, "ResourceNotFound",
                         absl::StrCat("The Resource 'Microsoft.ContainerInstance/containerGroups/",
                                      name, "' was not found."));
  }
  return JsonReply(200, GroupJson(it->second, with_instance_view));
}

EmuResponse Emulator::List(const EmuRequest& request, const std::string& rg) {
  int64_t skip = 0;
  if (auto it = request.query.find("$skipToken"); it != request.query.end()) {
    if (!absl::SimpleAtoi(it->second, &skip)) skip = 0;
  }
  json value = json::array();
  int64_t index = 0;
  bool more = false;
  for (const auto& [name, group] : groups_) {
    if (!absl::EqualsIgnoreCase(group.resource_group, rg)) continue;
    if (index++ < skip) continue;
    if (static_cast<int>(value.size()) >= options_.list_page_size) {
      more = true;
      break;
    }
    value.push_back(GroupJson(group, /*with_instance_view=*/false));
  }
  json body = {{"value", value}};
  if (more) {
    const auto version = request.query.find("api-version");
    body["nextLink"] = absl::StrCat(
        request.base_url, request.path, "?api-version=",
        version == request.query.end() ? "2023-05-01" : version->second,
        "&$skipToken=", skip + options_.list_page_size);
  }
  ++counters_["lists"];
  return JsonReply(200, body);
}

EmuResponse Emulator::Delete(const EmuRequest& request, const std::string& name) {
  const absl::Time now = clock_->Now();
  if (Draw(faults_.p_409_transitioning)) {
    ++counters_["fault_409"];
    return ArmErrorReply(409, "ContainerGroupTransitioning",
                         absl::StrCat("The container group '", name,
                                      "' is still transitioning, please retry later (injected)."));
  }
  auto it = groups_.find(name);
  if (it == groups_.end()) {
    EmuResponse r;
    r.status = 204;
    return r;
  }
  Group& group = it->second;
  if (group.phase != Phase::kDeleting) {
    if (!delete_limit_.TryTake(now)) {
      ++counters_["delete_rate_limited"];
      EmuResponse r = ArmErrorReply(
          429, "RateLimitExceeded",
          "The container group delete rate limit was exceeded. Please retry later.");
      r.headers["Retry-After"] = absl::StrCat(std::max<int64_t>(
          1, absl::ToInt64Seconds(absl::Ceil(delete_limit_.WaitFor(now), absl::Seconds(1)))));
      return r;
    }
    group.process.Kill();
    ++counters_["groups_deleted"];
  }
  if (faults_.delete_latency > absl::ZeroDuration()) {
    if (group.phase != Phase::kDeleting) {
      group.phase = Phase::kDeleting;
      group.delete_done_at = now + faults_.delete_latency;
    }
    EmuResponse r = JsonReply(202, json::object());
    const std::string op = NewOperation(request, true, name);
    r.headers["Azure-AsyncOperation"] = op;
    r.headers["Location"] = op;
    if (options_.operation_retry_after_seconds > 0) {
      r.headers["Retry-After"] = absl::StrCat(options_.operation_retry_after_seconds);
    }
    return r;
  }
  EmuResponse r = JsonReply(200, GroupJson(group, false));
  Finish(name);
  return r;
}

EmuResponse Emulator::OperationStatus(const std::string& id) {
  auto it = operations_.find(id);
  if (it == operations_.end()) {
    return ArmErrorReply(404, "OperationNotFound", "The operation was not found.");
  }
  const Operation& op = it->second;
  json body = {{"id", id}, {"name", id}, {"startTime", FormatArmTime(op.started)}};
  auto group = groups_.find(op.group);
  std::string status;
  if (op.is_delete) {
    status = group == groups_.end() ? "Succeeded" : "InProgress";
  } else if (group == groups_.end()) {
    status = "Canceled";
  } else if (group->second.phase == Phase::kProvisioning) {
    status = "InProgress";
  } else if (group->second.phase == Phase::kFailed) {
    status = "Failed";
    body["error"] = {{"code", "InsufficientCapacity"},
                     {"message", absl::StrCat("The requested resource is not available in the "
                                              "location '", options_.location,
                                              "' at this moment (injected).")}};
  } else {
    status = "Succeeded";
  }
  body["status"] = status;
  EmuResponse r = JsonReply(200, body);
  if (status == "InProgress" && options_.operation_retry_after_seconds > 0) {
    r.headers["Retry-After"] = absl::StrCat(options_.operation_retry_after_seconds);
  }
  return r;
}

EmuResponse Emulator::Usages() {
  int64_t cpu_hundredths = 0;
  for (const auto& [name, group] : groups_) cpu_hundredths += group.cpu_hundredths;
  auto usage = [&](const char* name, const char* localized, double current, int64_t limit) {
    return json{{"id", absl::StrCat("/subscriptions/emulated/providers/Microsoft.ContainerInstance"
                                    "/locations/", options_.location, "/usages/", name)},
                {"unit", "Count"},
                {"currentValue", current},
                {"limit", limit},
                {"name", {{"value", name}, {"localizedValue", localized}}}};
  };
  json value = json::array({usage("ContainerGroups", "Container Groups",
                                  static_cast<double>(groups_.size()), options_.max_groups),
                            usage("StandardCores", "Standard Cores", cpu_hundredths / 100.0,
                                  options_.max_cores),
                            usage("StandardSpotCores", "Standard Spot Cores", 0,
                                  options_.max_cores)});
  return JsonReply(200, json{{"value", value}});
}

EmuResponse Emulator::Logs(const std::string& name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) {
    return ArmErrorReply(404, "ResourceNotFound", "The container group was not found.");
  }
  std::ifstream in(it->second.log_path);
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  constexpr size_t kMaxBytes = 4 * 1024 * 1024;
  if (text.size() > kMaxBytes) text = text.substr(text.size() - kMaxBytes);
  return JsonReply(200, json{{"content", text}});
}

EmuResponse Emulator::Stop(const std::string& name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) {
    return ArmErrorReply(404, "ResourceNotFound", "The container group was not found.");
  }
  it->second.process.Kill();
  EmuResponse r;
  r.status = 204;
  return r;
}

EmuResponse Emulator::Token(const EmuRequest& request) {
  const std::map<std::string, std::string> form = ParseForm(request.body);
  auto field = [&](const char* key) {
    auto it = form.find(key);
    return it == form.end() ? std::string() : it->second;
  };
  if (field("grant_type") != "client_credentials") {
    return JsonReply(400, json{{"error", "unsupported_grant_type"},
                               {"error_description", "AADSTS70003: only client_credentials."}});
  }
  if (field("client_id").empty() ||
      (!options_.client_id.empty() && field("client_id") != options_.client_id)) {
    return JsonReply(400, json{{"error", "unauthorized_client"},
                               {"error_description", "AADSTS700016: unknown application."}});
  }
  if (!options_.client_secret.empty() && field("client_secret") != options_.client_secret) {
    return JsonReply(401, json{{"error", "invalid_client"},
                               {"error_description",
                                "AADSTS7000215: Invalid client secret provided."}});
  }
  ++counters_["tokens_issued"];
  const std::string token = absl::StrCat("emu-cc-", next_id_++, "-", bitgen_());
  tokens_[token] = clock_->Now() + options_.token_lifetime;
  const int64_t seconds = absl::ToInt64Seconds(options_.token_lifetime);
  return JsonReply(200, json{{"token_type", "Bearer"},
                             {"expires_in", seconds},
                             {"ext_expires_in", seconds},
                             {"access_token", token}});
}

EmuResponse Emulator::Imds(const EmuRequest& request) {
  auto metadata = request.headers.find("metadata");
  if (metadata == request.headers.end() || metadata->second != "true") {
    return JsonReply(400, json{{"error", "invalid_request"},
                               {"error_description", "Required metadata header not specified"}});
  }
  auto resource = request.query.find("resource");
  if (resource == request.query.end() || resource->second.empty()) {
    return JsonReply(400, json{{"error", "invalid_request"},
                               {"error_description", "Required audience parameter not specified"}});
  }
  ++counters_["tokens_issued"];
  const std::string token = absl::StrCat("emu-mi-", next_id_++, "-", bitgen_());
  const absl::Time expiry = clock_->Now() + options_.token_lifetime;
  tokens_[token] = expiry;
  const int64_t seconds = absl::ToInt64Seconds(options_.token_lifetime);
  // IMDS sends its numbers as strings.
  return JsonReply(200, json{{"access_token", token},
                             {"client_id", "emulated-identity"},
                             {"expires_in", absl::StrCat(seconds)},
                             {"expires_on", absl::StrCat(absl::ToUnixSeconds(expiry))},
                             {"ext_expires_in", absl::StrCat(seconds)},
                             {"not_before", absl::StrCat(absl::ToUnixSeconds(clock_->Now()))},
                             {"resource", resource->second},
                             {"token_type", "Bearer"}});
}

EmuResponse Emulator::TestEndpoint(const EmuRequest& request, const std::string& what) {
  const absl::Time now = clock_->Now();
  if (what == "bill" && request.method == "GET") {
    json groups = json::object();
    for (const auto& [name, micro] : bill_by_group_) groups[name] = micro;
    int64_t total = closed_bill_micro_usd_;
    for (const auto& [name, group] : groups_) {
      const int64_t cost = CostOf(group, now);
      total += cost;
      groups[name] = groups.value(name, int64_t{0}) + cost;
    }
    return JsonReply(200, json{{"total_micro_usd", total}, {"groups", groups}});
  }
  if (what == "stats" && request.method == "GET") {
    json live = json::array();
    int running = 0;
    for (const auto& [name, group] : groups_) {
      live.push_back(name);
      running += group.process.pid() > 0 ? 1 : 0;
    }
    return JsonReply(200, json{{"counters", counters_},
                               {"created_per_name", created_per_name_},
                               {"create_times_ms", create_times_ms_},
                               {"live_groups", live},
                               {"processes_running", running}});
  }
  if (what == "faults" && request.method == "POST") {
    absl::StatusOr<EmulatorFaults> faults = ParseEmulatorFaults(request.body);
    if (!faults.ok()) return ArmErrorReply(400, "InvalidFaults", std::string(faults.status().message()));
    faults_ = *faults;
    return JsonReply(200, json::object());
  }
  if (what == "revoke-tokens" && request.method == "POST") {
    tokens_.clear();
    return JsonReply(200, json::object());
  }
  return ArmErrorReply(404, "NotFound", "Unknown emulator endpoint.");
}

void Emulator::StartProcess(Group& group) {
  absl::StatusOr<LocalProcess> process = LocalProcess::Start(group.script, group.env,
                                                             group.log_path);
  group.start_time = clock_->Now();
  if (!process.ok()) {
    group.phase = Phase::kTerminated;
    group.exit_code = 127;
    group.finish_time = group.start_time;
    return;
  }
  group.process = *process;
  group.phase = Phase::kRunning;
}

void Emulator::Finish(const std::string& name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) return;
  const int64_t cost = CostOf(it->second, clock_->Now());
  closed_bill_micro_usd_ += cost;
  bill_by_group_[name] += cost;
  it->second.process.KillAndWait();
  groups_.erase(it);
}

void Emulator::Tick() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  std::vector<std::string> finished;
  for (auto& [name, group] : groups_) {
    switch (group.phase) {
      case Phase::kProvisioning:
        if (now >= group.ready_at) {
          if (group.fail_async) {
            group.phase = Phase::kFailed;
          } else {
            StartProcess(group);
          }
        }
        break;
      case Phase::kRunning: {
        int code = 0;
        if (group.process.Reap(&code)) {
          const bool restart = group.restart_policy == "Always" ||
                               (group.restart_policy == "OnFailure" && code != 0);
          if (restart) {
            ++group.restart_count;
            StartProcess(group);
          } else {
            group.phase = Phase::kTerminated;
            group.exit_code = code;
            group.finish_time = now;
          }
        }
        break;
      }
      case Phase::kDeleting: {
        int code = 0;
        group.process.Reap(&code);
        if (now >= group.delete_done_at) finished.push_back(name);
        break;
      }
      case Phase::kTerminated:
      case Phase::kFailed:
        break;
    }
  }
  for (const std::string& name : finished) Finish(name);
  // Operations are kept for an hour, as ARM keeps them for a while.
  for (auto it = operations_.begin(); it != operations_.end();) {
    if (now - it->second.started > absl::Hours(1)) {
      operations_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace spillway
