// The cron runner's decisions: what is due, skipping a time while the job
// still runs, never claiming a time twice (also across a restart), and what
// a run leaves in the history and its log.
#include "pipeline/cron_runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "support/temp_dir.hpp"

namespace porter::pipeline {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

sys_seconds at(int hour, int minute, int second = 0) {
  return sys_days{std::chrono::year{2026} / 11 / 29} + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

cron::Schedule schedule(const std::string& text) { return *cron::Schedule::parse(text); }

// ---- the clock ----

TEST(CronClock, RealTimeIsTheSystemClock) {
  const CronClock clock;
  const auto wall = std::chrono::system_clock::now();
  EXPECT_EQ(clock.cron_time_of(wall), std::chrono::floor<std::chrono::seconds>(wall));
  EXPECT_EQ(clock.wall_time_of(at(21, 15)), at(21, 15));
}

TEST(CronClock, TheTestClockMakesAMinuteLastItsSeconds) {
  const CronClock clock(2);
  const auto minute = std::chrono::floor<std::chrono::minutes>(clock.now()) + 1min;
  const auto wall = clock.wall_time_of(minute);
  EXPECT_EQ(clock.wall_time_of(minute + 1min) - wall, 2s);
  EXPECT_GE(clock.cron_time_of(wall), minute);  // the wait for a minute never ends before it
  EXPECT_LT(clock.cron_time_of(wall - 100ms), minute);
}

TEST(CronClock, TheTestVariableIsReadAndCheckedLikeAnyInput) {
  ::setenv(CronClock::kTestVariable, "3", 1);
  EXPECT_EQ(CronClock::from_environment().seconds_per_minute(), 3);
  for (const char* wrong : {"0", "61", "2x", "-1", ""}) {
    ::setenv(CronClock::kTestVariable, wrong, 1);
    EXPECT_TRUE(CronClock::from_environment().is_real_time()) << wrong;
  }
  ::unsetenv(CronClock::kTestVariable);
  EXPECT_TRUE(CronClock::from_environment().is_real_time());
}

TEST(CronClock, MinutesAreWrittenInUtc) { EXPECT_EQ(minute_text(at(21, 15, 42)), "2026-11-29T21:15Z"); }

// ---- decisions ----

TEST(CronDecide, ATimeIsDueOnceItCame) {
  const auto every_quarter = schedule("*/15 * * * *");
  EXPECT_EQ(decide(every_quarter, at(21, 10), at(21, 14, 59), false, 60s).action, CronAction::none);
  const auto due = decide(every_quarter, at(21, 14, 59), at(21, 15), false, 60s);
  EXPECT_EQ(due.action, CronAction::run);
  EXPECT_EQ(due.scheduled_for, at(21, 15));
  // Once looked at, it is not due again.
  EXPECT_EQ(decide(every_quarter, at(21, 15), at(21, 15, 30), false, 60s).action, CronAction::none);
}

TEST(CronDecide, ATimeThatComesWhileTheJobRunsIsSkipped) {
  const auto skipped = decide(schedule("* * * * *"), at(21, 14), at(21, 15), true, 60s);
  EXPECT_EQ(skipped.action, CronAction::skip);
  EXPECT_EQ(skipped.scheduled_for, at(21, 15));
}

TEST(CronDecide, MissedTimesAreNotRunLateBeyondTheGrace) {
  // Down from 21:00 to 21:37: 21:15 and 21:30 are not run at 21:37.
  EXPECT_EQ(decide(schedule("*/15 * * * *"), at(21, 0), at(21, 37), false, 60s).action, CronAction::none);
  // Back at 21:30:40: the 21:30 run, 40 s late, is within the grace; 21:15 is not run.
  const auto late = decide(schedule("*/15 * * * *"), at(21, 0), at(21, 30, 40), false, 60s);
  EXPECT_EQ(late.action, CronAction::run);
  EXPECT_EQ(late.scheduled_for, at(21, 30));
  // Several times within the grace: only the latest runs.
  const auto latest = decide(schedule("* * * * *"), sys_seconds::min(), at(21, 30, 10), false, 60s);
  EXPECT_EQ(latest.scheduled_for, at(21, 30));
}

// ---- the runner, over a real store and a fake engine ----

class CronRunnerTest : public ::testing::Test {
 protected:
  // The fake run_once: counts runs, prints, and when `hold` is set waits
  // until released (or cancelled), to keep a run going.
  struct Engine {
    std::mutex mutex;
    std::condition_variable_any changed;  // also wakes when the run is cancelled
    bool hold = false;
    int started = 0;
    int exit_code = 0;
    bool time_out = false;
    std::vector<std::string> names;

    proc::RunResult run(const cluster::OneOff& job, const proc::LineSink& output, const proc::CancelToken& cancel) {
      std::unique_lock lock(mutex);
      ++started;
      names.push_back(job.name);
      changed.notify_all();
      output("the token is s3cr3t-value");
      changed.wait(lock, cancel.token(), [&] { return !hold; });
      proc::RunResult result;
      result.exit_code = exit_code;
      result.timed_out = time_out;
      result.cancelled = cancel.cancelled();
      return result;
    }
    void release() {
      std::lock_guard lock(mutex);
      hold = false;
      changed.notify_all();
    }
    void wait_started(int count) {
      std::unique_lock lock(mutex);
      ASSERT_TRUE(changed.wait_for(lock, 10s, [&] { return started >= count; }));
    }
  };

  void SetUp() override { make_live_release("* * * * *"); }

  void make_live_release(const std::string& job_schedule, const std::string& env = "production") {
    release::ReleasePlan plan;
    plan.image = "registry/shop@sha256:1";
    plan.jobs.push_back({"sync", {"/bin/sh", "-c", "bin/sync"}, job_schedule, std::chrono::seconds(600)});
    auto created = store_.create_release({.app = "shop", .env = env, .deploy_id = 0, .commit_sha = "abc",
                                          .image = plan.image, .plan_yaml = release::to_yaml(plan),
                                          .description = "push", .pusher = "alice",
                                          .config = {{"TOKEN", "s3cr3t-value"}}});
    store_.mark_release_live(created.id, {});
  }

  std::unique_ptr<CronRunner> make_runner() {
    return std::make_unique<CronRunner>(CronServices{
        store_, dir_ / "logs", CronClock(),
        [this](const std::string& env) { return env != "cluster"; },
        [this](const release::ReleasePlan&, const cluster::OneOff& job, const proc::LineSink& output,
               const proc::CancelToken& cancel) { return engine_.run(job, output, cancel); },
        [this](const std::string& container) { removed_.push_back(container); }});
  }

  std::vector<state::CronRunRecord> history() { return store_.cron_runs("shop", "production", "sync", 100); }

  test::TempDir dir_{"cron-runner"};
  state::Store store_{dir_ / "state.db"};
  Engine engine_;
  std::vector<std::string> removed_;
};

TEST_F(CronRunnerTest, ADueJobRunsOnceAndItsRunIsRecorded) {
  auto runner = make_runner();
  EXPECT_EQ(runner->tick(at(21, 15, 1)), 1);
  EXPECT_EQ(runner->tick(at(21, 15, 30)), 0);  // the same minute, looked at again
  runner->wait_idle();
  EXPECT_EQ(engine_.started, 1);
  EXPECT_EQ(engine_.names, std::vector<std::string>{CronRunner::one_off_name("sync", at(21, 15))});
  const auto runs = history();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].scheduled_for, "2026-11-29T21:15Z");
  EXPECT_EQ(runs[0].status, "succeeded");
  EXPECT_EQ(runs[0].exit_code, 0);
  EXPECT_EQ(runs[0].version, 1);
  EXPECT_EQ(runs[0].container, "shop-production-v1-" + CronRunner::one_off_name("sync", at(21, 15)));
  const auto log = test::read_file(runs[0].log_path);
  EXPECT_NE(log.find("the token is *****"), std::string::npos) << log;  // config values masked
  EXPECT_EQ(log.find("s3cr3t"), std::string::npos) << log;
  EXPECT_NE(log.find("porter: exited 0"), std::string::npos) << log;
}

