#pragma once
// Accepts SSH connections and runs each session on its own thread.
#include <libssh/libssh.h>
#include <libssh/server.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "ssh/session.hpp"

namespace porter::ssh {

class Server {
 public:
  Server(SessionHandler& handler, SessionLimits limits) : handler_(handler), limits_(limits) {}
  ~Server();

  // Binds; returns an error message on failure. Port 0 picks a free port.
  std::optional<std::string> listen(const std::string& host, int port, const std::filesystem::path& host_key);
  int bound_port() const { return bound_port_; }
  // Accepts until stop() is called (from any thread or a signal handler).
  void serve();
  void stop() { stopping_ = true; }
  // Waits (bounded) for running sessions to end.
  void drain(std::chrono::seconds timeout);

 private:
  SessionHandler& handler_;
  SessionLimits limits_;
  ssh_bind bind_ = nullptr;
  int bound_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_sessions_{0};
};

}  // namespace porter::ssh
