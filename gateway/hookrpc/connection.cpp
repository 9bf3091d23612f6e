#include "hookrpc/connection.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace porter::hookrpc {
namespace {

std::optional<sockaddr_un> unix_address(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const auto text = path.string();
  if (text.size() >= sizeof address.sun_path) return std::nullopt;
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  return address;
}

}  // namespace

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Connection> Connection::connect(const std::filesystem::path& socket_path) {
  auto address = unix_address(socket_path);
  if (!address) return std::nullopt;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  Connection connection(fd);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&*address), sizeof *address) == -1) return std::nullopt;
  return connection;
}

void Connection::set_receive_timeout(std::chrono::seconds timeout) {
  timeval limit{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
}

void Connection::interrupt() { ::shutdown(fd_, SHUT_RDWR); }

bool Connection::send_raw(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool Connection::send(FrameKind kind, const std::string& payload) { return send_raw(encode_frame(kind, payload)); }

std::optional<Frame> Connection::receive() {
  char buffer[8192];
  for (;;) {
    if (auto frame = decoder_.next()) return frame;
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    if (!decoder_.feed(buffer, static_cast<std::size_t>(n))) return std::nullopt;
  }
}

Result<> Listener::listen(const std::filesystem::path& socket_path) {
  auto address = unix_address(socket_path);
  if (!address) return fail("socket path too long: " + socket_path.string());
  std::error_code ignored;
  std::filesystem::remove(socket_path, ignored);  // left over from a previous run
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&*address), sizeof *address) != 0 ||
      ::chmod(socket_path.c_str(), 0600) != 0 || ::listen(fd_, 128) != 0)
    return fail("control socket " + socket_path.string() + ": " + std::strerror(errno));
  return ok();
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Connection> Listener::accept(const std::stop_token& stop) {
  const int wake = ::eventfd(0, EFD_CLOEXEC);
  if (wake < 0) return std::nullopt;
  std::optional<Connection> accepted;
  {
    std::stop_callback on_stop(stop, [wake] { ::eventfd_write(wake, 1); });
    while (!accepted && !stop.stop_requested()) {
      pollfd watched[2] = {{fd_, POLLIN, 0}, {wake, POLLIN, 0}};
      if (::poll(watched, 2, -1) < 0 && errno != EINTR) break;
      if (!watched[0].revents) continue;
      const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) accepted.emplace(fd);
    }
  }
  ::close(wake);
  return accepted;
}

}  // namespace porter::hookrpc
