#include "git/bridge.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <memory>
#include <string>
#include <vector>

#include "proc/fd.hpp"
#include "proc/process_group.hpp"
#include "util/log.hpp"

namespace porter::git {
namespace {

namespace bp = boost::process::v2;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 32 * 1024;
constexpr std::size_t kInputHeld = 2 * 1024 * 1024;  // about libssh's window, so one read drains it
constexpr int kKillGraceMs = 2000;

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// One child output pipe, copied to the client.
struct ChildOutput {
  int fd = -1;
  Stream stream = Stream::out;
  bool eof = false;
};

class Bridge {
 public:
  Bridge(ClientChannel& client, std::chrono::seconds idle, std::stop_token stop)
      : client_(client), idle_(idle), stop_(std::move(stop)) {}

  BridgeResult run(const proc::Command& command) {
    asio::io_context ctx;
    asio::writable_pipe child_in(ctx);
    asio::readable_pipe child_out(ctx), child_err(ctx);
    bp::process child(ctx, proc::find_program(command.program), command.args,
                      bp::process_stdio{child_in, child_out, child_err},
                      bp::process_environment(proc::child_environment(command.env)),
                      bp::process_start_dir(bp::filesystem::path(command.dir.string())), proc::isolated_child{});
    stdin_fd_ = child_in.native_handle();
    out_ = {child_out.native_handle(), Stream::out};
    err_ = {child_err.native_handle(), Stream::err};
    for (int fd : {stdin_fd_, out_.fd, err_.fd}) set_nonblocking(fd);

    BridgeResult result;
    result.client_gone = !pump_until_drained(child_in);
    if (result.client_gone) terminate(child.id());
    bp::error_code ec;
    child.wait(ec);
    result.exit_code = ec ? 255 : child.exit_code();
    return result;
  }

 private:
  // False when the client went away (or idled out, or a stop came) first.
  bool pump_until_drained(asio::writable_pipe& child_in) {
    auto last_activity = Clock::now();
    for (;;) {
      bool moved = pump_input(child_in);
      for (auto* output : {&out_, &err_}) {
        auto copied = pump_output(*output);
        if (!copied) return false;
        moved = moved || *copied > 0;
      }
      if (out_.eof && err_.eof) return true;
      if (moved) last_activity = Clock::now();
      if (Clock::now() - last_activity > idle_) {
        util::logger("git")->info("session idle for {} s, stopping git", idle_.count());
        return false;
      }
      std::vector<pollfd> watched;
      if (input_pending() > 0) watched.push_back({stdin_fd_, POLLOUT, 0});
      if (client_.writable() > 0)
        for (const auto* output : {&out_, &err_})
          if (!output->eof) watched.push_back({output->fd, POLLIN, 0});
      if (!client_.wait(watched, last_activity + idle_) || stop_.stop_requested()) return false;
    }
  }

  // True if bytes moved. libssh re-opens the client's window (by ~1.2 MB)
  // on every read once it is half spent, however much it holds unread: read
  // in small pieces as the child takes them, a fast client would grow the
  // gateway by that much per piece (64 MB in a 200 MB push). So the client
  // is read only once the child has taken all of the last input, and then
  // all libssh holds (at most kInputHeld): at most one window in each place.
  bool pump_input(asio::writable_pipe& child_in) {
    bool moved = false;
    while (stdin_fd_ >= 0) {
      if (input_pending() == 0 && !refill_input()) break;
      const ssize_t written = ::write(stdin_fd_, input_.get() + input_taken_, input_pending());
      if (written > 0) {
        input_taken_ += static_cast<std::size_t>(written);
        moved = true;
        continue;
      }
      if (written < 0 && (errno == EAGAIN || errno == EINTR)) break;
      input_taken_ = input_held_;  // the child closed its stdin: nothing more to give it
      close_stdin(child_in);
    }
    if (stdin_fd_ >= 0 && input_pending() == 0 && client_.input_ended()) close_stdin(child_in);
    return moved;
  }

  // Takes what the client has sent, up to kInputHeld; false if nothing came.
  bool refill_input() {
    if (!input_) input_ = std::make_unique_for_overwrite<char[]>(kInputHeld);  // pages are touched only as used
    input_held_ = input_taken_ = 0;
    while (input_held_ < kInputHeld) {
      const auto n = client_.read({input_.get() + input_held_, kInputHeld - input_held_});
      if (n == 0) break;
      input_held_ += n;
    }
    return input_held_ > 0;
  }

  std::size_t input_pending() const { return input_held_ - input_taken_; }

  void close_stdin(asio::writable_pipe& child_in) {
    bp::error_code ignored;
    child_in.close(ignored);
    stdin_fd_ = -1;
  }

  // Bytes copied, or nullopt once the client is gone. Never reads more than
  // the client's window allows; a full window pauses the child (its pipe fills).
  std::optional<std::size_t> pump_output(ChildOutput& output) {
    std::size_t copied = 0;
    char buffer[kChunk];
    for (int rounds = 0; rounds < 8 && !output.eof; ++rounds) {
      const auto window = client_.writable();
      if (window == 0) break;
      const ssize_t n = ::read(output.fd, buffer, std::min(window, sizeof buffer));
      if (n == 0) output.eof = true;
      if (n <= 0) break;  // EAGAIN: nothing now
      if (!client_.write(output.stream, {buffer, static_cast<std::size_t>(n)})) return std::nullopt;
      copied += static_cast<std::size_t>(n);
    }
    return copied;
  }

  // SIGTERM to the child's process group, SIGKILL if it has not exited in time.
  static void terminate(int pgid) {
    proc::Fd exited(static_cast<int>(::syscall(SYS_pidfd_open, pgid, 0)));
    ::kill(-pgid, SIGTERM);
    pollfd watch{exited.get(), POLLIN, 0};
    if (!exited || ::poll(&watch, 1, kKillGraceMs) <= 0) ::kill(-pgid, SIGKILL);
  }

  ClientChannel& client_;
  const std::chrono::seconds idle_;
  std::stop_token stop_;
  int stdin_fd_ = -1;
  std::unique_ptr<char[]> input_;  // read from the client, for the child's stdin
  std::size_t input_held_ = 0;
  std::size_t input_taken_ = 0;  // of input_held_, by the child
  ChildOutput out_, err_;
};

}  // namespace

BridgeResult bridge(const proc::Command& command, ClientChannel& client, std::chrono::seconds idle,
                    std::stop_token stop) {
  return Bridge(client, idle, std::move(stop)).run(command);
}

}  // namespace porter::git
