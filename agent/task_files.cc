#include "agent/task_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace spillway {

std::string TaskDirName(const TaskKey& key) {
  std::string job = key.first;
  for (char& c : job) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return absl::StrCat(job, ".", key.second);
}

std::string TasksRoot(absl::string_view work_dir) { return absl::StrCat(work_dir, "/tasks"); }

std::string TaskDir(absl::string_view work_dir, const TaskKey& key) {
  return absl::StrCat(TasksRoot(work_dir), "/", TaskDirName(key));
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": ", strerror(errno)));
  std::string out;
  char buf[4096];
  while (out.size() < max_bytes) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (out.size() > max_bytes) out.resize(max_bytes);
  return out;
}

absl::Status WriteFileAtomic(const std::string& path, absl::string_view contents, int mode) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return absl::InternalError(absl::StrCat(tmp, ": ", strerror(errno)));
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return absl::InternalError(absl::StrCat(tmp, ": ", strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat(path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& path) {
  std::string partial;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (partial.empty() && part.empty()) {
      partial = "/";
      continue;
    }
    if (part.empty()) continue;
    if (!partial.empty() && partial.back() != '/') partial += "/";
    partial += std::string(part);
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::InternalError(absl::StrCat(partial, ": ", strerror(errno)));
    }
  }
  return absl::OkStatus();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::vector<std::string> ListDirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (stat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.push_back(name);
  }
  closedir(d);
  return out;
}

absl::Status WriteTaskMeta(const std::string& task_dir, const TaskMeta& meta) {
  return WriteFileAtomic(task_dir + "/meta", absl::StrCat(meta.key.first, "\n", meta.key.second,
                                                         "\n", meta.runtime, "\n"));
}

absl::StatusOr<TaskMeta> ReadTaskMeta(const std::string& task_dir) {
  absl::StatusOr<std::string> text = ReadSmallFile(task_dir + "/meta");
  if (!text.ok()) return text.status();
  std::vector<std::string> lines = absl::StrSplit(*text, '\n');
  TaskMeta meta;
  if (lines.size() < 3 || lines[0].empty() || !absl::SimpleAtoi(lines[1], &meta.key.second)) {
    return absl::DataLossError(absl::StrCat(task_dir, "/meta: malformed"));
  }
  meta.key.first = lines[0];
  meta.runtime = lines[2];
  return meta;
}

std::string ReadFileTail(const std::string& path, int64_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || max_bytes <= 0) {
    if (fd >= 0) close(fd);
    return "";
  }
  struct stat st;
  std::string out;
  if (fstat(fd, &st) == 0) {
    const off_t start = st.st_size > max_bytes ? st.st_size - max_bytes : 0;
    out.resize(static_cast<size_t>(st.st_size - start));
    const ssize_t n = pread(fd, out.data(), out.size(), start);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  close(fd);
  return out;
}

int ReadPidFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, 64);
  int pid = 0;
  if (!text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &pid) || pid <= 0) {
    return 0;
  }
  return pid;
}

}  // namespace spillway
