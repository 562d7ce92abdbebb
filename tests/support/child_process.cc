#include "tests/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/poll.h"

namespace spillway {
namespace {

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::string& out_path,
    const std::string& err_path) {
  const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    return absl::InternalError(absl::StrCat("cannot create ", out_path, " / ", err_path));
  }
  return Spawn(argv, out, err);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::StartAppendingTo(
    const std::vector<std::string>& argv, const std::string& log_path) {
  // One open file for both streams (a shared offset: neither overwrites the other); O_APPEND keeps
  // what earlier runs wrote.
  const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return absl::InternalError(absl::StrCat("cannot open ", log_path));
  return Spawn(argv, log, log);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(
    const std::vector<std::string>& argv, int out, int err) {
  // Everything the child needs is prepared before fork: after it (the test has gRPC threads)
  // only async-signal-safe calls are allowed.
  std::vector<std::string> args = argv;
  std::vector<char*> raw;
  for (std::string& a : args) raw.push_back(a.data());
  raw.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(126);
    dup2(out, 1);
    dup2(err, 2);
    execv(raw[0], raw.data());
    _exit(127);
  }
  close(out);
  if (err != out) close(err);
  if (pid < 0) return absl::InternalError("fork failed");
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid));
}

ChildProcess::~ChildProcess() {
  Signal(SIGTERM, absl::Seconds(20));  // SIGKILLs and reaps it if SIGTERM was not enough.
}

std::optional<int> ChildProcess::ExitCode() {
  if (exit_code_.has_value()) return exit_code_;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) exit_code_ = ExitCodeOf(status);
  return exit_code_;
}

std::optional<int> ChildProcess::WaitForExit(absl::Duration timeout) {
  if (PollUntil([this] { return ExitCode().has_value(); }, timeout)) return exit_code_;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_code_ = ExitCodeOf(status);
  return std::nullopt;
}

std::optional<int> ChildProcess::Signal(int signal, absl::Duration timeout) {
  if (!ExitCode().has_value()) kill(pid_, signal);
  return WaitForExit(timeout);
}

std::optional<int> ChildProcess::Kill() {
  // SIGKILL cannot be caught, so the deadline only guards against a child stuck in the kernel.
  return Signal(SIGKILL, absl::Seconds(20));
}

ChildResult RunChild(const std::vector<std::string>& argv, const std::string& dir,
                         const std::string& name, absl::Duration timeout) {
  const std::string out = absl::StrCat(dir, "/", name, ".out");
  const std::string err = absl::StrCat(dir, "/", name, ".err");
  ChildResult result;
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Start(argv, out, err);
  if (!child.ok()) {
    result.err = child.status().ToString();
    return result;
  }
  result.exit_code = (*child)->WaitForExit(timeout);
  result.out = ReadFileOrEmpty(out);
  result.err = ReadFileOrEmpty(err);
  return result;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace spillway
