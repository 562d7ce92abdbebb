// The ACI emulator's model: ARM's container group API for one subscription and region, plus the
// token and IMDS endpoints and test-only endpoints. Transport-free: EmulatorServer feeds it HTTP
// requests; tests may call it directly. Thread-safe (one mutex; never held while a reply is delayed).
//
//   PUT    /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerInstance/containerGroups/{n}
//   GET    same (instanceView included); DELETE same; GET .../containerGroups (list, no instanceView)
//   POST   .../containerGroups/{n}/stop; GET .../containerGroups/{n}/containers/{c}/logs
//   GET    /subscriptions/{s}/providers/Microsoft.ContainerInstance/locations/{l}/usages
//   GET    /subscriptions/{s}/providers/Microsoft.ContainerInstance/locations/{l}/operations/{id}
//   POST   /{tenant}/oauth2/v2.0/token;  GET /metadata/identity/oauth2/token (Metadata: true)
//   test-only: GET /emulator/bill, GET /emulator/stats, POST /emulator/faults,
//              POST /emulator/revoke-tokens
#ifndef SPILLWAY_TOOLS_ACI_EMULATOR_EMULATOR_H_
#define SPILLWAY_TOOLS_ACI_EMULATOR_EMULATOR_H_

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backends/aci/rate_limits.h"
#include "common/clock.h"
#include "scheduler/model/resources.h"
#include "tools/aci-emulator/emulator_options.h"
#include "tools/aci-emulator/local_process.h"

namespace spillway {

struct EmuRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // Names lowercased.
  std::string body;
  std::string base_url;  // "http://127.0.0.1:PORT", for operation URLs.
};

struct EmuResponse {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;
  absl::Duration delay = absl::ZeroDuration();  // Reply only after this (a create "timing out").
};

class Emulator {
 public:
  // `clock` must outlive the emulator; `log_dir` holds the containers' output.
  Emulator(EmulatorOptions options, const Clock* clock, std::string log_dir);
  ~Emulator();  // Kills every process still running.

  EmuResponse Handle(const EmuRequest& request);

  // Moves groups along: starts processes whose provisioning is over, reaps exits, finishes slow
  // deletes. The server calls it every few milliseconds.
  void Tick();

  void SetFaults(const EmulatorFaults& faults);
  int64_t BillMicroUsd() const;

 private:
  enum class Phase { kProvisioning, kRunning, kTerminated, kFailed, kDeleting };
  struct Group {
    std::string name;
    std::string resource_group;
    nlohmann::json echo;  // The request as ARM echoes it: secureValue and passwords removed.
    std::vector<std::pair<std::string, std::string>> env;  // For the process (secrets included).
    std::string script;
    std::string restart_policy;
    Resources size;  // Billed size.
    int64_t cpu_hundredths = 0;
    Phase phase = Phase::kProvisioning;
    bool fail_async = false;
    absl::Time created;
    absl::Time ready_at;
    absl::Time start_time = absl::InfinitePast();
    absl::Time finish_time = absl::InfinitePast();
    absl::Time delete_done_at = absl::InfiniteFuture();
    int exit_code = 0;
    int restart_count = 0;
    LocalProcess process;
    std::string log_path;
  };
  struct Operation {
    bool is_delete = false;
    std::string group;
    absl::Time started;
  };

  EmuResponse HandleArm(const EmuRequest& request, const std::vector<std::string>& segments)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse Put(const EmuRequest& request, const std::string& rg, const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse Get(const std::string& name, bool with_instance_view)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse Delete(const EmuRequest& request, const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse List(const EmuRequest& request, const std::string& rg)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse OperationStatus(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse Usages() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse Logs(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse Stop(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse Token(const EmuRequest& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse Imds(const EmuRequest& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EmuResponse TestEndpoint(const EmuRequest& request, const std::string& what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A fault, throttle or auth refusal for this ARM request, if any (status 0 = none).
  EmuResponse Gate(const EmuRequest& request, bool is_write) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  nlohmann::json GroupJson(const Group& group, bool with_instance_view) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewOperation(const EmuRequest& request, bool is_delete, const std::string& group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartProcess(Group& group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Finish(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);  // Bills and forgets.
  int64_t CostOf(const Group& group, absl::Time end) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Draw(double p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const EmulatorOptions options_;
  const Clock* const clock_;
  const std::string log_dir_;
  mutable absl::Mutex mu_;
  EmulatorFaults faults_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 bitgen_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Group> groups_ ABSL_GUARDED_BY(mu_);  // Sorted: stable list order.
  absl::flat_hash_map<std::string, Operation> operations_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> tokens_ ABSL_GUARDED_BY(mu_);  // → expiry.
  MultiWindowLimit create_limit_ ABSL_GUARDED_BY(mu_);
  MultiWindowLimit delete_limit_ ABSL_GUARDED_BY(mu_);
  TokenBucket write_bucket_ ABSL_GUARDED_BY(mu_);
  TokenBucket read_bucket_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t arm_requests_ ABSL_GUARDED_BY(mu_) = 0;
  int burst_left_ ABSL_GUARDED_BY(mu_) = 0;
  // Billing and counters.
  int64_t closed_bill_micro_usd_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int64_t> bill_by_group_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> created_per_name_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> create_times_ms_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spillway

#endif  // SPILLWAY_TOOLS_ACI_EMULATOR_EMULATOR_H_
