#pragma once
// Test support: watching processes the code under test started (and may have
// lost track of), and cleaning up the cgroups tests make.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace porter::test {

// While alive, orphans of this process's children are re-parented to it
// rather than to pid 1 (which in some containers never reaps them), so a
// test can reap the processes it made end.
class Subreaper {
 public:
  Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
  Subreaper(const Subreaper&) = delete;
  Subreaper& operator=(const Subreaper&) = delete;
};

// A process watched through a pidfd: no pid-reuse races, and its exit is an
// event to wait for with a deadline.
class Watched {
 public:
  explicit Watched(pid_t pid) : pid_(pid), fd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
  ~Watched() {
    if (fd_ >= 0) {
      reap();
      ::close(fd_);
    }
  }
  Watched(const Watched&) = delete;
  Watched& operator=(const Watched&) = delete;

  bool valid() const { return fd_ >= 0; }
  pid_t pid() const { return pid_; }
  bool exited() const { return wait_exit(std::chrono::milliseconds(0)); }
  // True once the process has exited (it is reaped if it is our child).
  bool wait_exit(std::chrono::milliseconds timeout) const {
    pollfd watch{fd_, POLLIN, 0};
    if (::poll(&watch, 1, static_cast<int>(timeout.count())) != 1) return false;
    reap();
    return true;
  }
  // The last resort of a failing test: leave nothing running.
  void kill() const { ::syscall(SYS_pidfd_send_signal, fd_, SIGKILL, nullptr, 0); }

 private:
  void reap() const { ::waitpid(pid_, nullptr, WNOHANG); }
  pid_t pid_;
  int fd_;
};

// Pids listed in a cgroup's cgroup.procs.
inline bool cgroup_holds(const std::filesystem::path& cgroup, pid_t pid) {
  std::ifstream procs(cgroup / "cgroup.procs");
  for (pid_t listed; procs >> listed;)
    if (listed == pid) return true;
  return false;
}

// Removes a test's cgroup tree (children first), ending nothing: call
// proc::end_leftover_jobs or destroy the JobCgroups first.
inline void remove_cgroup_tree(const std::filesystem::path& cgroup) {
  std::error_code ec;
  if (!std::filesystem::is_directory(cgroup, ec)) return;
  for (const auto& entry : std::filesystem::directory_iterator(cgroup, ec))
    if (entry.is_directory()) remove_cgroup_tree(entry.path());
  ::rmdir(cgroup.c_str());
}

}  // namespace porter::test
