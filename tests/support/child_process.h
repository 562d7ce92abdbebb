// Real binaries as a test's child processes (shared by the process-level tests; agent/subprocess.h
// is the agent's own, for the docker CLI): stdout and stderr go to files (so a failure can
// show them), the child gets SIGTERM if the test process dies, and every wait has a deadline
// (PollUntil on the child's exit; nothing sleeps blindly).
#ifndef SPILLWAY_TESTS_SUPPORT_CHILD_PROCESS_H_
#define SPILLWAY_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace spillway {

class ChildProcess {
 public:
  // Runs argv[0] with `argv`; its stdout goes to `out_path`, its stderr to `err_path`.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                             const std::string& out_path,
                                                             const std::string& err_path);
  // Like Start, but stdout and stderr both go to `log_path`, appended to: one log for every run
  // of a program the test restarts (a test can look for what the latest run wrote after an offset).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> StartAppendingTo(
      const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();  // SIGTERM unless it has exited, then reaps it.

  // The exit code once it has exited (a signal death counts as 128 + signal); else nullopt.
  std::optional<int> ExitCode();
  // Waits up to `timeout` for the exit; SIGKILLs it and returns nullopt when it did not come.
  std::optional<int> WaitForExit(absl::Duration timeout);
  // Sends `signal` unless it has exited, then waits as WaitForExit does (SIGKILL after `timeout`):
  // it has been reaped on return, so its pid is never signalled again.
  std::optional<int> Signal(int signal, absl::Duration timeout);
  // SIGKILL and reap: for a test that crashes the child on purpose.
  std::optional<int> Kill();

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  // Forks and execs `argv` with `out` and `err` (may be the same fd) as stdout and stderr; closes
  // them in the parent.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                             int out, int err);
  pid_t pid_;
  std::optional<int> exit_code_;
};

struct ChildResult {
  std::optional<int> exit_code;  // nullopt: it did not finish in time (or did not start).
  std::string out;
  std::string err;
};

// Runs `argv` to its exit (at most `timeout`); its output is kept in `dir`/`name`.{out,err}.
ChildResult RunChild(const std::vector<std::string>& argv, const std::string& dir,
                         const std::string& name, absl::Duration timeout);

std::string ReadFileOrEmpty(const std::string& path);

}  // namespace spillway

#endif  // SPILLWAY_TESTS_SUPPORT_CHILD_PROCESS_H_
