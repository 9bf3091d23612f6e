#pragma once
// What the SSH layer asks of the rest of the gateway. The daemon implements it.
#include <libssh/libssh.h>

#include <optional>
#include <string>
#include <variant>

#include "proc/process.hpp"
#include "ssh/authorized_keys.hpp"
#include "ssh/exec_command.hpp"

namespace porter::ssh {

// A git process to bridge to the channel, and the token that ties it to its deploy job.
struct GitLaunch {
  proc::Command command;
  std::string session_token;
};

struct CommandReply {
  int exit_code = 0;
  std::string output;  // to stdout on success, stderr on failure
};

class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  virtual std::optional<Identity> authorize(ssh_key key) = 0;
  virtual std::variant<GitLaunch, ExecError> prepare_git(const GitRequest& request, const Identity& who,
                                                         const std::string& git_protocol) = 0;
  // The git process has exited or the client vanished.
  virtual void git_finished(const std::string& session_token) = 0;
  virtual CommandReply run_admin(const AdminRequest& request, const Identity& who) = 0;
};

}  // namespace porter::ssh
