// Starts the real aci-emulator binary (a data dependency) on a free loopback port for a test, and
// talks to its test-only endpoints (tests/support/child_process.h runs it: it gets SIGTERM when
// the test process dies).
#ifndef SPILLWAY_TESTS_ACI_EMULATOR_PROCESS_H_
#define SPILLWAY_TESTS_ACI_EMULATOR_PROCESS_H_

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "backends/aci/curl_http_client.h"
#include "common/poll.h"
#include "tests/support/child_process.h"

namespace spillway {

class EmulatorProcess {
 public:
  // Runs the emulator with `flags` (plus --port=0) and waits (up to 30 s) for its port.
  static absl::StatusOr<std::unique_ptr<EmulatorProcess>> Start(std::vector<std::string> flags) {
    const char* srcdir = std::getenv("TEST_SRCDIR");
    const char* workspace = std::getenv("TEST_WORKSPACE");
    const std::string binary =
        absl::StrCat(srcdir ? srcdir : ".", "/", workspace ? workspace : "spillway",
                     "/tools/aci-emulator/aci-emulator");
    std::vector<std::string> args = {binary, "--port=0", "--host=127.0.0.1"};
    // Container output goes under the test's own temp dir (Bazel cleans it up); the emulator's
    // stdout (its banner) and stderr go next to it.
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string log_dir = absl::StrCat(tmp ? tmp : "/tmp", "/aci-emulator-XXXXXX");
    if (mkdtemp(log_dir.data()) == nullptr) return absl::InternalError("mkdtemp " + log_dir);
    args.push_back("--log_dir=" + log_dir);
    args.insert(args.end(), flags.begin(), flags.end());
    const std::string out = log_dir + ".out";
    const std::string err = log_dir + ".err";
    absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Start(args, out, err);
    if (!child.ok()) return child.status();
    auto process = std::unique_ptr<EmulatorProcess>(new EmulatorProcess(*std::move(child)));
    // The banner is one line on stdout; the exit is checked before the read so that a banner
    // written just before exiting is still seen.
    std::string line;
    const bool printed_or_exited = PollUntil(
        [&] {
          const bool exited = process->child_->ExitCode().has_value();
          line = ReadFileOrEmpty(out);
          return exited || line.find('\n') != std::string::npos;
        },
        absl::Seconds(30));
    if (!printed_or_exited) {
      return absl::DeadlineExceededError(
          absl::StrCat("emulator did not print its port: ", ReadFileOrEmpty(err)));
    }
    if (line.find('\n') == std::string::npos) {
      return absl::InternalError(
          absl::StrCat("emulator exited before printing its port: ", ReadFileOrEmpty(err)));
    }
    const size_t at = line.find("http://");
    const size_t colon = line.find(':', at + 7);
    const size_t end = line.find_first_not_of("0123456789", colon + 1);
    int port = 0;
    if (at == std::string::npos || colon == std::string::npos ||
        !absl::SimpleAtoi(line.substr(colon + 1, end - colon - 1), &port)) {
      return absl::InternalError(absl::StrCat("unexpected banner: ", line));
    }
    process->base_url_ = absl::StrCat("http://127.0.0.1:", port);
    return process;
  }

  const std::string& base_url() const { return base_url_; }

  nlohmann::json Get(const std::string& path) {
    HttpRequest request;
    request.url = base_url_ + path;
    absl::StatusOr<HttpResponse> response = http_.Send(request);
    if (!response.ok()) return nlohmann::json();
    return nlohmann::json::parse(response->body, nullptr, false);
  }
  int Send(const std::string& method, const std::string& path, const std::string& body) {
    HttpRequest request;
    request.method = method;
    request.url = base_url_ + path;
    request.body = body;
    request.headers["Content-Type"] = "application/json";
    absl::StatusOr<HttpResponse> response = http_.Send(request);
    return response.ok() ? response->status : 0;
  }
  nlohmann::json Stats() { return Get("/emulator/stats"); }
  int64_t BillMicroUsd() { return Get("/emulator/bill").value("total_micro_usd", int64_t{-1}); }
  int Counter(const std::string& name) {
    const nlohmann::json stats = Stats();
    if (!stats.contains("counters")) return -1;
    return stats["counters"].value(name, 0);
  }

 private:
  explicit EmulatorProcess(std::unique_ptr<ChildProcess> child) : child_(std::move(child)) {}
  const std::unique_ptr<ChildProcess> child_;  // SIGTERMed and reaped on destruction.
  std::string base_url_;
  CurlHttpClient http_;
};

}  // namespace spillway

#endif  // SPILLWAY_TESTS_ACI_EMULATOR_PROCESS_H_
