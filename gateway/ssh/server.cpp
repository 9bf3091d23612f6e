#include "ssh/server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc/fd.hpp"
#include "util/log.hpp"

namespace porter::ssh {

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
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(ssh_bind_get_fd(bind_), reinterpret_cast<sockaddr*>(&address), &length);
  bound_port_ = address.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port)
                                              : ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  // A larger backlog than libssh's default: bursts of pushes must not be dropped.
  ::listen(ssh_bind_get_fd(bind_), 256);
  return ok();
}

void Server::serve(std::stop_token stop) {
  const proc::Fd wake(::eventfd(0, EFD_CLOEXEC));
  std::stop_callback on_stop(stop, [&wake] { ::eventfd_write(wake.get(), 1); });
  while (!stop.stop_requested()) {
    pollfd watched[2] = {{ssh_bind_get_fd(bind_), POLLIN, 0}, {wake.get(), POLLIN, 0}};
    if (::poll(watched, 2, -1) <= 0 || !watched[0].revents) continue;
    ssh_session session = ssh_new();
    if (!session) continue;
    if (ssh_bind_accept(bind_, session) != SSH_OK) {
      util::logger("ssh")->warn("accept failed: {}", ssh_get_error(bind_));
      ssh_free(session);
      continue;
    }
    sessions_.spawn([this, session](std::stop_token session_stop) {
      try {
        run_session(session, handler_, limits_, session_stop);
      } catch (const std::exception& e) {
        util::logger("ssh")->error("session crashed: {}", e.what());
      }
    });
  }
}

void Server::shutdown(std::chrono::seconds grace) {
  if (!sessions_.wait_for(grace))
    util::logger("ssh")->info("cutting {} sessions still open after {} s", sessions_.size(), grace.count());
  sessions_.stop_and_join();
}

}  // namespace porter::ssh
