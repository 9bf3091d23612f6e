#include "proc/pty.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <future>
#include <string>

#include "util/clock.hpp"

namespace porter::proc {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// What `fd` (non-blocking) gives until it holds `wanted` or `within` passes.
std::string read_until(int fd, const std::string& wanted, std::chrono::milliseconds within = 10s) {
  const auto deadline = Clock::now() + within;
  std::string seen;
  while (seen.find(wanted) == std::string::npos && Clock::now() < deadline) {
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, util::milliseconds_until(deadline)) <= 0) break;
    char buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    seen.append(buffer, static_cast<std::size_t>(n));
  }
  return seen;
}

Command shell(const std::string& script) { return {.program = "sh", .args = {"-c", script}, .env = {}, .dir = {}}; }

std::future<RunResult> start(const Command& command, const AttachedStreams& streams, const CancelToken& cancel) {
  return std::async(std::launch::async, [&command, stdio = streams.child(), &cancel] {
    return run_attached(command, stdio, cancel, 30s);
  });
}

TEST(AttachedPipes, StdinReachesTheChildAndItsOutputsStayApart) {
  auto streams = attach_pipes();
  ASSERT_TRUE(streams) << streams.error().message;
  EXPECT_FALSE(streams->terminal);
  EXPECT_EQ(streams->master(), -1);
  CancelToken never;
  const auto command = shell("cat; echo to-err >&2; exit 4");
  auto running = start(command, *streams, never);
  ASSERT_EQ(::write(streams->input.get(), "hello\n", 6), 6);
  streams->input.reset();  // EOF: cat ends
  EXPECT_EQ(read_until(streams->output.get(), "hello\n"), "hello\n");
  EXPECT_EQ(read_until(streams->errors.get(), "to-err\n"), "to-err\n");
  EXPECT_EQ(running.get().exit_code, 4);
}

TEST(AttachedTerminal, IsTheChildsControllingTerminalWithTheAskedSize) {
  auto streams = attach_terminal({.rows = 40, .cols = 100});
  ASSERT_TRUE(streams) << streams.error().message;
  EXPECT_TRUE(streams->terminal);
  EXPECT_FALSE(streams->errors);
  CancelToken never;
  const auto command = shell("stty size </dev/tty");  // /dev/tty: only with a controlling terminal
  auto running = start(command, *streams, never);
  EXPECT_EQ(read_until(streams->output.get(), "40 100"), "40 100\n");
  EXPECT_EQ(running.get().exit_code, 0);
}

TEST(AttachedTerminal, AResizeSignalsTheChild) {
  auto streams = attach_terminal({.rows = 24, .cols = 80});
  ASSERT_TRUE(streams);
  CancelToken never;
  const auto command = shell("trap 'stty size; exit 0' WINCH; echo ready; while :; do sleep 0.05; done");
  auto running = start(command, *streams, never);
  ASSERT_NE(read_until(streams->output.get(), "ready").find("ready"), std::string::npos);
  ASSERT_TRUE(set_window_size(streams->master(), {.rows = 50, .cols = 132}));
  EXPECT_NE(read_until(streams->output.get(), "50 132").find("50 132"), std::string::npos);
  EXPECT_EQ(running.get().exit_code, 0);
}

TEST(AttachedTerminal, TypedBytesReachTheChildUnechoedByTheGatewaysSide) {
  auto streams = attach_terminal({});
  ASSERT_TRUE(streams);
  CancelToken never;
  const auto command = shell("read line; echo \"got:$line\"");
  auto running = start(command, *streams, never);
  ASSERT_EQ(::write(streams->input.get(), "hi\n", 3), 3);
  EXPECT_EQ(read_until(streams->output.get(), "got:hi"), "got:hi\n");  // raw: no echo of "hi", no \r added
  EXPECT_EQ(running.get().exit_code, 0);
}

TEST(AttachedTerminal, ACancelEndsTheChildsSession) {
  auto streams = attach_terminal({});
  ASSERT_TRUE(streams);
  CancelToken cancel;
  const auto command = shell("echo ready; exec sleep 60");
  auto running = start(command, *streams, cancel);
  ASSERT_NE(read_until(streams->output.get(), "ready").find("ready"), std::string::npos);
  const auto cancelled_at = Clock::now();
  cancel.cancel();
  const auto result = running.get();
  EXPECT_TRUE(result.cancelled);
  EXPECT_LT(Clock::now() - cancelled_at, 4s);
}

TEST(WindowSize, KeepsWhatATerminalCanBeAndDefaultsTheRest) {
  const auto asked = window_size(100, 40);
  EXPECT_EQ(asked.cols, 100);
  EXPECT_EQ(asked.rows, 40);
  const auto zero = window_size(0, -3);
  EXPECT_EQ(zero.cols, 80);
  EXPECT_EQ(zero.rows, 24);
  const auto huge = window_size(70000, 5000);
  EXPECT_EQ(huge.cols, 80);
  EXPECT_EQ(huge.rows, 24);
}

TEST(AttachedRun, AMissingProgramIsAnErrorValue) {
  auto streams = attach_pipes();
  ASSERT_TRUE(streams);
  CancelToken never;
  const auto result =
      run_attached({.program = "/nonexistent/porter-x", .args = {}, .env = {}, .dir = {}}, streams->child(), never, 5s);
  EXPECT_FALSE(result.ok());
}

}  // namespace
}  // namespace porter::proc
