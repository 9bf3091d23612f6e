#include "proc/line_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace porter::proc {
namespace {

using namespace std::chrono_literals;

TEST(LineQueue, HandsOverLinesInOrderThenTheClose) {
  CancelToken cancel;
  LineQueue queue(10, cancel);
  queue.push("one");
  queue.push("two");
  queue.close();
  const auto batch = queue.take();
  EXPECT_EQ(batch.lines, (std::deque<std::string>{"one", "two"}));
  EXPECT_TRUE(batch.closed);
}

TEST(LineQueue, AFullQueueHoldsTheJobUntilTheReaderTakes) {
  CancelToken cancel;
  LineQueue queue(2, cancel);
  std::atomic<int> pushed = 0;
  std::jthread job([&] {
    for (const char* line : {"a", "b", "c"}) {
      queue.push(line);
      ++pushed;
    }
    queue.close();
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (pushed < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(queue.take().lines, (std::deque<std::string>{"a", "b"}));  // "c" waits for room
  std::deque<std::string> rest;
  for (bool closed = false; !closed;) {
    auto batch = queue.take(5s);
    rest.insert(rest.end(), batch.lines.begin(), batch.lines.end());
    closed = batch.closed;
  }
  EXPECT_EQ(rest, (std::deque<std::string>{"c"}));
}

TEST(LineQueue, ACancelReleasesAJobWaitingForRoom) {
  CancelToken cancel;
  LineQueue queue(1, cancel);
  std::jthread job([&] {
    queue.push("kept");
    queue.push("dropped");  // no room, and nobody takes
  });
  cancel.cancel();
  job.join();  // would hang (the test times out) if the cancel did not release it
  EXPECT_EQ(queue.take().lines, (std::deque<std::string>{"kept"}));
}

}  // namespace
}  // namespace porter::proc
