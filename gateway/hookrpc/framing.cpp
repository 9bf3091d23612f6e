#include "hookrpc/framing.hpp"

namespace porter::hookrpc {
namespace {

bool is_known_kind(std::uint8_t kind) { return kind >= 1 && kind <= 4; }

}  // namespace

std::string encode_frame(FrameKind kind, const std::string& payload) {
  const std::uint32_t length = static_cast<std::uint32_t>(payload.size() + 1);
  std::string frame;
  frame.reserve(4 + length);
  for (int shift = 24; shift >= 0; shift -= 8) frame += static_cast<char>((length >> shift) & 0xff);
  frame += static_cast<char>(kind);
  frame += payload;
  return frame;
}

std::string encode_field(const std::string& name, const std::string& value) {
  return encode_frame(FrameKind::field, name + '\0' + value);
}

std::optional<std::pair<std::string, std::string>> decode_field(const std::string& payload) {
  auto nul = payload.find('\0');
  if (nul == std::string::npos || nul == 0) return std::nullopt;
  return std::make_pair(payload.substr(0, nul), payload.substr(nul + 1));
}

bool FrameDecoder::feed(const char* data, std::size_t size) {
  buffer_.append(data, size);
  while (buffer_.size() >= 5) {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length = (length << 8) | static_cast<unsigned char>(buffer_[i]);
    if (length == 0 || length > kMaxFrameSize) return false;
    auto kind = static_cast<std::uint8_t>(buffer_[4]);
    if (!is_known_kind(kind)) return false;
    if (buffer_.size() < 4 + length) break;
    frames_.push_back(Frame{static_cast<FrameKind>(kind), buffer_.substr(5, length - 1)});
    buffer_.erase(0, 4 + length);
  }
  return true;
}

std::optional<Frame> FrameDecoder::next() {
  if (frames_.empty()) return std::nullopt;
  auto frame = std::move(frames_.front());
  frames_.pop_front();
  return frame;
}

}  // namespace porter::hookrpc