TEST_F(CronRunnerTest, ATimeThatComesWhileTheRunGoesOnIsSkippedNotOverlapped) {
  engine_.hold = true;
  auto runner = make_runner();
  EXPECT_EQ(runner->tick(at(21, 15)), 1);
  engine_.wait_started(1);
  EXPECT_EQ(runner->tick(at(21, 16)), 0);  // still running
  EXPECT_EQ(engine_.started, 1);
  engine_.release();
  runner->wait_idle();
  EXPECT_EQ(runner->tick(at(21, 17)), 1);
  runner->wait_idle();
  const auto runs = history();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].scheduled_for, "2026-11-29T21:17Z");
  EXPECT_EQ(runs[1].scheduled_for, "2026-11-29T21:16Z");
  EXPECT_EQ(runs[1].status, "skipped");
  EXPECT_EQ(runs[2].status, "succeeded");
  EXPECT_EQ(engine_.started, 2);
}

TEST_F(CronRunnerTest, ARestartedRunnerNeverRunsAClaimedTimeAgain) {
  auto first = make_runner();
  first->tick(at(21, 15));
  first->wait_idle();
  first.reset();
  ASSERT_EQ(engine_.started, 1);
  auto restarted = make_runner();  // knows nothing in memory: only the store
  EXPECT_EQ(restarted->tick(at(21, 15, 20)), 0);
  restarted->wait_idle();
  EXPECT_EQ(engine_.started, 1);
  EXPECT_EQ(history().size(), 1u);
}

