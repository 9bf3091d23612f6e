#include "proc/process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace porter::proc {
namespace {

using namespace std::chrono_literals;

struct Collected {
  std::vector<std::string> lines;
  LineSink sink() {
    return [this](const std::string& line) { lines.push_back(line); };
  }
};

TEST(Process, StreamsLinesAndReportsTheExitCode) {
  Collected out;
  CancelToken never;
  auto result = run({.program = "sh", .args = {"-c", "echo one; echo two >&2; printf 'a\\rb\\n'; exit 3"}, .env = {}, .dir = {}},
                    out.sink(), never, 10s);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(out.lines, (std::vector<std::string>{"one", "two", "a", "b"}));
  EXPECT_EQ(result.last_lines.back(), "b");
}

TEST(Process, PassesEnvironmentAndStdinFile) {
  Collected out;
  CancelToken never;
  auto input = std::filesystem::temp_directory_path() / ("porter-stdin-" + std::to_string(::getpid()));
  { std::ofstream(input) << "from stdin\n"; }
  auto result = run({.program = "sh", .args = {"-c", "echo $PORTER_TEST_VALUE; cat"}, .env = {{"PORTER_TEST_VALUE", "v 1"}},
                     .dir = {}, .stdin_file = input},
                    out.sink(), never, 10s);
  std::filesystem::remove(input);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(out.lines, (std::vector<std::string>{"v 1", "from stdin"}));
}

TEST(Process, ChildrenInheritNoDescriptorsButStdio) {
  int leaked[2];
  ASSERT_EQ(::pipe(leaked), 0);  // deliberately without O_CLOEXEC, like another thread's half-made pipe
  Collected out;
  CancelToken never;
  auto result = run({.program = "sh", .args = {"-c", "ls /proc/$$/fd"}, .env = {}, .dir = {}}, out.sink(), never, 10s);
  ::close(leaked[0]);
  ::close(leaked[1]);
  ASSERT_TRUE(result.ok());
  for (const auto& fd : out.lines) EXPECT_TRUE(fd == "0" || fd == "1" || fd == "2" || fd == "255") << "leaked fd " << fd;
}

TEST(Process, TimeoutKillsTheWholeTree) {
  Collected out;
  CancelToken never;
  const auto started = std::chrono::steady_clock::now();
  auto result = run({.program = "sh", .args = {"-c", "sleep 30 & sleep 30; echo never"}, .env = {}, .dir = {}},
                    out.sink(), never, 1s);
  EXPECT_TRUE(result.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);  // the background sleep held no pipe open for long
  EXPECT_TRUE(out.lines.empty());
}

TEST(Process, CancelStopsARunningChild) {
  Collected out;
  CancelToken cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);  // let it start; the assertion is on the result, not on timing
    cancel.cancel();
  });
  auto result = run({.program = "sleep", .args = {"30"}, .env = {}, .dir = {}}, out.sink(), cancel, 60s);
  canceller.join();
  EXPECT_TRUE(result.cancelled);
  EXPECT_FALSE(result.ok());
}

TEST(Process, MissingProgramIsAnErrorValue) {
  Collected out;
  CancelToken never;
  auto result = run({.program = "porter-no-such-program", .args = {}, .env = {}, .dir = {}}, out.sink(), never, 5s);
  EXPECT_FALSE(result.error.empty());
}

}  // namespace
}  // namespace porter::proc
