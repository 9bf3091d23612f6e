#include "proc/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/src.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <thread>

#include "proc/process_group.hpp"

extern char** environ;

namespace porter::proc {
namespace bp = boost::process::v2;
namespace {

constexpr std::size_t kTailLines = 20;
constexpr std::chrono::seconds kKillGrace{5};

// Owns one fd.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// Splits a byte stream into lines; '\r' also ends a line (progress spinners).
class LineSplitter {
 public:
  explicit LineSplitter(const LineSink& sink, std::deque<std::string>& tail) : sink_(sink), tail_(tail) {}
  void feed(const char* data, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      char c = data[i];
      if (c == '\n' || c == '\r') {
        emit();
      } else {
        partial_ += c;
      }
    }
  }
  void finish() {
    if (!partial_.empty()) emit();
  }

 private:
  void emit() {
    if (partial_.empty()) return;
    sink_(partial_);
    tail_.push_back(partial_);
    if (tail_.size() > kTailLines) tail_.pop_front();
    partial_.clear();
  }
  const LineSink& sink_;
  std::deque<std::string>& tail_;
  std::string partial_;
};

bp::filesystem::path stdin_path(const Command& command) {
  return command.stdin_file.empty() ? "/dev/null" : command.stdin_file.string();
}

}  // namespace

std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  return bp::environment::find_executable(program).string();
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

void kill_group(int pgid, std::chrono::milliseconds grace) {
  if (pgid <= 0) return;
  if (::kill(-pgid, SIGTERM) == -1) return;  // already gone
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::kill(-pgid, 0) == -1) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pgid, SIGKILL);
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

  boost::asio::io_context ctx;
  bp::error_code ec;
  auto env = child_environment(command.env);
  const auto dir = (command.dir.empty() ? std::filesystem::current_path() : command.dir).string();
  bp::process child(ctx, exe, command.args,
                    bp::process_stdio{stdin_path(command), write_end.fd, write_end.fd},
                    bp::process_environment(env), bp::process_start_dir(bp::filesystem::path(dir)), isolated_child{});
  write_end.reset();  // the child holds the only write end now: EOF means it is done
  const int pgid = child.id();

  LineSplitter lines(sink, result.last_lines);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[16384];
  bool killed = false;
  for (;;) {
    pollfd p{read_end.fd, POLLIN, 0};
    int r = ::poll(&p, 1, 200);
    if (r > 0) {
      ssize_t n = ::read(read_end.fd, buf, sizeof buf);
      if (n > 0) {
        lines.feed(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) break;
      if (errno != EINTR && errno != EAGAIN) break;
    }
    if (killed) continue;
    if (cancel.cancelled()) result.cancelled = true;
    if (std::chrono::steady_clock::now() > deadline) result.timed_out = true;
    if (result.cancelled || result.timed_out) {
      killed = true;
      // Kill in the background of this loop: keep draining so the tree can exit.
      std::thread([pgid] { kill_group(pgid, kKillGrace); }).detach();
    }
  }
  lines.finish();
  child.wait(ec);
  result.exit_code = ec ? -1 : child.exit_code();
  return result;
}

}  // namespace porter::proc
