#include "proc/process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <thread>

#include "proc/cgroup.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace porter::proc {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Runs at the end of its scope, also when an assertion returns early.
struct Finally {
  std::function<void()> run;
  ~Finally() { run(); }
};

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

// ---- long lines ----

// `count` x's from the child's shell, without a newline.
std::string print_xs(std::size_t count) {
  return "head -c " + std::to_string(count) + " /dev/zero | tr '\\0' x";
}

TEST(Process, ALineWithoutEndKeepsItsStartAndSaysHowMuchWasDropped) {
  Collected out;
  CancelToken never;
  auto result = run({.program = "sh", .args = {"-c", print_xs(10'000'000)}, .env = {}, .dir = {}}, out.sink(), never, 60s);
  EXPECT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_EQ(out.lines[0], std::string(8192, 'x') + " [line truncated: 9991808 bytes]");
  ASSERT_EQ(result.last_lines.size(), 1u);
  EXPECT_EQ(result.last_lines.back(), out.lines[0]);
}

TEST(Process, OnlyTheLongLineIsCut) {
  Collected out;
  CancelToken never;
  // A line of exactly the limit, one a byte over ended by '\r', then a short one.
  auto script = print_xs(8192) + "; echo; " + print_xs(8193) + "; printf '\\rnext\\n'";
  auto result = run({.program = "sh", .args = {"-c", script}, .env = {}, .dir = {}}, out.sink(), never, 60s);
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(out.lines, (std::vector<std::string>{std::string(8192, 'x'),
                                                 std::string(8192, 'x') + " [line truncated: 1 byte]", "next"}));
}

// ---- cancelling ----

// Runs `script`, cancelling it from another thread once it has printed
// "started"; returns the result and how long run() took after the cancel.
std::pair<RunResult, Clock::duration> cancel_once_started(const std::string& script) {
  CancelToken cancel;
  std::promise<void> started;
  bool told = false;
  LineSink sink = [&](const std::string& line) {
    if (line == "started" && !std::exchange(told, true)) started.set_value();
  };
  Clock::time_point cancelled_at{};
  auto canceller = std::async(std::launch::async, [&, started = started.get_future()] {
    if (started.wait_for(10s) != std::future_status::ready) return;
    cancelled_at = Clock::now();
    cancel.cancel();
  });
  auto result = run({.program = "sh", .args = {"-c", script}, .env = {}, .dir = {}}, sink, cancel, 60s);
  const auto returned_at = Clock::now();
  canceller.get();
  return {result, returned_at - cancelled_at};
}

TEST(Process, CancelFromAnotherThreadEndsTheRunPromptly) {
  auto [result, took] = cancel_once_started("echo started; sleep 30; echo never");
  EXPECT_TRUE(result.cancelled);
  EXPECT_FALSE(result.timed_out);
  EXPECT_FALSE(result.ok());
  EXPECT_LT(took, 3s);
  EXPECT_EQ(result.last_lines, std::deque<std::string>{"started"});
}

TEST(Process, ACancelledChildThatIgnoresSigtermIsKilled) {
  // SIGTERM first; SIGKILL once the grace period is over.
  auto [result, took] = cancel_once_started("trap '' TERM; echo started; sleep 30; echo never");
  EXPECT_TRUE(result.cancelled);
  EXPECT_FALSE(result.ok());
  EXPECT_LT(took, 10s);
  EXPECT_EQ(result.last_lines, std::deque<std::string>{"started"});
}

TEST(Process, AnAlreadyCancelledTokenEndsTheRunAtOnce) {
  Collected out;
  CancelToken cancel;
  cancel.cancel();
  const auto started = Clock::now();
  auto result = run({.program = "sleep", .args = {"30"}, .env = {}, .dir = {}}, out.sink(), cancel, 60s);
  EXPECT_TRUE(result.cancelled);
  EXPECT_LT(Clock::now() - started, 3s);
}

