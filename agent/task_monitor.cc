#include "agent/task_monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/cgroup_v2.h"
#include "agent/task_files.h"
#include "proto/spillway/v1/agent.pb.h"

namespace spillway {
namespace {

// One output stream copied into a capped log file.
struct LogPipe {
  int read_fd = -1;
  int file_fd = -1;
  int64_t written = 0;
  bool truncated = false;

  // Copies what is available; false at EOF.
  bool Pump(int64_t cap) {
    char buf[8192];
    const ssize_t n = read(read_fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) return false;
    int64_t keep = std::min<int64_t>(n, std::max<int64_t>(0, cap - written));
    if (keep > 0 && write(file_fd, buf, static_cast<size_t>(keep)) > 0) written += keep;
    if (keep < n && !truncated) {
      truncated = true;
      static constexpr char kNote[] = "\n[log truncated: size cap reached]\n";
      (void)!write(file_fd, kNote, sizeof(kNote) - 1);
    }
    return true;
  }
};

void Finish(const std::string& task_dir, const std::string& line) {
  (void)WriteFileAtomic(task_dir + "/exit", line + "\n");
}

}  // namespace

int RunTaskMonitor(int argc, char** argv) {
  if (argc < 5) return 2;
  const std::string task_dir = argv[2];
  int64_t log_cap_bytes = 0;
  if (!absl::SimpleAtoi(argv[3], &log_cap_bytes)) return 2;
  const std::string cgroup_dir = std::string(argv[4]) == "-" ? "" : argv[4];

  // Blocked as well as ignored: a stop that arrives while the job is between fork and exec stays
  // pending in the job (Linux keeps blocked signals even when ignored) and acts once it unblocks.
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGHUP);
  sigprocmask(SIG_BLOCK, &stops, nullptr);
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);

  spillway::v1::StartTask start;
  {
    absl::StatusOr<std::string> spec = ReadSmallFile(task_dir + "/spec.pb", 8 << 20);
    unlink((task_dir + "/spec.pb").c_str());
    if (!spec.ok() || !start.ParseFromString(*spec)) {
      Finish(task_dir, "failed cannot read the task spec");
      return 0;
    }
  }
  std::vector<std::string> argv_strings(start.spec().command().begin(),
                                        start.spec().command().end());
  argv_strings.insert(argv_strings.end(), start.spec().args().begin(), start.spec().args().end());
  if (argv_strings.empty()) {
    Finish(task_dir, "failed the job has no command");
    return 0;
  }
  const std::string work = task_dir + "/work";
  std::vector<std::string> env_strings = {
      absl::StrCat("PATH=", getenv("PATH") != nullptr ? getenv("PATH") : "/usr/bin:/bin"),
      absl::StrCat("HOME=", work),
      absl::StrCat("SPILLWAY_JOB_ID=", start.job_id()),
      absl::StrCat("SPILLWAY_ATTEMPT=", start.attempt()),
  };
  for (const auto& e : start.spec().env()) env_strings.push_back(absl::StrCat(e.name(), "=", e.value()));
  std::vector<char*> child_argv, child_env;
  for (auto& s : argv_strings) child_argv.push_back(s.data());
  child_argv.push_back(nullptr);
  for (auto& s : env_strings) child_env.push_back(s.data());
  child_env.push_back(nullptr);

  LogPipe out, err;
  int out_pipe[2], err_pipe[2], exec_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
      pipe2(exec_pipe, O_CLOEXEC) != 0) {
    Finish(task_dir, absl::StrCat("failed pipe: ", strerror(errno)));
    return 0;
  }
  out.file_fd = open((task_dir + "/logs/stdout").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  err.file_fd = open((task_dir + "/logs/stderr").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

  const pid_t child = fork();
  if (child < 0) {
    Finish(task_dir, absl::StrCat("failed fork: ", strerror(errno)));
    return 0;
  }
  if (child == 0) {  // The job. The monitor is single-threaded, so this is ordinary code.
    setpgid(0, 0);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);  // Pending stops act now.
    std::string error;
    if (!cgroup_dir.empty()) {
      if (absl::Status s = CgroupV2::Join(cgroup_dir); !s.ok()) error = std::string(s.message());
    }
    if (error.empty() && chdir(work.c_str()) != 0) error = absl::StrCat("chdir: ", strerror(errno));
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (error.empty()) {
      execvpe(child_argv[0], child_argv.data(), child_env.data());
      error = absl::StrCat("exec ", argv_strings[0], ": ", strerror(errno));
    }
    (void)!write(exec_pipe[1], error.data(), error.size());
    _exit(127);
  }
  setpgid(child, child);  // Also here, so the group exists before its id is published.
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(exec_pipe[1]);
  (void)WriteFileAtomic(task_dir + "/pid", absl::StrCat(child, "\n"));

  // Empty when exec succeeded (the pipe closes on exec).
  std::string exec_error;
  {
    char buf[512];
    ssize_t n;
    while ((n = read(exec_pipe[0], buf, sizeof(buf))) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      exec_error.append(buf, static_cast<size_t>(n));
    }
    close(exec_pipe[0]);
  }

  out.read_fd = out_pipe[0];
  err.read_fd = err_pipe[0];
  fcntl(out.read_fd, F_SETFL, O_NONBLOCK);
  fcntl(err.read_fd, F_SETFL, O_NONBLOCK);
  bool out_open = true, err_open = true;
  int status = 0;
  bool exited = false;
  // Copy output until the job has exited and its pipes are drained (or, if descendants keep
  // them open, until a short while after the job exited).
  int drain_rounds_after_exit = 0;
  while (true) {
    struct pollfd fds[2];
    int nfds = 0;
    if (out_open) fds[nfds++] = {out.read_fd, POLLIN, 0};
    if (err_open) fds[nfds++] = {err.read_fd, POLLIN, 0};
    if (nfds > 0) poll(fds, nfds, 100);
    if (out_open && !out.Pump(log_cap_bytes)) out_open = false;
    if (err_open && !err.Pump(log_cap_bytes)) err_open = false;
    if (!exited) {
      const pid_t r = waitpid(child, &status, WNOHANG);
      if (r == child) exited = true;
      if (nfds == 0 && !exited) {
        waitpid(child, &status, 0);
        exited = true;
      }
    }
    if (exited && ((!out_open && !err_open) || ++drain_rounds_after_exit > 10)) break;
  }
  if (!exec_error.empty()) {
    Finish(task_dir, absl::StrCat("failed ", exec_error));
  } else if (WIFEXITED(status)) {
    Finish(task_dir, absl::StrCat("exited ", WEXITSTATUS(status)));
  } else if (WIFSIGNALED(status)) {
    Finish(task_dir, absl::StrCat("signaled ", WTERMSIG(status)));
  } else {
    Finish(task_dir, "failed unknown wait status");
  }
  return 0;
}

}  // namespace spillway
