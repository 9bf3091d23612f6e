#pragma once
// What an attached command (`run`) needs of the SSH layer: the client's
// terminal as its pty request describes it, and the relay between the
// client's channel and the command's standard streams.
#include <optional>

#include "git/bridge.hpp"
#include "proc/pty.hpp"
#include "ssh/session_handler.hpp"

namespace porter::ssh {

// The terminal a pty request asks for, or nothing when its TERM is not a
// plain terminal name (it reaches the container's environment). A size of
// 0 or past any terminal's means the default.
std::optional<Terminal> terminal_request(const char* term, int cols, int rows);

// Copies between `client` and `streams` until `ended` is readable and the
// command's output is drained: the client's bytes to `streams.input` (closed
// at the client's EOF), `output` and `errors` to its stdout and stderr. Reads
// from the client only what the command takes, and from the command only
// what the client's window allows: one chunk at most waits each way. False
// once the client is gone (the caller then ends the command).
bool relay_streams(git::ClientChannel& client, proc::AttachedStreams& streams, int ended);

}  // namespace porter::ssh
