// What the ACI emulator enforces and injects: limits, latency, prices, auth and faults.
#ifndef SPILLWAY_TOOLS_ACI_EMULATOR_EMULATOR_OPTIONS_H_
#define SPILLWAY_TOOLS_ACI_EMULATOR_EMULATOR_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "scheduler/model/money.h"

namespace spillway {

// Faults, each drawn per request from the emulator's seeded generator (probabilities 0..1).
struct EmulatorFaults {
  // Every `throttle_burst_every` ARM requests, the next `throttle_burst_length` get 429.
  int throttle_burst_every = 0;  // 0 = off.
  int throttle_burst_length = 0;
  int throttle_retry_after_seconds = 1;
  double p_429 = 0;                // Any ARM request: 429 TooManyRequests.
  double p_5xx = 0;                // Any ARM request: 500 InternalServerError, nothing done.
  double p_409_transitioning = 0;  // PUT/DELETE: 409 ContainerGroupTransitioning.
  double p_capacity_sync = 0;      // PUT of a new group: 409 ServiceUnavailable, nothing created.
  double p_capacity_async = 0;     // PUT accepted, provisioning then fails InsufficientCapacity.
  double p_create_timeout = 0;     // PUT creates the group, then answers after `timeout_delay`.
  absl::Duration timeout_delay = absl::Seconds(35);
  double p_create_503_after_success = 0;  // PUT creates the group, then answers 503 ServerTimeout.
  absl::Duration delete_latency = absl::ZeroDuration();  // > 0: slow deletes (202 + operation).
};

// Parses faults from JSON ({"p_429":0.1,"timeout_delay_ms":1500,...}); unknown keys are errors.
absl::StatusOr<EmulatorFaults> ParseEmulatorFaults(const std::string& json);

struct EmulatorOptions {
  std::string location = "eastus";
  // Provisioning: uniform in [min, max] from PUT to the container starting.
  absl::Duration provisioning_min = absl::Seconds(2);
  absl::Duration provisioning_max = absl::Seconds(5);
  // Per group (ACI's safe default) and per region per subscription.
  int64_t max_group_cpu_hundredths = 400;
  int64_t max_group_memory_tenths_gb = 160;
  int max_groups = 100;
  int max_cores = 100;
  // ACI's create/delete limits: per 5 minutes and per hour.
  int creates_per_5min = 100;
  int creates_per_hour = 300;
  int deletes_per_5min = 100;
  int deletes_per_hour = 300;
  // ARM's subscription buckets: writes 200 refilling 10/s; reads 12000 refilling 3.33/s.
  double arm_write_capacity = 200;
  double arm_writes_per_second = 10;
  double arm_read_capacity = 12000;
  double arm_reads_per_second = 12000.0 / 3600.0;
  // Retry-After on 201/202 operations (0 = header omitted).
  int operation_retry_after_seconds = 0;
  int list_page_size = 100;
  // Auth: when set, ARM calls need a bearer token issued by the token or IMDS endpoint.
  bool require_auth = false;
  std::string client_id;  // Empty = any.
  std::string client_secret;
  absl::Duration token_lifetime = absl::Hours(1);
  AciPrices prices{40500, 4450};
  uint64_t seed = 1;
  EmulatorFaults faults;
};

}  // namespace spillway

#endif  // SPILLWAY_TOOLS_ACI_EMULATOR_EMULATOR_OPTIONS_H_
