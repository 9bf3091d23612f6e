#pragma once
// One SSH connection, on its own thread from key exchange to close. libssh
// objects of a session are only ever touched by that thread; a stop request
// shuts its socket down, which ends whatever libssh call is waiting.
#include <libssh/libssh.h>

#include <chrono>
#include <stop_token>

#include "ssh/session_handler.hpp"

namespace porter::ssh {

struct SessionLimits {
  std::chrono::seconds auth;  // key exchange, auth and the exec request
  std::chrono::seconds idle;  // no bytes either way
};

// Takes ownership of `session` (an accepted, not yet negotiated connection).
void run_session(ssh_session session, SessionHandler& handler, SessionLimits limits, std::stop_token stop);

}  // namespace porter::ssh
