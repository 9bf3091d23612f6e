#include "ssh/server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <thread>

namespace porter::ssh {

Server::~Server() {
  if (bind_) ssh_bind_free(bind_);
}

std::optional<std::string> Server::listen(const std::string& host, int port, const std::filesystem::path& host_key) {
  bind_ = ssh_bind_new();
  if (!bind_) return "cannot create the SSH listener";
  const auto port_text = std::to_string(port);
  ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_BINDADDR, host.c_str());
  ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_BINDPORT_STR, port_text.c_str());
  ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_HOSTKEY, host_key.c_str());
  if (ssh_bind_listen(bind_) != SSH_OK) return std::string("cannot listen on ") + host + ":" + port_text + ": " + ssh_get_error(bind_);
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(ssh_bind_get_fd(bind_), reinterpret_cast<sockaddr*>(&address), &length);
  bound_port_ = address.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port)
                                              : ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  // A larger backlog than libssh's default: bursts of pushes must not be dropped.
  ::listen(ssh_bind_get_fd(bind_), 256);
  return std::nullopt;
}

void Server::serve() {
  while (!stopping_) {
    pollfd p{ssh_bind_get_fd(bind_), POLLIN, 0};
    if (::poll(&p, 1, 250) <= 0) continue;  // wake regularly to notice stop()
    ssh_session session = ssh_new();
    if (!session) continue;
    if (ssh_bind_accept(bind_, session) != SSH_OK) {
      spdlog::warn("ssh accept failed: {}", ssh_get_error(bind_));
      ssh_free(session);
      continue;
    }
    ++active_sessions_;
    std::thread([this, session] {
      try {
        run_session(session, handler_, limits_);
      } catch (const std::exception& e) {
        spdlog::error("ssh session crashed: {}", e.what());
      }
      --active_sessions_;
    }).detach();
  }
}

void Server::drain(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (active_sessions_ > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace porter::ssh
