#include "hookrpc/connection.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <future>
#include <thread>

#include "hookrpc/request_fields.hpp"
#include "hookrpc/server.hpp"
#include "support/temp_dir.hpp"

namespace porter::hookrpc {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Two connected Connections, as the hook and the daemon hold them.
struct Pair {
  Connection hook, daemon;
};

Pair connected_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair failed");
  return {Connection(fds[0]), Connection(fds[1])};
}

const std::string kOld(40, 'a'), kNew(40, 'b');

// What the hook client sends for one push (see hook_client.cpp).
std::string full_request() {
  return encode_field(field::session, "token-123") + encode_field(field::repo_dir, "/data/repos/shop.git") +
         encode_field(std::string(field::git_env_prefix) + "GIT_OBJECT_DIRECTORY",
                      "/data/repos/shop.git/objects/tmp_objdir-incoming-x") +
         encode_field(std::string(field::git_env_prefix) + "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                      "/data/repos/shop.git/objects") +
         encode_field(field::ref_update, kOld + " " + kNew + " refs/heads/main") +
         encode_field(field::ref_update, kOld + " " + kNew + " refs/heads/staging") +
         encode_field(field::push_option, "ci.skip") + encode_field(field::push_option, "note=a b") +
         encode_frame(FrameKind::end, "");
}

// A u32 big-endian length header.
std::string length_header(std::uint32_t length) {
  std::string header;
  for (int shift = 24; shift >= 0; shift -= 8) header += static_cast<char>((length >> shift) & 0xff);
  return header;
}

TEST(Connection, FramesRoundTripBothWays) {
  auto [hook, daemon] = connected_pair();
  const std::string binary("a\0b\n\xff", 5);
  ASSERT_TRUE(hook.send(FrameKind::field, std::string("name\0value", 10)));
  ASSERT_TRUE(hook.send(FrameKind::end, ""));
  ASSERT_TRUE(daemon.send(FrameKind::output, binary));
  ASSERT_TRUE(daemon.send(FrameKind::verdict, std::string(1, '\0')));

  auto field = daemon.receive();
  ASSERT_TRUE(field);
  EXPECT_EQ(field->kind, FrameKind::field);
  EXPECT_EQ(decode_field(field->payload), std::make_pair(std::string("name"), std::string("value")));
  auto end = daemon.receive();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->kind, FrameKind::end);
  EXPECT_EQ(end->payload, "");

  auto output = hook.receive();
  ASSERT_TRUE(output);
  EXPECT_EQ(output->kind, FrameKind::output);
  EXPECT_EQ(output->payload, binary);
  auto verdict = hook.receive();
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->kind, FrameKind::verdict);
  EXPECT_EQ(verdict->payload, std::string(1, '\0'));
}

TEST(Connection, CarriesAFrameOfTheLargestSizeInPieces) {
  auto [hook, daemon] = connected_pair();
  const std::string payload(kMaxFrameSize - 1, 'x');  // the length counts the kind byte too
  // Larger than a socket buffer: the sender blocks until the receiver reads.
  auto sent = std::async(std::launch::async, [&] { return hook.send(FrameKind::output, payload); });
  auto frame = daemon.receive();
  ASSERT_EQ(sent.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(sent.get());
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->payload.size(), payload.size());
  EXPECT_EQ(frame->payload, payload);
}

TEST(Connection, ReceiveEndsOnEofAndSendFailsOnceThePeerIsGone) {
  auto [hook, daemon] = connected_pair();
  ASSERT_TRUE(hook.send(FrameKind::output, "last words"));
  { Connection gone = std::move(hook); }  // closes the hook's end
  auto frame = daemon.receive();
  ASSERT_TRUE(frame);  // what was sent before the close still arrives
  EXPECT_EQ(frame->payload, "last words");
  EXPECT_FALSE(daemon.receive());
  // No SIGPIPE (that would end this test binary): an error value.
  EXPECT_FALSE(daemon.send(FrameKind::output, "anyone there?"));
}

// ---- read_request ----