TEST(SleepUntil, ReturnsFalsePromptlyWhenCancelledFromAnotherThread) {
  CancelToken cancel;
  auto sleeper = std::async(std::launch::async, [&] { return sleep_until(cancel, Clock::now() + 1h); });
  Finally wake{[&] { cancel.cancel(); }};  // never leave the sleeper for an hour
  EXPECT_EQ(sleeper.wait_for(100ms), std::future_status::timeout);  // it does sleep
  const auto cancelled_at = Clock::now();
  cancel.cancel();
  ASSERT_EQ(sleeper.wait_for(5s), std::future_status::ready);
  EXPECT_LT(Clock::now() - cancelled_at, 500ms);
  EXPECT_FALSE(sleeper.get());
}

TEST(SleepUntil, ReturnsTrueOnceTheTimeHasCome) {
  CancelToken never;
  const auto until = Clock::now() + 50ms;
  EXPECT_TRUE(sleep_until(never, until));
  EXPECT_GE(Clock::now(), until);
  EXPECT_TRUE(sleep_until(never, Clock::now() - 1s));  // already past
}

TEST(SleepUntil, AnAlreadyCancelledTokenReturnsFalseAtOnce) {
  CancelToken cancel;
  cancel.cancel();
  const auto started = Clock::now();
  EXPECT_FALSE(sleep_until(cancel, Clock::now() + 1h));
  EXPECT_LT(Clock::now() - started, 500ms);
}

// ---- job cgroups ----

class JobCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = jobs_cgroup_root(dir_.path());
    if (!root) GTEST_SKIP() << "no cgroup2 to run jobs in: " << root.error().message;
    root_ = *root;
  }
  void TearDown() override {
    if (root_.empty()) return;
    end_leftover_jobs(root_);
    test::remove_cgroup_tree(root_);
  }

  // The command of a job that starts a grandchild in a session of its own
  // (out of reach of the job's process group) and exits; the grandchild
  // writes its pid to `pidfile`. With `keep_output`, the grandchild keeps the
  // job's output pipe open.
  static std::string leave_grandchild(const fs::path& pidfile, bool keep_output = false) {
    return "setsid sh -c 'echo $$ > \"$0.tmp\"; mv \"$0.tmp\" \"$0\"; exec sleep 300' " + test::quote(pidfile.string()) +
           (keep_output ? "" : " </dev/null >/dev/null 2>&1") + " &";
  }

  // The grandchild's pid once its pidfile is there; 0 if it never appears.
  static pid_t grandchild_pid(const fs::path& pidfile) {
    if (!test::wait_until([&] { return fs::exists(pidfile); }, 5000ms)) return 0;
    return static_cast<pid_t>(std::stol(test::read_file(pidfile)));
  }

  RunResult run_in(const fs::path& cgroup, const std::string& script, std::chrono::seconds timeout = 10s) {
    CancelToken never;
    return run({.program = "sh", .args = {"-c", script}, .env = {}, .dir = {}, .stdin_file = {}, .cgroup = cgroup},
               out_.sink(), never, timeout);
  }

  test::Subreaper reaper_;  // orphaned grandchildren come to us, to be reaped
  test::TempDir dir_{"cgroup"};
  fs::path root_;
  Collected out_;
};

TEST_F(JobCgroupTest, AJobRunsInItsCgroup) {
  auto job = JobCgroup::create(root_, "deploy-1");
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->dir(), root_ / "deploy-1");
  auto result = run_in(job->dir(), "cat /proc/self/cgroup");
  ASSERT_TRUE(result.ok()) << result.error;
  const auto mount = cgroup2_mount();
  ASSERT_TRUE(mount);
  const auto expected = "0::/" + fs::relative(job->dir(), *mount).string();
  EXPECT_NE(std::find(out_.lines.begin(), out_.lines.end(), expected), out_.lines.end()) << expected;
}

