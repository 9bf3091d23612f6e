#include "proc/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/src.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "proc/cgroup.hpp"
#include "proc/fd.hpp"
#include "proc/process_group.hpp"
#include "util/clock.hpp"

extern char** environ;

namespace porter::proc {
namespace bp = boost::process::v2;
namespace {

using Clock = std::chrono::steady_clock;
using util::milliseconds_until;
constexpr std::size_t kTailLines = 20;
constexpr std::size_t kMaxLineBytes = 8192;
constexpr std::chrono::seconds kKillGrace{5};

// Splits a byte stream into lines; '\r' also ends a line (progress spinners).
// A line keeps its first kMaxLineBytes: a build that prints gigabytes without
// a newline must not grow the daemon with it. The rest is only counted, and
// the line says how much was dropped when it ends.
class LineSplitter {
 public:
  explicit LineSplitter(const LineSink& sink, std::deque<std::string>& tail) : sink_(sink), tail_(tail) {}
  void feed(const char* data, std::size_t n) {
    const char* end = data + n;
    while (data < end) {
      const char* line_end = std::find_if(data, end, [](char c) { return c == '\n' || c == '\r'; });
      keep(data, static_cast<std::size_t>(line_end - data));
      if (line_end == end) break;
      emit();
      data = line_end + 1;
    }
  }
  void finish() {
    if (!partial_.empty()) emit();
  }

 private:
  void keep(const char* data, std::size_t n) {
    const auto room = kMaxLineBytes - partial_.size();
    partial_.append(data, std::min(n, room));
    dropped_ += n - std::min(n, room);
  }
  void emit() {
    if (partial_.empty()) return;
    if (dropped_) partial_ += " [line truncated: " + std::to_string(dropped_) + (dropped_ == 1 ? " byte]" : " bytes]");
    sink_(partial_);
    tail_.push_back(partial_);
    if (tail_.size() > kTailLines) tail_.pop_front();
    partial_.clear();
    dropped_ = 0;
  }
  const LineSink& sink_;
  std::deque<std::string>& tail_;
  std::string partial_;
  std::size_t dropped_ = 0;  // bytes of the current line past kMaxLineBytes
};

bp::filesystem::path stdin_path(const Command& command) {
  return command.stdin_file.empty() ? "/dev/null" : command.stdin_file.string();
}

// Ends a child's tree: SIGTERM to its process group first, SIGKILL (and the
// cgroup's kill) once the grace period is over.
class Terminator {
 public:
  Terminator(int pgid, std::filesystem::path cgroup) : pgid_(pgid), cgroup_(std::move(cgroup)) {}

  void begin() {
    if (started()) return;
    ::kill(-pgid_, SIGTERM);
    kill_at_ = Clock::now() + kKillGrace;
  }
  bool started() const { return kill_at_ != Clock::time_point::max(); }
  bool killed() const { return killed_; }
  Clock::time_point kill_at() const { return kill_at_; }
  void finish() {
    if (killed_) return;
    killed_ = true;
    ::kill(-pgid_, SIGKILL);
    if (!cgroup_.empty()) kill_cgroup(cgroup_);
  }

 private:
  int pgid_;
  std::filesystem::path cgroup_;
  Clock::time_point kill_at_ = Clock::time_point::max();
  bool killed_ = false;
};

// After a run's wait wakes: a cancel or the deadline starts ending the
// child's tree, and the end of the grace period kills what is left.
void after_wake(bool cancel_seen, Clock::time_point deadline, Terminator& terminator, RunResult& result) {
  if (cancel_seen) {
    result.cancelled = true;
    terminator.begin();
  }
  if (!terminator.started() && Clock::now() >= deadline) {
    result.timed_out = true;
    terminator.begin();
  }
  if (terminator.started() && !terminator.killed() && Clock::now() >= terminator.kill_at()) terminator.finish();
}

}  // namespace

std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  return bp::environment::find_executable(program).string();
}

bool sleep_until(const CancelToken& cancel, Clock::time_point when) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  woken.wait_until(lock, cancel.token(), when, [] { return false; });
  return !cancel.cancelled();
}

std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    auto name = entry.substr(0, entry.find('='));
    if (!overrides.contains(std::string(name))) env.emplace_back(entry);
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
}

