#pragma once
// Accepts SSH connections and runs each session on a thread it owns. A
// connection over the pre-auth caps (ConnectionCaps) is closed at accept,
// before any thread or SSH handshake is spent on it.
#include <libssh/libssh.h>
#include <libssh/server.h>

#include <chrono>
#include <filesystem>
#include <stop_token>
#include <string>

#include "ssh/connection_limits.hpp"
#include "ssh/session.hpp"
#include "util/result.hpp"
#include "util/task_group.hpp"

namespace porter::ssh {

class Server {
 public:
  Server(SessionHandler& handler, SessionLimits limits, ConnectionCaps caps = {})
      : handler_(handler), limits_(limits), connections_(caps) {}
  ~Server();

  // Binds. Port 0 picks a free port.
  Result<> listen(const std::string& host, int port, const std::filesystem::path& host_key);
  int bound_port() const { return bound_port_; }
  // Accepts until `stop` is requested.
  void serve(std::stop_token stop);
  // Lets running sessions finish for up to `grace`, then cuts the rest and
  // joins every session thread.
  void shutdown(std::chrono::seconds grace);

 private:
  // Accepts one connection: refused by the caps, or handed to a session thread.
  // 1: one accepted or refused; 0: none pending; -1: out of descriptors,
  // memory or threads (the caller backs off).
  int accept_one();

  SessionHandler& handler_;
  SessionLimits limits_;
  ConnectionLimits connections_;  // outlives the sessions, whose tickets point at it
  ssh_bind bind_ = nullptr;
  int bound_port_ = 0;
  util::TaskGroup sessions_;
};

}  // namespace porter::ssh
