// The sampler's history goes to the store each round and comes back into a
// new Metrics after a restart, as charts and `ps` read it.
#include "pipeline/metrics_history.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace porter::pipeline {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kNow = 1'800'000'000;

cluster::RawStats reading(const std::string& container, std::int64_t at, std::uint64_t cpu_nanos) {
  return {container, cpu_nanos, at * kSecond, 100 * 1024 * 1024, 512 * 1024 * 1024};
}

TEST(MetricsHistory, ARestartedGatewayHasTheLastHour) {
  test::TempDir dir("metrics-history");
  {
    state::Store store(dir / "state.db");
    cluster::Metrics metrics;
    metrics.record(reading("web-0", kNow - 10, 0));  // a base only
    for (std::int64_t at = kNow - 5; at <= kNow; at += 5) {
      const auto added = metrics.record(reading("web-0", at, static_cast<std::uint64_t>(at - kNow + 10) * kSecond / 2));
      ASSERT_TRUE(added);
      persist_metrics_round(store, {{"web-0", *added}}, {"web-0"}, at);
    }
  }
  state::Store store(dir / "state.db");
  cluster::Metrics restarted;
  EXPECT_EQ(restore_metrics_history(store, restarted, kNow), 2u);
  const auto history = restarted.history("web-0", 0);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].at, kNow - 5);
  EXPECT_EQ(history[1].at, kNow);
  EXPECT_DOUBLE_EQ(history[1].cpu_percent, 50.0);
  EXPECT_EQ(history[1].memory_bytes, 100u * 1024 * 1024);
  // The first reading after the restart is a base again, not a sample
  // measured against the counters of before.
  EXPECT_FALSE(restarted.record(reading("web-0", kNow + 5, 0)));
  EXPECT_TRUE(restarted.record(reading("web-0", kNow + 10, kSecond)));
  EXPECT_EQ(restarted.history("web-0", 0).size(), 3u);
}

TEST(MetricsHistory, NothingOlderThanAnHourComesBack) {
  test::TempDir dir("metrics-history");
  state::Store store(dir / "state.db");
  const cluster::Sample old{kNow - 4000, 1, 1, 1}, recent{kNow - 60, 2, 2, 2};
  persist_metrics_round(store, {{"web-0", old}, {"web-0", recent}}, {"web-0"}, kNow - 3000);  // both kept then
  cluster::Metrics metrics;
  EXPECT_EQ(restore_metrics_history(store, metrics, kNow), 1u);
  ASSERT_TRUE(metrics.latest("web-0"));
  EXPECT_EQ(metrics.latest("web-0")->at, kNow - 60);
}

}  // namespace
}  // namespace porter::pipeline