TEST(ReadRequest, AssemblesTheHookRequestUpToEnd) {
  auto [hook, daemon] = connected_pair();
  ASSERT_TRUE(hook.send_raw(full_request() + encode_field(field::session, "after-end")));
  auto request = read_request(daemon);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->session_token, "token-123");
  EXPECT_EQ(request->repo_dir, std::filesystem::path("/data/repos/shop.git"));
  EXPECT_EQ(request->git_env, (std::map<std::string, std::string>{
                                  {"GIT_ALTERNATE_OBJECT_DIRECTORIES", "/data/repos/shop.git/objects"},
                                  {"GIT_OBJECT_DIRECTORY", "/data/repos/shop.git/objects/tmp_objdir-incoming-x"}}));
  EXPECT_EQ(request->ref_lines, (std::vector<std::string>{kOld + " " + kNew + " refs/heads/main",
                                                          kOld + " " + kNew + " refs/heads/staging"}));
  EXPECT_EQ(request->push_options, (std::vector<std::string>{"ci.skip", "note=a b"}));
  // Frames after End are not part of the request.
  auto next = daemon.receive();
  ASSERT_TRUE(next);
  EXPECT_EQ(decode_field(next->payload)->second, "after-end");
}

TEST(ReadRequest, AssemblesARequestSentByteByByte) {
  auto [hook, daemon] = connected_pair();
  auto sender = std::async(std::launch::async, [&hook] {
    for (char c : full_request())
      if (!hook.send_raw(std::string(1, c))) return false;
    return true;
  });
  auto request = read_request(daemon);
  ASSERT_EQ(sender.wait_for(10s), std::future_status::ready);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->ref_lines.size(), 2u);
  EXPECT_EQ(request->push_options.size(), 2u);
}

void expect_error(const Result<HookRequest>& request) {
  ASSERT_FALSE(request);
  EXPECT_FALSE(request.error().message.empty());
  EXPECT_EQ(request.error().message.find('\n'), std::string::npos);
}

TEST(ReadRequest, RefusesARequestLargerThanAPushCanBe) {
  auto [hook, daemon] = connected_pair();
  auto sender = std::async(std::launch::async, [&hook] {
    const auto option = encode_field(field::push_option, std::string(512 * 1024, 'x'));
    for (int i = 0; i < 16; ++i)  // 8 MiB of push options, then End
      if (!hook.send_raw(option)) return;
    hook.send_raw(encode_frame(FrameKind::end, ""));
  });
  auto request = read_request(daemon);
  daemon.interrupt();  // the sender may still be writing
  ASSERT_EQ(sender.wait_for(10s), std::future_status::ready);
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().message, "the hook's request is too large");
}

TEST(ReadRequest, FailsOnEofBeforeEnd) {
  auto [hook, daemon] = connected_pair();
  ASSERT_TRUE(hook.send_raw(encode_field(field::session, "token-123") +
                            encode_field(field::ref_update, kOld + " " + kNew + " refs/heads/main")));
  { Connection gone = std::move(hook); }
  expect_error(read_request(daemon));
}

TEST(ReadRequest, FailsOnEofInsideAFrame) {
  auto [hook, daemon] = connected_pair();
  ASSERT_TRUE(hook.send_raw(encode_field(field::session, "token-123").substr(0, 7)));
  { Connection gone = std::move(hook); }
  expect_error(read_request(daemon));
}

TEST(ReadRequest, FailsOnAFrameOfUnknownKind) {
  auto [hook, daemon] = connected_pair();
  ASSERT_TRUE(hook.send_raw(encode_field(field::session, "t") + length_header(3) + "\x09" + "ab"));
  // The hook stays connected: the daemon must not wait for more.
  expect_error(read_request(daemon));
}

TEST(ReadRequest, FailsOnAFieldWithoutAName) {
  auto [hook, daemon] = connected_pair();
  ASSERT_TRUE(hook.send_raw(encode_frame(FrameKind::field, "no separator") + encode_frame(FrameKind::end, "")));
  expect_error(read_request(daemon));
}

TEST(ReadRequest, FailsOnAFrameThatIsNotAField) {
  auto [hook, daemon] = connected_pair();
  ASSERT_TRUE(hook.send_raw(encode_frame(FrameKind::verdict, "\1") + encode_frame(FrameKind::end, "")));
  expect_error(read_request(daemon));
}