TEST_F(JobCgroupTest, DestroyingTheJobCgroupEndsWhatEscapedTheProcessGroup) {
  auto created = JobCgroup::create(root_, "deploy-2");
  ASSERT_TRUE(created) << created.error().message;
  std::optional<JobCgroup> job;
  job.emplace(std::move(*created));
  const auto dir = job->dir();
  const auto pidfile = dir_ / "grandchild";
  auto result = run_in(dir, leave_grandchild(pidfile));
  ASSERT_TRUE(result.ok()) << result.error;
  const auto pid = grandchild_pid(pidfile);
  ASSERT_GT(pid, 0) << "the grandchild never started";
  test::Watched grandchild(pid);
  ASSERT_TRUE(grandchild.valid());
  Finally no_leftover{[&] { grandchild.kill(); }};

  // run() returned; the grandchild lives on, out of the job's process group but in its cgroup.
  EXPECT_FALSE(grandchild.exited());
  EXPECT_EQ(::getsid(pid), pid);
  EXPECT_TRUE(test::cgroup_holds(dir, pid));

  job.reset();
  EXPECT_TRUE(grandchild.wait_exit(5000ms)) << "the grandchild survived its job's cgroup";
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(JobCgroupTest, ATimeoutEndsADescendantThatLeftTheProcessGroup) {
  auto job = JobCgroup::create(root_, "deploy-3");
  ASSERT_TRUE(job) << job.error().message;
  const auto pidfile = dir_ / "grandchild";
  const auto started = Clock::now();
  // The grandchild holds the output pipe: run() cannot wait for its EOF.
  auto result = run_in(job->dir(), leave_grandchild(pidfile, true) + " sleep 30", 1s);
  EXPECT_TRUE(result.timed_out);
  EXPECT_LT(Clock::now() - started, 15s);
  const auto pid = grandchild_pid(pidfile);
  ASSERT_GT(pid, 0) << "the grandchild never started";
  test::Watched grandchild(pid);
  ASSERT_TRUE(grandchild.valid());
  Finally no_leftover{[&] { grandchild.kill(); }};
  EXPECT_TRUE(grandchild.wait_exit(5000ms)) << "the grandchild outlived its timed-out job";
}

TEST_F(JobCgroupTest, EndLeftoverJobsKillsAndRemovesWhatACrashLeft) {
  const auto leftover = root_ / "deploy-7";
  const auto empty = root_ / "deploy-8";
  ASSERT_TRUE(fs::create_directory(leftover));
  ASSERT_TRUE(fs::create_directory(empty));
  const auto pidfile = dir_ / "grandchild";
  auto result = run_in(leftover, leave_grandchild(pidfile));
  ASSERT_TRUE(result.ok()) << result.error;
  const auto pid = grandchild_pid(pidfile);
  ASSERT_GT(pid, 0) << "the grandchild never started";
  test::Watched grandchild(pid);
  ASSERT_TRUE(grandchild.valid());
  Finally no_leftover{[&] { grandchild.kill(); }};
  ASSERT_TRUE(test::cgroup_holds(leftover, pid));

  EXPECT_EQ(end_leftover_jobs(root_), 1);  // only the populated one counts
  EXPECT_TRUE(grandchild.wait_exit(5000ms));
  EXPECT_FALSE(fs::exists(leftover));
  EXPECT_FALSE(fs::exists(empty));
  EXPECT_TRUE(fs::is_directory(root_));
  EXPECT_EQ(end_leftover_jobs(root_), 0);
}

TEST_F(JobCgroupTest, ACreatedJobCgroupReplacesALeftoverOfTheSameName) {
  ASSERT_TRUE(fs::create_directories(root_ / "deploy-4" / "child"));
  auto job = JobCgroup::create(root_, "deploy-4");
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_FALSE(fs::exists(root_ / "deploy-4" / "child"));
}

TEST_F(JobCgroupTest, AMissingCgroupIsAnErrorValue) {
  auto result = run_in(root_ / "no-such-job", "echo never");
  EXPECT_FALSE(result.error.empty());
  EXPECT_TRUE(out_.lines.empty());
}

TEST(JobsCgroupRoot, IsOnePerDataDirectory) {
  test::TempDir one("root-a"), two("root-b");
  auto a = jobs_cgroup_root(one.path());
  if (!a) GTEST_SKIP() << a.error().message;
  auto again = jobs_cgroup_root(one.path() / "." );
  auto b = jobs_cgroup_root(two.path());
  ASSERT_TRUE(again && b);
  EXPECT_EQ(*a, *again);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(fs::is_directory(*a));
  test::remove_cgroup_tree(*a);
  test::remove_cgroup_tree(*b);
}

}  // namespace
}  // namespace porter::proc
