// aci-emulator: an ARM / Azure Container Instances emulator for tests and demos. See README.md.
//
//   aci-emulator --port=0 --provisioning_min=1s --provisioning_max=3s --faults='{"p_429":0.1}'
//   → prints "aci-emulator listening on http://127.0.0.1:PORT" and serves until SIGTERM/SIGINT.
#include <signal.h>
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "tools/aci-emulator/emulator.h"
#include "tools/aci-emulator/emulator_server.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "Address to listen on (loopback by default)");
ABSL_FLAG(int, port, 0, "Port; 0 picks a free one (printed on stdout)");
ABSL_FLAG(std::string, location, "eastus", "The one region this emulator serves");
ABSL_FLAG(absl::Duration, provisioning_min, absl::Seconds(2), "Shortest provisioning time");
ABSL_FLAG(absl::Duration, provisioning_max, absl::Seconds(5), "Longest provisioning time");
ABSL_FLAG(double, max_group_cpu, 4, "vCPU per container group");
ABSL_FLAG(double, max_group_memory_gb, 16, "GB per container group");
ABSL_FLAG(int, max_groups, 100, "Container groups per region (quota)");
ABSL_FLAG(int, max_cores, 100, "Standard cores per region (quota)");
ABSL_FLAG(int, creates_per_5min, 100, "ACI create limit per 5 minutes");
ABSL_FLAG(int, creates_per_hour, 300, "ACI create limit per hour");
ABSL_FLAG(int, deletes_per_5min, 100, "ACI delete limit per 5 minutes");
ABSL_FLAG(int, deletes_per_hour, 300, "ACI delete limit per hour");
ABSL_FLAG(double, arm_write_capacity, 200, "ARM write bucket size");
ABSL_FLAG(double, arm_writes_per_second, 10, "ARM write bucket refill per second");
ABSL_FLAG(int, operation_retry_after_seconds, 0, "Retry-After on async operations (0 = none)");
ABSL_FLAG(int, list_page_size, 100, "Groups per list page (nextLink beyond)");
ABSL_FLAG(bool, require_auth, false, "Require bearer tokens from the token/IMDS endpoints");
ABSL_FLAG(std::string, client_id, "", "Accepted client id (empty = any)");
ABSL_FLAG(std::string, client_secret, "", "Accepted client secret (empty = any)");
ABSL_FLAG(absl::Duration, token_lifetime, absl::Hours(1), "Lifetime of issued tokens");
ABSL_FLAG(double, price_vcpu_hour_usd, 0.0405, "Price per vCPU-hour");
ABSL_FLAG(double, price_gb_hour_usd, 0.00445, "Price per GB-hour");
ABSL_FLAG(std::string, faults, "", "Fault injection as JSON (see emulator_options.h)");
ABSL_FLAG(uint64_t, seed, 1, "Seed for latency and fault draws");
ABSL_FLAG(std::string, log_dir, "", "Where container output goes (default: a new temp dir)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  spillway::EmulatorOptions options;
  options.location = absl::GetFlag(FLAGS_location);
  options.provisioning_min = absl::GetFlag(FLAGS_provisioning_min);
  options.provisioning_max = absl::GetFlag(FLAGS_provisioning_max);
  options.max_group_cpu_hundredths = std::llround(absl::GetFlag(FLAGS_max_group_cpu) * 100);
  options.max_group_memory_tenths_gb = std::llround(absl::GetFlag(FLAGS_max_group_memory_gb) * 10);
  options.max_groups = absl::GetFlag(FLAGS_max_groups);
  options.max_cores = absl::GetFlag(FLAGS_max_cores);
  options.creates_per_5min = absl::GetFlag(FLAGS_creates_per_5min);
  options.creates_per_hour = absl::GetFlag(FLAGS_creates_per_hour);
  options.deletes_per_5min = absl::GetFlag(FLAGS_deletes_per_5min);
  options.deletes_per_hour = absl::GetFlag(FLAGS_deletes_per_hour);
  options.arm_write_capacity = absl::GetFlag(FLAGS_arm_write_capacity);
  options.arm_writes_per_second = absl::GetFlag(FLAGS_arm_writes_per_second);
  options.operation_retry_after_seconds = absl::GetFlag(FLAGS_operation_retry_after_seconds);
  options.list_page_size = absl::GetFlag(FLAGS_list_page_size);
  options.require_auth = absl::GetFlag(FLAGS_require_auth);
  options.client_id = absl::GetFlag(FLAGS_client_id);
  options.client_secret = absl::GetFlag(FLAGS_client_secret);
  options.token_lifetime = absl::GetFlag(FLAGS_token_lifetime);
  options.prices.vcpu_hour_micro_usd = std::llround(absl::GetFlag(FLAGS_price_vcpu_hour_usd) * 1e6);
  options.prices.gb_hour_micro_usd = std::llround(absl::GetFlag(FLAGS_price_gb_hour_usd) * 1e6);
  options.seed = absl::GetFlag(FLAGS_seed);
  absl::StatusOr<spillway::EmulatorFaults> faults =
      spillway::ParseEmulatorFaults(absl::GetFlag(FLAGS_faults));
  if (!faults.ok()) {
    std::fprintf(stderr, "aci-emulator: --faults: %s\n", faults.status().ToString().c_str());
    return 2;
  }
  options.faults = *faults;

  std::string log_dir = absl::GetFlag(FLAGS_log_dir);
  if (log_dir.empty()) {
    char pattern[] = "/tmp/aci-emulator-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      std::perror("aci-emulator: mkdtemp");
      return 1;
    }
    log_dir = pattern;
  }

  // SIGTERM / SIGINT stop the server (and so kill every container process) from one thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  spillway::Emulator emulator(options, spillway::RealClock::Get(), log_dir);
  spillway::EmulatorServer server(&emulator);
  absl::StatusOr<int> port = server.Bind(absl::GetFlag(FLAGS_host), absl::GetFlag(FLAGS_port));
  if (!port.ok()) {
    std::fprintf(stderr, "aci-emulator: %s\n", port.status().ToString().c_str());
    return 1;
  }
  std::thread signal_thread([&server, signals] {
    int signal = 0;
    sigwait(&signals, &signal);
    server.Stop();
  });
  signal_thread.detach();
  std::printf("aci-emulator listening on http://%s:%d (container logs in %s)\n",
              absl::GetFlag(FLAGS_host).c_str(), *port, log_dir.c_str());
  std::fflush(stdout);
  server.Serve();
  return 0;
}