RunResult run(const Command& command, const LineSink& sink, const CancelToken& cancel,
              std::chrono::seconds timeout) {
  RunResult result;
  auto exe = find_program(command.program);
  if (exe.empty()) {
    result.error = command.program + ": not found on PATH";
    return result;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) == -1) {
    result.error = "pipe: " + std::string(strerror(errno));
    return result;
  }
  Fd read_end(fds[0]), write_end(fds[1]);
  Fd cgroup_procs;
  if (!command.cgroup.empty()) {
    cgroup_procs = Fd(::open((command.cgroup / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
    if (!cgroup_procs) {
      result.error = "cgroup " + command.cgroup.string() + ": " + std::strerror(errno);
      return result;
    }
  }

  boost::asio::io_context ctx;
  bp::error_code ec;
  auto env = child_environment(command.env);
  const auto dir = (command.dir.empty() ? std::filesystem::current_path() : command.dir).string();
  bp::process child(ctx, exe, command.args, bp::process_stdio{stdin_path(command), write_end.get(), write_end.get()},
                    bp::process_environment(env), bp::process_start_dir(bp::filesystem::path(dir)),
                    isolated_child{cgroup_procs.get()});
  write_end.reset();  // the child holds the only write end now: EOF means its tree is done with it
  Fd exited(static_cast<int>(::syscall(SYS_pidfd_open, child.id(), 0)));  // readable once the child has exited
  Fd cancelled(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  std::stop_callback wake_on_cancel(cancel.token(), [&] { ::eventfd_write(cancelled.get(), 1); });

  LineSplitter lines(sink, result.last_lines);
  Terminator terminator(child.id(), command.cgroup);
  const auto deadline = Clock::now() + timeout;
  bool output_done = false, child_done = false;
  char buf[16384];
  // Until the child has exited and its output is drained (or its tree was
  // killed: what escaped it may hold the pipe forever). Output, the exit, a
  // cancel and the deadlines wake this loop, nothing else.
  while (!(child_done && (output_done || terminator.killed()))) {
    pollfd watched[3] = {{output_done ? -1 : read_end.get(), POLLIN, 0},
                         {child_done ? -1 : exited.get(), POLLIN, 0},
                         {terminator.started() ? -1 : cancelled.get(), POLLIN, 0}};
    const auto wake_at = terminator.started() ? terminator.kill_at() : deadline;
    const int wait_ms = terminator.killed() ? -1 : milliseconds_until(wake_at);
    if (::poll(watched, 3, wait_ms) < 0 && errno != EINTR) break;
    if (watched[0].revents) {
      ssize_t n = ::read(read_end.get(), buf, sizeof buf);
      if (n > 0) lines.feed(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) output_done = true;
    }
    if (watched[1].revents) child_done = true;
    after_wake(watched[2].revents != 0, deadline, terminator, result);
  }
  // Whatever of the tree outlived a cancelled or timed-out child goes too.
  if (terminator.started()) terminator.finish();
  lines.finish();
  child.wait(ec);
  result.exit_code = ec ? -1 : child.exit_code();
  return result;
}

RunResult run_attached(const Command& command, const Stdio& stdio, const CancelToken& cancel,
                       std::chrono::seconds timeout) {
  RunResult result;
  auto exe = find_program(command.program);
  if (exe.empty()) {
    result.error = command.program + ": not found on PATH";
    return result;
  }
  boost::asio::io_context ctx;
  bp::error_code ec;
  auto env = child_environment(command.env);
  const auto dir = (command.dir.empty() ? std::filesystem::current_path() : command.dir).string();
  std::optional<bp::process> started;
  try {
    started.emplace(ctx, exe, command.args, bp::process_stdio{stdio.in, stdio.out, stdio.err},
                    bp::process_environment(env), bp::process_start_dir(bp::filesystem::path(dir)),
                    isolated_child{.cgroup_procs_fd = -1, .controlling_terminal = stdio.terminal});
  } catch (const std::exception& e) {
    result.error = command.program + ": " + e.what();
    return result;
  }
  auto& child = *started;
  Fd exited(static_cast<int>(::syscall(SYS_pidfd_open, child.id(), 0)));  // readable once the child has exited
  Fd cancelled(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  std::stop_callback wake_on_cancel(cancel.token(), [&] { ::eventfd_write(cancelled.get(), 1); });
  Terminator terminator(child.id(), command.cgroup);
  const auto deadline = Clock::now() + timeout;
  // Only the exit, a cancel and the deadlines wake this loop: the caller moves the bytes.
  for (bool child_done = false; !child_done;) {
    pollfd watched[2] = {{exited.get(), POLLIN, 0}, {terminator.started() ? -1 : cancelled.get(), POLLIN, 0}};
    const auto wake_at = terminator.started() ? terminator.kill_at() : deadline;
    const int wait_ms = terminator.killed() ? -1 : milliseconds_until(wake_at);
    if (::poll(watched, 2, wait_ms) < 0 && errno != EINTR) break;
    child_done = watched[0].revents != 0;
    after_wake(watched[1].revents != 0, deadline, terminator, result);
  }
  if (terminator.started()) terminator.finish();
  child.wait(ec);
  result.exit_code = ec ? -1 : child.exit_code();
  return result;
}

std::optional<std::vector<std::string>> output_of(const Command& command, std::chrono::seconds timeout) {
  std::vector<std::string> lines;
  CancelToken never;
  if (!run(command, [&](const std::string& line) { lines.push_back(line); }, never, timeout).ok()) return std::nullopt;
  return lines;
}

}  // namespace porter::proc
