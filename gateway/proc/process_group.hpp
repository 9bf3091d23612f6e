#pragma once
// Boost.Process v2 initializer for every child the gateway starts:
// - a new process group, so a timeout or a cancel reaches the whole tree (a
//   new session, with stdin as its controlling terminal, for a child given
//   a terminal: the same group, which then gets the terminal's signals);
// - default signal handling (the daemon blocks SIGINT/SIGTERM, ignores SIGPIPE);
// - optionally a cgroup (its cgroup.procs opened by the parent), so that even
//   descendants that leave the group can be found and ended after a crash;
// - no inherited descriptors but stdio. Boost 1.81's own close_all() skips
//   the gap between the stdio and its exec-error pipe (it compares each
//   whitelist entry with itself), so a child started while another thread's
//   pipes are open kept them, and that session never saw EOF.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/process/v2/posix/default_launcher.hpp>
#include <climits>
#include <vector>

namespace porter::proc {

struct isolated_child {
  int cgroup_procs_fd = -1;  // open for writing, or -1
  bool controlling_terminal = false;  // stdin is a terminal's slave (after process_stdio's dup2)

  template <typename Launcher>
  boost::process::v2::error_code on_exec_setup(Launcher& launcher, const boost::process::v2::filesystem::path&,
                                               const char* const*) {
    if (controlling_terminal) {
      if (::setsid() == -1 || ::ioctl(0, TIOCSCTTY, 0) == -1) return boost::process::v2::detail::get_last_error();
    } else if (::setpgid(0, 0) == -1) {
      return boost::process::v2::detail::get_last_error();
    }
    // The daemon blocks its stop signals and ignores SIGPIPE; a child starts clean.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    // "0" moves the writer itself; done before exec, so nothing escapes it.
    if (cgroup_procs_fd >= 0 && ::write(cgroup_procs_fd, "0", 1) != 1)
      return boost::process::v2::detail::get_last_error();
    std::vector<int> keep = launcher.fd_whitelist;  // stdio and the launcher's exec-error pipe
    std::sort(keep.begin(), keep.end());
    int next = 0;
    for (int fd : keep) {
      if (fd > next) ::close_range(static_cast<unsigned>(next), static_cast<unsigned>(fd - 1), 0);
      next = std::max(next, fd + 1);
    }
    ::close_range(static_cast<unsigned>(next), UINT_MAX, 0);
    return {};
  }
};

}  // namespace porter::proc
