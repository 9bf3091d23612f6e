#pragma once
// What the SSH layer asks of the rest of the gateway. The daemon implements it.
#include <libssh/libssh.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "proc/process.hpp"
#include "proc/pty.hpp"
#include "ssh/authorized_keys.hpp"
#include "ssh/exec_command.hpp"
#include "util/result.hpp"

namespace porter::ssh {

// A git process to bridge to the channel, and the token that ties it to its deploy job.
struct GitLaunch {
  proc::Command command;
  std::string session_token;  // empty for fetches
};

// What a client's pty request asked for.
struct Terminal {
  std::string term;  // its TERM: letters, digits and "+-._", at most kMaxTermLength
  proc::WindowSize size;
};
inline constexpr std::size_t kMaxTermLength = 64;

// Where a management command writes, as it runs, and where it reads its
// standard input if it takes one. `out` returns false once the client is gone.
struct CommandOutput {
  std::function<bool(const std::string&)> out;
  std::function<void(const std::string&)> err;
  // The client's standard input, to its end: at most `max_bytes` (more is an
  // error, and no more is buffered), within a time limit. Errors are one line.
  std::function<Result<std::string>(std::size_t max_bytes)> read_input;
  // Attends to the connection for up to `time` (a command that runs long
  // without output calls it to notice a client that went away); false once
  // the client is gone.
  std::function<bool(std::chrono::milliseconds time)> attend;
  // The client's terminal, when it asked for one (ssh -t); only `run` gives
  // it to its command, the others ignore it.
  std::optional<Terminal> terminal{};
  // For a command attached to the client (`run`): copies between the client
  // and `streams`, the gateway's ends (the client's bytes to `input`, which
  // is closed at its EOF; `output` and `errors` to its stdout and stderr; its
  // window changes to a terminal's master), at the pace of both sides, until
  // `ended` is readable (the command has exited) and its output is drained.
  // Buffers at most a chunk each way. False once the client is gone.
  std::function<bool(proc::AttachedStreams& streams, int ended)> relay{};
};

class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  // `client_address`: the peer's IP address as text ("" if unknown), for from= options.
  virtual std::optional<Identity> authorize(ssh_key key, const std::string& client_address) = 0;
  // The git service to run for `who`, or why not (one line).
  virtual Result<GitLaunch> prepare_git(const GitRequest& request, const Identity& who,
                                        const std::string& git_protocol) = 0;
  // The git process has exited or the client vanished.
  virtual void git_finished(const GitLaunch& launch) = 0;
  // Runs a management command; returns its exit status.
  virtual int run_command(const std::vector<std::string>& words, const Identity& who, const CommandOutput& output) = 0;
};

}  // namespace porter::ssh
