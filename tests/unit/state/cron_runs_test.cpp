// The cron run history: a scheduled time is claimed once, whatever happens.
#include <gtest/gtest.h>

#include "state/store.hpp"
#include "support/temp_dir.hpp"

namespace porter::state {
namespace {

class CronRunsTest : public ::testing::Test {
 protected:
  test::TempDir dir_{"cron-runs"};
  Store store_{dir_ / "state.db"};

  NewCronRun run(const std::string& scheduled_for, CronRunStatus status = CronRunStatus::running) {
    return {"shop", "production", "sync", 3, scheduled_for, status, "shop-production-v3-cron-sync-1"};
  }
};

TEST_F(CronRunsTest, ATimeIsClaimedOnlyOnce) {
  const auto first = store_.claim_cron_run(run("2026-11-29T21:15Z"), dir_.path());
  ASSERT_TRUE(first);
  EXPECT_FALSE(store_.claim_cron_run(run("2026-11-29T21:15Z"), dir_.path()));
  EXPECT_FALSE(store_.claim_cron_run(run("2026-11-29T21:15Z", CronRunStatus::skipped), dir_.path()));
  EXPECT_TRUE(store_.claim_cron_run(run("2026-11-29T21:16Z"), dir_.path()));
  // Another environment's job of the same name is another job.
  auto staging = run("2026-11-29T21:15Z");
  staging.env = "staging";
  EXPECT_TRUE(store_.claim_cron_run(staging, dir_.path()));
}

TEST_F(CronRunsTest, AClaimSurvivesReopeningTheDatabase) {
  ASSERT_TRUE(store_.claim_cron_run(run("2026-11-29T21:15Z"), dir_.path()));
  Store reopened(dir_ / "state.db");
  EXPECT_FALSE(reopened.claim_cron_run(run("2026-11-29T21:15Z"), dir_.path()));
}

TEST_F(CronRunsTest, ARunIsRecordedFromClaimToFinish) {
  const auto id = store_.claim_cron_run(run("2026-11-29T21:15Z"), dir_.path());
  ASSERT_TRUE(id);
  auto runs = store_.cron_runs("shop", "production", "sync", 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "running");
  EXPECT_EQ(runs[0].log_path, dir_.path() / "cron" / (std::to_string(*id) + ".log"));
  EXPECT_FALSE(runs[0].exit_code);
  EXPECT_EQ(runs[0].version, 3);
  EXPECT_EQ(runs[0].container, "shop-production-v3-cron-sync-1");

  store_.finish_cron_run(*id, CronRunStatus::failed, 7);
  runs = store_.cron_runs("shop", "production", "", 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "failed");
  EXPECT_EQ(runs[0].exit_code, 7);
  EXPECT_FALSE(runs[0].finished_at.empty());
}

TEST_F(CronRunsTest, ASkippedTimeHasNoLogAndIsFinished) {
  ASSERT_TRUE(store_.claim_cron_run(run("2026-11-29T21:15Z", CronRunStatus::skipped), dir_.path()));
  const auto runs = store_.cron_runs("shop", "production", "sync", 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "skipped");
  EXPECT_TRUE(runs[0].log_path.empty());
  EXPECT_FALSE(runs[0].finished_at.empty());
}

TEST_F(CronRunsTest, RunsLeftRunningBecomeInterrupted) {
  const auto done = store_.claim_cron_run(run("2026-11-29T21:14Z"), dir_.path());
  ASSERT_TRUE(store_.claim_cron_run(run("2026-11-29T21:15Z"), dir_.path()));
  store_.finish_cron_run(*done, CronRunStatus::succeeded, 0);

  const auto interrupted = store_.interrupt_running_cron_runs();
  ASSERT_EQ(interrupted.size(), 1u);
  EXPECT_EQ(interrupted[0].scheduled_for, "2026-11-29T21:15Z");
  EXPECT_EQ(interrupted[0].container, "shop-production-v3-cron-sync-1");
  const auto runs = store_.cron_runs("shop", "production", "sync", 10);
  EXPECT_EQ(runs[0].status, "interrupted");
  EXPECT_EQ(runs[1].status, "succeeded");
  EXPECT_TRUE(store_.interrupt_running_cron_runs().empty());
}

TEST_F(CronRunsTest, PruningKeepsTheNewestRunsAndReturnsTheOthersLogs) {
  for (int minute = 10; minute < 15; ++minute) {
    const auto id = store_.claim_cron_run(run("2026-11-29T21:" + std::to_string(minute) + "Z"), dir_.path());
    store_.finish_cron_run(*id, CronRunStatus::succeeded, 0);
  }
  const auto logs = store_.prune_cron_runs("shop", "production", "sync", 2);
  EXPECT_EQ(logs.size(), 3u);
  const auto runs = store_.cron_runs("shop", "production", "sync", 10);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].scheduled_for, "2026-11-29T21:14Z");
  EXPECT_EQ(runs[1].scheduled_for, "2026-11-29T21:13Z");
}

}  // namespace
}  // namespace porter::state
