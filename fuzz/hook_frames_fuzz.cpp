// Frames on the hook socket, fed to the decoder in two pieces (split where
// the first byte says). Whatever it decodes re-encodes to the bytes it took.
#include <algorithm>

#include "fuzz_support.hpp"
#include "hookrpc/framing.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  porter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace porter::hookrpc;
  if (size == 0) return 0;
  const auto bytes = porter::fuzz::text_of(data + 1, size - 1);
  const auto split = std::min<std::size_t>(data[0], bytes.size());

  FrameDecoder decoder;
  std::string encoded;
  bool good = decoder.feed(bytes.data(), split);
  while (auto frame = decoder.next()) encoded += encode_frame(frame->kind, frame->payload);
  if (good) good = decoder.feed(bytes.data() + split, bytes.size() - split);
  while (auto frame = decoder.next()) {
    encoded += encode_frame(frame->kind, frame->payload);
    FUZZ_CHECK(frame->payload.size() < kMaxFrameSize);
    if (auto field = decode_field(frame->payload)) {
      FUZZ_CHECK(!field->first.empty());
      FUZZ_CHECK(field->first + '\0' + field->second == frame->payload);
    }
  }
  FUZZ_CHECK(bytes.starts_with(encoded));
  return 0;
}
