// Starts the real aci-emulator binary (a data dependency) on a free loopback port for a test, and
// talks to its test-only endpoints. The child gets SIGTERM when the test process dies.
#ifndef SPILLWAY_TESTS_ACI_EMULATOR_PROCESS_H_
#define SPILLWAY_TESTS_ACI_EMULATOR_PROCESS_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "backends/aci/curl_http_client.h"

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
    // Container output goes under the test's own temp dir (Bazel cleans it up).
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string log_dir = absl::StrCat(tmp ? tmp : "/tmp", "/aci-emulator-XXXXXX");
    if (mkdtemp(log_dir.data()) != nullptr) args.push_back("--log_dir=" + log_dir);
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe");
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(1);
      dup2(fds[1], 1);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    auto process = std::unique_ptr<EmulatorProcess>(new EmulatorProcess(pid));
    std::string line;
    const absl::Time deadline = RealClock::Get()->Now() + absl::Seconds(30);
    while (line.find('\n') == std::string::npos) {
      const int64_t left_ms = absl::ToInt64Milliseconds(deadline - RealClock::Get()->Now());
      if (left_ms <= 0) return absl::DeadlineExceededError("emulator did not print its port");
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left_ms)) <= 0) continue;
      char buf[256];
      const ssize_t n = read(fds[0], buf, sizeof(buf));
      if (n <= 0) return absl::InternalError("emulator exited before printing its port");
      line.append(buf, n);
    }
    close(fds[0]);
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

  ~EmulatorProcess() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
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
  explicit EmulatorProcess(pid_t pid) : pid_(pid) {}
  const pid_t pid_;
  std::string base_url_;
  CurlHttpClient http_;
};

}  // namespace spillway

#endif  // SPILLWAY_TESTS_ACI_EMULATOR_PROCESS_H_
