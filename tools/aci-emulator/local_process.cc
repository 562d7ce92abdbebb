#include "tools/aci-emulator/local_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace spillway {

std::string ShellJoin(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) out += ' ';
    absl::StrAppend(&out, "'", absl::StrReplaceAll(arg, {{"'", "'\\''"}}), "'");
  }
  return out;
}

absl::StatusOr<LocalProcess> LocalProcess::Start(
    const std::string& script, const std::vector<std::pair<std::string, std::string>>& env,
    const std::string& log_path) {
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  std::vector<std::string> env_strings;
  bool has_path = false;
  for (const auto& [name, value] : env) {
    env_strings.push_back(absl::StrCat(name, "=", value));
    has_path |= name == "PATH";
  }
  if (!has_path) env_strings.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", script_copy = script;
  char* argv[] = {sh.data(), dash_c.data(), script_copy.data(), nullptr};
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("open log: ", std::strerror(errno)));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    setpgid(0, 0);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execve("/bin/sh", argv, envp.data());
    _exit(127);
  }
  setpgid(pid, pid);  // Also from the parent, so Kill() works even before the child ran.
  close(log_fd);
  if (null_fd >= 0) close(null_fd);
  LocalProcess process;
  process.pid_ = pid;
  return process;
}

bool LocalProcess::Reap(int* exit_code) {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done != pid_) return false;
  pid_ = -1;
  if (WIFEXITED(status)) {
    *exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    *exit_code = 128 + WTERMSIG(status);
  } else {
    *exit_code = -1;
  }
  return true;
}

void LocalProcess::Kill() {
  if (pid_ > 0) kill(-pid_, SIGKILL);
}

void LocalProcess::KillAndWait() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

}  // namespace spillway
