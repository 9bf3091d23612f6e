#pragma once
// Runs a git service process with its stdio bridged to the client's channel:
// what the client sends goes to the child's stdin, the child's stdout and
// stderr go back, each at the pace the other side can take (the SSH window
// on the way out, the child's pipe on the way in).
#include <poll.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <stop_token>
#include <string_view>

#include "proc/process.hpp"

namespace porter::git {

enum class Stream { out, err };

// The client's end, as the transport (ssh/) implements it. Non-blocking but
// for wait().
class ClientChannel {
 public:
  virtual ~ClientChannel() = default;
  // Bytes the client can take now (its flow-control window); 0 = not now.
  virtual std::size_t writable() = 0;
  // Sends to the client; false once the client is gone.
  virtual bool write(Stream stream, std::string_view bytes) = 0;
  // Takes what the client sent, up to buffer.size(); 0 = nothing now.
  virtual std::size_t read(std::span<char> buffer) = 0;
  // The client has sent EOF and read() has returned everything before it.
  virtual bool input_ended() = 0;
  // Blocks until the client has news (data, window, EOF), one of `fds` is
  // ready as asked (their revents are set), `deadline` passes, or a stop is
  // requested. False once the client is gone.
  virtual bool wait(std::span<pollfd> fds, std::chrono::steady_clock::time_point deadline) = 0;
};

struct BridgeResult {
  int exit_code = 255;
  bool client_gone = false;  // the client vanished, went idle too long, or the gateway is stopping
};

// Runs `command` until it has exited and its output is drained. The child is
// killed (its whole process group) when the client goes away, when no byte
// moves for `idle`, or on a stop request.
BridgeResult bridge(const proc::Command& command, ClientChannel& client, std::chrono::seconds idle,
                    std::stop_token stop);

}  // namespace porter::git