TEST(ReadRequest, FailsOnAnOversizedFrameWithoutReadingIt) {
  auto [hook, daemon] = connected_pair();
  // Only the header of a frame one byte over the limit is sent: the daemon
  // must refuse it from the header, not wait for (or buffer) a megabyte.
  ASSERT_TRUE(hook.send_raw(length_header(kMaxFrameSize + 1) + static_cast<char>(FrameKind::field) + "name"));
  expect_error(read_request(daemon));
}

TEST(ReadRequest, FailsOnAZeroLengthFrame) {
  auto [hook, daemon] = connected_pair();
  ASSERT_TRUE(hook.send_raw(length_header(0) + encode_frame(FrameKind::end, "")));
  expect_error(read_request(daemon));
}

// ---- Server, on a real socket ----

class ServerTest : public ::testing::Test {
 protected:
  // A short path: sun_path holds 108 bytes.
  test::TempDir dir_{"hookrpc"};
  std::filesystem::path socket_ = dir_ / "control.sock";
};

// Sends `request`, then collects frames until the verdict.
struct Exchange {
  std::vector<std::string> output;
  std::optional<int> verdict;
};

Exchange push_through(const std::filesystem::path& socket, const std::string& request) {
  Exchange exchange;
  auto client = Connection::connect(socket);
  if (!client || !client->send_raw(request)) return exchange;
  while (auto frame = client->receive()) {
    if (frame->kind == FrameKind::output) exchange.output.push_back(frame->payload);
    if (frame->kind == FrameKind::verdict && frame->payload.size() == 1) {
      exchange.verdict = static_cast<unsigned char>(frame->payload[0]);
      break;
    }
  }
  return exchange;
}