TEST_F(CronRunnerTest, AFailingOrTimedOutRunIsRecordedSo) {
  engine_.exit_code = 7;
  auto runner = make_runner();
  runner->tick(at(21, 15));
  runner->wait_idle();
  engine_.exit_code = -1;
  engine_.time_out = true;
  runner->tick(at(21, 16));
  runner->wait_idle();
  const auto runs = history();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].status, "failed");
  EXPECT_EQ(runs[1].exit_code, 7);
  EXPECT_EQ(runs[0].status, "timed out");
  EXPECT_FALSE(runs[0].exit_code);
  EXPECT_NE(test::read_file(runs[0].log_path).find("stopped after its timeout of 600 s"), std::string::npos);
}

TEST_F(CronRunnerTest, StoppingInterruptsARunInProgress) {
  engine_.hold = true;
  auto runner = make_runner();
  runner->tick(at(21, 15));
  engine_.wait_started(1);
  runner->stop();
  const auto runs = history();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "interrupted");
}

TEST_F(CronRunnerTest, EnvironmentsOnAClusterAreLeftToTheirCronJobs) {
  make_live_release("* * * * *", "cluster");
  auto runner = make_runner();
  EXPECT_EQ(runner->tick(at(21, 15)), 1);  // production's only
  runner->wait_idle();
  EXPECT_TRUE(store_.cron_runs("shop", "cluster", "", 10).empty());
}

TEST_F(CronRunnerTest, StartingEndsWhatACrashLeftRunning) {
  const state::NewCronRun left{"shop", "production", "sync", 1, "2026-11-29T21:15Z",
                               state::CronRunStatus::running, "shop-production-v1-cron-sync-1"};
  ASSERT_TRUE(store_.claim_cron_run(left, dir_ / "logs"));
  make_live_release("0 0 1 1 *");  // nothing due now: only the recovery acts
  auto runner = make_runner();
  runner->start();
  runner->stop();
  EXPECT_EQ(removed_, std::vector<std::string>{"shop-production-v1-cron-sync-1"});
  const auto runs = history();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "interrupted");
}

}  // namespace
}  // namespace porter::pipeline
