#pragma once
// One SSH connection, on its own thread from key exchange to close. libssh
// objects of a session are only ever touched by that thread; a stop request
// shuts its socket down, which ends whatever libssh call is waiting.
#include <libssh/libssh.h>

#include <chrono>
#include <stop_token>

#include "ssh/connection_limits.hpp"
#include "ssh/session_handler.hpp"

namespace porter::ssh {

struct SessionLimits {
  std::chrono::seconds auth;  // key exchange, auth and the exec request
  std::chrono::seconds idle;  // no bytes either way
};

// Takes ownership of `session` (an accepted, not yet negotiated connection)
// and of `ticket`, its place in the connection caps (which names the client's
// address): it leaves pre-auth at authentication and takes a session slot of
// the key; a session over the key's cap is refused with one line.
void run_session(ssh_session session, ConnectionLimits::Ticket ticket, SessionHandler& handler, SessionLimits limits,
                 std::stop_token stop);

}  // namespace porter::ssh
