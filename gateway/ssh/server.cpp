#include "ssh/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

#include "proc/fd.hpp"
#include "util/log.hpp"

namespace porter::ssh {
namespace {

using Clock = std::chrono::steady_clock;

// How long the accept loop pauses when accept fails for want of descriptors
// or memory (the pending connection would wake it again at once).
constexpr int kBackoffMs = 100;

const auto& log() {
  static const auto logger = util::logger("ssh");
  return logger;
}

// The client's IP address as text ("" if unknown), for from= options and the
// caps. An IPv4 client of an IPv6 socket is named in IPv4 form, as sshd names it.
std::string address_text(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  } else if (address.ss_family == AF_INET6) {
    const auto& ip = reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&ip)) ::inet_ntop(AF_INET, &ip.s6_addr[12], text, sizeof text);
    else ::inet_ntop(AF_INET6, &ip, text, sizeof text);
  }
  return text;
}

}  // namespace

Server::~Server() {
  sessions_.stop_and_join();
  if (bind_) ssh_bind_free(bind_);
}

Result<> Server::listen(const std::string& host, int port, const std::filesystem::path& host_key) {
  bind_ = ssh_bind_new();
  if (!bind_) return fail("cannot create the SSH listener");
  const auto port_text = std::to_string(port);
  ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_BINDADDR, host.c_str());
  ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_BINDPORT_STR, port_text.c_str());
  ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_HOSTKEY, host_key.c_str());
  if (ssh_bind_listen(bind_) != SSH_OK)
    return fail("cannot listen on " + host + ":" + port_text + ": " + ssh_get_error(bind_));
  const int fd = ssh_bind_get_fd(bind_);
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  bound_port_ = address.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port)
                                              : ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  // A larger backlog than libssh's default: bursts of pushes must not be dropped.
  ::listen(fd, 256);
  // The accept loop drains the queue until it is empty.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return ok();
}

void Server::serve(std::stop_token stop) {
  const proc::Fd wake(::eventfd(0, EFD_CLOEXEC));
  std::stop_callback on_stop(stop, [&wake] { ::eventfd_write(wake.get(), 1); });
  bool backoff = false;
  while (!stop.stop_requested()) {
    // While backing off only the stop is watched: the listener would wake at once.
    pollfd watched[2] = {{wake.get(), POLLIN, 0}, {ssh_bind_get_fd(bind_), POLLIN, 0}};
    if (::poll(watched, backoff ? 1 : 2, backoff ? kBackoffMs : -1) < 0 || watched[0].revents) continue;
    backoff = false;
    // A bounded batch, so that a stop is seen even under a flood.
    for (int i = 0; i < 64 && !stop.stop_requested(); ++i) {
      const int accepted = accept_one();
      if (accepted < 0) backoff = true;
      if (accepted <= 0) break;
    }
  }
}

int Server::accept_one() {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  const int fd = ::accept4(ssh_bind_get_fd(bind_), reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return 0;
    static Clock::time_point last_warned{};
    if (const auto now = Clock::now(); last_warned == Clock::time_point{} ||
                                       now - last_warned >= ConnectionLimits::kLogInterval) {
      last_warned = now;
      log()->warn("accept failed: {} (pausing {} ms)", std::strerror(errno), kBackoffMs);
    }
    return -1;
  }
  // git's pkt-lines are many small writes: Nagle's algorithm would hold each
  // behind the client's delayed ACK (40 ms a round trip).
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  const auto client = address_text(address);
  auto admission = connections_.try_admit(client);
  if (!admission.ticket) {
    ::close(fd);  // before any thread or byte of SSH is spent on it
    if (admission.log) {
      const bool per_address = admission.over == ConnectionLimits::Over::address;
      log()->warn("refused a connection from {}: {} connections not yet authenticated{} (limits.{}){}",
                  client.empty() ? "-" : client, admission.cap, per_address ? " from this address" : "",
                  per_address ? "preauth_per_address" : "preauth_connections",
                  admission.unlogged ? "; " + std::to_string(admission.unlogged) + " more refused since the last such line"
                                     : std::string());
    }
    return 1;
  }
  ssh_session session = ssh_new();
  if (!session) {
    ::close(fd);
    return -1;
  }
  if (ssh_bind_accept_fd(bind_, session, fd) != SSH_OK) {
    log()->warn("accept failed: {}", ssh_get_error(bind_));
    if (ssh_get_fd(session) != fd) ::close(fd);
    ssh_free(session);
    return 1;
  }
  // A task must be copyable; the ticket moves into the session when it runs.
  auto ticket = std::make_shared<ConnectionLimits::Ticket>(std::move(*admission.ticket));
  try {
    sessions_.spawn([this, session, ticket](std::stop_token session_stop) {
      try {
        run_session(session, std::move(*ticket), handler_, limits_, session_stop);
      } catch (const std::exception& e) {
        log()->error("session crashed: {}", e.what());
      }
    });
  } catch (const std::system_error& e) {  // no thread to be had
    log()->warn("cannot start a session thread: {}", e.what());
    ssh_free(session);
    return -1;
  }
  return 1;
}

void Server::shutdown(std::chrono::seconds grace) {
  if (!sessions_.wait_for(grace))
    log()->info("cutting {} sessions still open after {} s", sessions_.size(), grace.count());
  sessions_.stop_and_join();
}

}  // namespace porter::ssh
