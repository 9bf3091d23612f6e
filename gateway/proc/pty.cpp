#include "proc/pty.hpp"

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace porter::proc {
namespace {

constexpr int kMaxTerminalSide = 4096;  // columns or rows; more is not a terminal

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }
void set_cloexec(int fd) { ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); }

std::unexpected<Error> failed(const char* what) { return fail(std::string(what) + ": " + std::strerror(errno)); }

// [0] the read end, [1] the write end.
Result<std::pair<Fd, Fd>> pipe_pair() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) == -1) return failed("pipe");
  return std::pair{Fd(fds[0]), Fd(fds[1])};
}

}  // namespace

Result<AttachedStreams> attach_pipes() {
  auto in = pipe_pair(), out = pipe_pair(), err = pipe_pair();
  if (!in) return std::unexpected(in.error());
  if (!out) return std::unexpected(out.error());
  if (!err) return std::unexpected(err.error());
  AttachedStreams streams;
  streams.input = std::move(in->second);
  streams.child_in = std::move(in->first);
  streams.output = std::move(out->first);
  streams.child_out = std::move(out->second);
  streams.errors = std::move(err->first);
  streams.child_err = std::move(err->second);
  for (const auto* fd : {&streams.input, &streams.output, &streams.errors}) set_nonblocking(fd->get());
  return streams;
}

Result<AttachedStreams> attach_terminal(WindowSize size) {
  int master = -1, slave = -1;
  winsize window{size.rows, size.cols, 0, 0};
  if (::openpty(&master, &slave, nullptr, nullptr, &window) == -1) return failed("openpty");
  AttachedStreams streams;
  streams.terminal = true;
  streams.output = Fd(master);
  streams.child_in = Fd(slave);
  set_cloexec(master);
  set_cloexec(slave);
  termios mode{};
  if (::tcgetattr(slave, &mode) == 0) {
    ::cfmakeraw(&mode);
    ::tcsetattr(slave, TCSANOW, &mode);
  }
  streams.input = Fd(::fcntl(master, F_DUPFD_CLOEXEC, 0));
  streams.child_out = Fd(::fcntl(slave, F_DUPFD_CLOEXEC, 0));
  streams.child_err = Fd(::fcntl(slave, F_DUPFD_CLOEXEC, 0));
  if (!streams.input || !streams.child_out || !streams.child_err) return failed("dup");
  set_nonblocking(master);  // and so `input`, which shares its open file
  return streams;
}

bool set_window_size(int master, WindowSize size) {
  const winsize window{size.rows, size.cols, 0, 0};
  return master >= 0 && ::ioctl(master, TIOCSWINSZ, &window) == 0;
}

WindowSize window_size(int cols, int rows) {
  WindowSize size;
  if (cols > 0 && cols <= kMaxTerminalSide) size.cols = static_cast<unsigned short>(cols);
  if (rows > 0 && rows <= kMaxTerminalSide) size.rows = static_cast<unsigned short>(rows);
  return size;
}

}  // namespace porter::proc
