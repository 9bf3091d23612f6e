#pragma once
// Wire format between the pre-receive hook and the daemon, over a unix socket:
//   frame = u32 big-endian length of (kind + payload) | u8 kind | payload
// The hook sends Field frames ("name\0value") then End; the daemon answers
// with Output frames (progress bytes) and one Verdict frame (exit code).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace porter::hookrpc {

enum class FrameKind : std::uint8_t { field = 1, end = 2, output = 3, verdict = 4 };

struct Frame {
  FrameKind kind;
  std::string payload;
};

inline constexpr std::size_t kMaxFrameSize = 1 << 20;

std::string encode_frame(FrameKind kind, const std::string& payload);
std::string encode_field(const std::string& name, const std::string& value);
std::optional<std::pair<std::string, std::string>> decode_field(const std::string& payload);

// Incremental decoder: feed bytes as they arrive, take whole frames out.
class FrameDecoder {
 public:
  // false when the stream is malformed (bad kind, oversized frame).
  bool feed(const char* data, std::size_t size);
  std::optional<Frame> next();

 private:
  std::string buffer_;
  std::deque<Frame> frames_;
};

}  // namespace porter::hookrpc
