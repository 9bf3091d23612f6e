#include "hookrpc/framing.hpp"

#include <gtest/gtest.h>

namespace porter::hookrpc {
namespace {

TEST(Framing, RoundTripsFramesFedByteByByte) {
  const std::string payload("progress line\n\0binary", 21);
  auto wire = encode_field("ref", "a b c") + encode_frame(FrameKind::output, payload) + encode_frame(FrameKind::end, "");
  FrameDecoder decoder;
  for (char c : wire) ASSERT_TRUE(decoder.feed(&c, 1));
  auto field = decoder.next();
  ASSERT_TRUE(field);
  EXPECT_EQ(field->kind, FrameKind::field);
  EXPECT_EQ(decode_field(field->payload), std::make_pair(std::string("ref"), std::string("a b c")));
  auto output = decoder.next();
  ASSERT_TRUE(output);
  EXPECT_EQ(output->kind, FrameKind::output);
  EXPECT_EQ(output->payload, payload);
  auto end = decoder.next();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, FrameKind::end);
  EXPECT_FALSE(decoder.next());
}

TEST(Framing, HoldsPartialFramesUntilComplete) {
  auto wire = encode_frame(FrameKind::verdict, std::string(1, '\1'));
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(wire.data(), wire.size() - 1));
  EXPECT_FALSE(decoder.next());
  ASSERT_TRUE(decoder.feed(wire.data() + wire.size() - 1, 1));
  auto verdict = decoder.next();
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->payload, std::string(1, '\1'));
}

TEST(Framing, RejectsMalformedStreams) {
  FrameDecoder unknown_kind;
  std::string bad("\0\0\0\1\x09", 5);
  EXPECT_FALSE(unknown_kind.feed(bad.data(), bad.size()));

  FrameDecoder oversized;
  std::string huge("\x7f\0\0\0\x03", 5);
  EXPECT_FALSE(oversized.feed(huge.data(), huge.size()));

  FrameDecoder empty;
  std::string zero("\0\0\0\0\x03", 5);
  EXPECT_FALSE(empty.feed(zero.data(), zero.size()));
}

TEST(Framing, FieldsNeedANameAndASeparator) {
  EXPECT_FALSE(decode_field("no separator"));
  EXPECT_FALSE(decode_field(std::string("\0value", 6)));
  EXPECT_EQ(decode_field(std::string("k\0", 2)), std::make_pair(std::string("k"), std::string()));
}

}  // namespace
}  // namespace porter::hookrpc
