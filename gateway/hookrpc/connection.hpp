#pragma once
// A framed, blocking connection over a unix stream socket (one per hook run).
#include <chrono>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>

#include "hookrpc/framing.hpp"
#include "util/result.hpp"

namespace porter::hookrpc {

class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}
  Connection(Connection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  static std::optional<Connection> connect(const std::filesystem::path& socket_path);

  // Bounds how long receive() waits for the peer.
  void set_receive_timeout(std::chrono::seconds timeout);
  // Ends any receive() or send() under way, from any thread: the connection is done.
  void interrupt();

  bool send(FrameKind kind, const std::string& payload);
  bool send_raw(const std::string& bytes);
  // Blocks for the next frame; nullopt on EOF or a malformed stream.
  std::optional<Frame> receive();

 private:
  int fd_;
  FrameDecoder decoder_;
};

// Listens on a unix socket (mode 0600, in the daemon's private data dir:
// only the daemon's user may connect).
class Listener {
 public:
  Listener() = default;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();

  Result<> listen(const std::filesystem::path& socket_path);
  // Blocks for the next connection; nullopt once `stop` is requested.
  std::optional<Connection> accept(const std::stop_token& stop);

 private:
  int fd_ = -1;
};

}  // namespace porter::hookrpc
