#include "ssh/attach.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "util/clock.hpp"

namespace porter::ssh {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(TerminalRequest, KeepsAPlainTermAndItsSize) {
  const auto terminal = terminal_request("xterm-256color", 100, 40);
  ASSERT_TRUE(terminal);
  EXPECT_EQ(terminal->term, "xterm-256color");
  EXPECT_EQ(terminal->size.cols, 100);
  EXPECT_EQ(terminal->size.rows, 40);
  EXPECT_TRUE(terminal_request("screen.linux+x_1", 0, 0));
}

TEST(TerminalRequest, RefusesATermThatIsNotAName) {
  EXPECT_FALSE(terminal_request("", 80, 24));
  EXPECT_FALSE(terminal_request(nullptr, 80, 24));
  EXPECT_FALSE(terminal_request("xterm\nPATH=/tmp", 80, 24));
  EXPECT_FALSE(terminal_request("x term", 80, 24));
  EXPECT_FALSE(terminal_request("$(reboot)", 80, 24));
  EXPECT_FALSE(terminal_request(std::string(kMaxTermLength + 1, 'x').c_str(), 80, 24));
  EXPECT_TRUE(terminal_request(std::string(kMaxTermLength, 'x').c_str(), 80, 24));
}

TEST(TerminalRequest, AnAbsurdSizeIsTheDefault) {
  const auto terminal = terminal_request("vt100", 100000, -1);
  ASSERT_TRUE(terminal);
  EXPECT_EQ(terminal->size.cols, 80);
  EXPECT_EQ(terminal->size.rows, 24);
}

// A client: what it sends, its window, and what it receives.
class FakeClient final : public git::ClientChannel {
 public:
  std::string to_send;
  bool sends_eof = true;
  std::size_t window = 1000;
  std::size_t largest_read_asked = 0;
  std::string out, err;
  std::size_t gone_after_bytes = SIZE_MAX;  // the client vanishes once it has received this much

  std::size_t writable() override { return window; }
  bool write(git::Stream stream, std::string_view bytes) override {
    EXPECT_LE(bytes.size(), window);
    (stream == git::Stream::out ? out : err).append(bytes);
    return out.size() + err.size() < gone_after_bytes;
  }
  std::size_t read(std::span<char> buffer) override {
    largest_read_asked = std::max(largest_read_asked, buffer.size());
    const auto n = std::min(buffer.size(), to_send.size());
    std::memcpy(buffer.data(), to_send.data(), n);
    to_send.erase(0, n);
    return n;
  }
  bool input_ended() override { return sends_eof && to_send.empty(); }
  bool wait(std::span<pollfd> fds, Clock::time_point deadline) override {
    const auto until = std::min(deadline, Clock::now() + 10s);  // a hung relay fails the test, not the suite
    ::poll(fds.data(), fds.size(), util::milliseconds_until(until));
    return out.size() + err.size() < gone_after_bytes;
  }
};

// A command attached to `streams` on another thread, with its end as an eventfd.
class Attached {
 public:
  Attached(const std::string& script, const proc::AttachedStreams& streams)
      : ended_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        thread_([this, script, stdio = streams.child()] {
          result_ = proc::run_attached({.program = "sh", .args = {"-c", script}, .env = {}, .dir = {}}, stdio,
                                       cancel_, 30s);
          ::eventfd_write(ended_.get(), 1);
        }) {}
  ~Attached() {
    cancel_.cancel();
    thread_.join();
  }
  int ended() const { return ended_.get(); }
  proc::RunResult result() {
    thread_.join();
    thread_ = std::thread([] {});
    return result_;
  }

 private:
  proc::Fd ended_;
  proc::CancelToken cancel_;
  proc::RunResult result_;
  std::thread thread_;
};

TEST(RelayStreams, StdinGoesInByteForByteAndTheOutputsComeBackApart) {
  auto streams = proc::attach_pipes();
  ASSERT_TRUE(streams);
  FakeClient client;
  const std::string sent("one\0two\nno final newline", 25);
  client.to_send = sent;
  Attached command("cat; echo to-err >&2; exit 3", *streams);
  EXPECT_TRUE(relay_streams(client, *streams, command.ended()));
  EXPECT_EQ(client.out, sent);
  EXPECT_EQ(client.err, "to-err\n");
  EXPECT_EQ(command.result().exit_code, 3);
  EXPECT_FALSE(streams->input);  // closed at the client's EOF
}

TEST(RelayStreams, OutputAfterTheLastWindowIsDrainedAndNeverMoreThanTheWindowAtOnce) {
  auto streams = proc::attach_pipes();
  ASSERT_TRUE(streams);
  FakeClient client;
  client.window = 777;
  Attached command("head -c 200000 /dev/zero | tr '\\0' x", *streams);
  EXPECT_TRUE(relay_streams(client, *streams, command.ended()));
  EXPECT_EQ(client.out, std::string(200000, 'x'));
}

TEST(RelayStreams, AClientThatGoesAwayIsReported) {
  auto streams = proc::attach_pipes();
  ASSERT_TRUE(streams);
  FakeClient client;
  client.gone_after_bytes = 5;
  client.sends_eof = false;
  Attached command("while :; do echo tick; sleep 0.05; done", *streams);
  EXPECT_FALSE(relay_streams(client, *streams, command.ended()));
}

TEST(RelayStreams, AClientThatKeepsTypingIsReadAtTheCommandsPace) {
  auto streams = proc::attach_pipes();
  ASSERT_TRUE(streams);
  FakeClient client;
  client.to_send = std::string(1 << 20, 'y');  // more than a pipe holds
  Attached command("sleep 0.3; exit 0", *streams);  // never reads
  EXPECT_TRUE(relay_streams(client, *streams, command.ended()));
  EXPECT_GT(client.to_send.size(), 0u);  // the rest stayed with the client
  EXPECT_LE(client.largest_read_asked, 32u * 1024);
}

TEST(RelayStreams, ATerminalStaysOpenAfterTheClientsEof) {
  auto streams = proc::attach_terminal({});
  ASSERT_TRUE(streams);
  FakeClient client;
  client.to_send = "typed\n";
  Attached command("read line; sleep 0.2; echo \"got:$line\"", *streams);
  EXPECT_TRUE(relay_streams(client, *streams, command.ended()));
  EXPECT_EQ(client.out, "got:typed\n");
  EXPECT_EQ(command.result().exit_code, 0);
}

}  // namespace
}  // namespace porter::ssh