TEST_F(ServerTest, RunsThePushAndAnswersWithItsOutputAndVerdict) {
  Server server;
  ASSERT_TRUE(server.listen(socket_));
  struct stat info {};
  ASSERT_EQ(::stat(socket_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);  // only the daemon's user may connect

  std::promise<HookRequest> seen;
  server.start([&](const HookRequest& request, const OutputSink& output) {
    seen.set_value(request);
    output("-----> first line\n");
    output("=====> second line\n");
    return 3;
  });
  auto exchange = std::async(std::launch::async, [&] { return push_through(socket_, full_request()); });
  ASSERT_EQ(exchange.wait_for(10s), std::future_status::ready);
  const auto answer = exchange.get();
  EXPECT_EQ(answer.output, (std::vector<std::string>{"-----> first line\n", "=====> second line\n"}));
  ASSERT_TRUE(answer.verdict);
  EXPECT_EQ(*answer.verdict, 3);
  auto request = seen.get_future();
  ASSERT_EQ(request.wait_for(0s), std::future_status::ready);
  const auto got = request.get();
  EXPECT_EQ(got.session_token, "token-123");
  EXPECT_EQ(got.ref_lines.size(), 2u);
  EXPECT_EQ(got.git_env.at("GIT_OBJECT_DIRECTORY"), "/data/repos/shop.git/objects/tmp_objdir-incoming-x");

  const auto before = Clock::now();
  server.shutdown();
  EXPECT_LT(Clock::now() - before, 2s);
}

TEST_F(ServerTest, AnIncompleteRequestIsRefusedWithoutRunningThePush) {
  Server server;
  ASSERT_TRUE(server.listen(socket_));
  std::atomic<int> runs{0};
  server.start([&](const HookRequest&, const OutputSink&) {
    ++runs;
    return 0;
  });
  // A garbage frame: the connection stays open, the server answers anyway.
  auto exchange = std::async(std::launch::async, [&] {
    return push_through(socket_, encode_field(field::session, "t") + length_header(2) + "\x7f" + "x");
  });
  ASSERT_EQ(exchange.wait_for(10s), std::future_status::ready);
  const auto answer = exchange.get();
  ASSERT_EQ(answer.output.size(), 1u);
  EXPECT_TRUE(answer.output[0].starts_with("error: ")) << answer.output[0];
  ASSERT_TRUE(answer.verdict);
  EXPECT_EQ(*answer.verdict, 1);  // the push is refused
  EXPECT_EQ(runs.load(), 0);
}

TEST_F(ServerTest, ACrashingHandlerRefusesThePushAndTheServerGoesOn) {
  Server server;
  ASSERT_TRUE(server.listen(socket_));
  std::atomic<int> calls{0};
  server.start([&](const HookRequest&, const OutputSink&) -> int {
    if (calls++ == 0) throw std::runtime_error("boom: secret detail");
    return 0;
  });
  auto first = std::async(std::launch::async, [&] { return push_through(socket_, full_request()); });
  ASSERT_EQ(first.wait_for(10s), std::future_status::ready);
  const auto crashed = first.get();
  ASSERT_TRUE(crashed.verdict);
  EXPECT_EQ(*crashed.verdict, 1);
  ASSERT_EQ(crashed.output.size(), 1u);
  EXPECT_EQ(crashed.output[0].find("secret detail"), std::string::npos);  // details go to the log only

  auto second = std::async(std::launch::async, [&] { return push_through(socket_, full_request()); });
  ASSERT_EQ(second.wait_for(10s), std::future_status::ready);
  const auto next = second.get();
  ASSERT_TRUE(next.verdict);
  EXPECT_EQ(*next.verdict, 0);
}

TEST_F(ServerTest, ServesPushesConcurrently) {
  Server server;
  ASSERT_TRUE(server.listen(socket_));
  std::promise<void> first_running;
  std::promise<void> release_first;
  auto release = release_first.get_future().share();
  std::atomic<int> calls{0};
  server.start([&](const HookRequest& request, const OutputSink& output) {
    if (calls++ == 0) {
      first_running.set_value();
      release.wait_for(10s);  // held until the second push has been answered
    }
    output(request.session_token + "\n");
    return 0;
  });
  auto first = std::async(std::launch::async, [&] { return push_through(socket_, full_request()); });
  ASSERT_EQ(first_running.get_future().wait_for(10s), std::future_status::ready);
  auto second = std::async(std::launch::async, [&] { return push_through(socket_, full_request()); });
  const bool second_answered = second.wait_for(10s) == std::future_status::ready;
  release_first.set_value();
  EXPECT_TRUE(second_answered) << "a running push blocked another one";
  ASSERT_EQ(first.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(first.get().verdict, 0);
}

TEST_F(ServerTest, ShutdownReturnsPromptlyWhileIdle) {
  auto server = std::make_unique<Server>();
  ASSERT_TRUE(server->listen(socket_));
  server->start([](const HookRequest&, const OutputSink&) { return 0; });
  const auto before = Clock::now();
  auto stopped = std::async(std::launch::async, [&] { server->shutdown(); });
  ASSERT_EQ(stopped.wait_for(2s), std::future_status::ready) << "shutdown() hangs with no push running";
  EXPECT_LT(Clock::now() - before, 1s);
  // Called again (the destructor does): nothing to do.
  server.reset();
}

TEST_F(ServerTest, ShutdownDoesNotWaitForAConnectionThatNeverSendsItsRequest) {
  auto server = std::make_unique<Server>();
  ASSERT_TRUE(server->listen(socket_));
  server->start([](const HookRequest&, const OutputSink&) { return 0; });
  auto silent = Connection::connect(socket_);  // connected, sends nothing, stays open
  ASSERT_TRUE(silent);
  auto stopped = std::async(std::launch::async, [&] { server->shutdown(); });
  const bool prompt = stopped.wait_for(2s) == std::future_status::ready;
  silent.reset();  // lets a hanging shutdown() finish, so the test ends either way
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(prompt) << "shutdown() waited on a client that never sent a request";
}

TEST_F(ServerTest, ShutdownWithoutStartReturns) {
  Server server;
  ASSERT_TRUE(server.listen(socket_));
  const auto before = Clock::now();
  server.shutdown();
  EXPECT_LT(Clock::now() - before, 1s);
}

TEST_F(ServerTest, ListenFailsForAPathTooLongForASocket) {
  Server server;
  auto listening = server.listen(dir_ / std::string(200, 's'));
  ASSERT_FALSE(listening);
  EXPECT_EQ(listening.error().message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace porter::hookrpc
