#pragma once
// A framed, blocking connection over a unix stream socket (one per hook run).
#include <filesystem>
#include <optional>
#include <string>

#include "hookrpc/framing.hpp"

namespace porter::hookrpc {

class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}
  Connection(Connection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  static std::optional<Connection> connect(const std::filesystem::path& socket_path);

  bool send(FrameKind kind, const std::string& payload);
  bool send_raw(const std::string& bytes);
  // Blocks for the next frame; nullopt on EOF or a malformed stream.
  std::optional<Frame> receive();

 private:
  int fd_;
  FrameDecoder decoder_;
};

// Listens on a unix socket (mode 0600: only the daemon's user may connect).
class Listener {
 public:
  explicit Listener(const std::filesystem::path& socket_path);
  ~Listener();
  bool ok() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  // Blocks; nullopt when the listener was shut down.
  std::optional<Connection> accept();
  void shutdown();

 private:
  int fd_ = -1;
  std::string error_;
};

}  // namespace porter::hookrpc
