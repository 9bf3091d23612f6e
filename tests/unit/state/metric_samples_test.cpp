// The metrics history in the store: written a round at a time, bounded, and
// there again when the database is reopened (a gateway restart).
#include <gtest/gtest.h>

#include "state/store.hpp"
#include "support/temp_dir.hpp"

namespace porter::state {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

MetricSample sample(const std::string& container, std::int64_t at, double cpu = 1.5) {
  return {container, at, cpu, 64 * 1024 * 1024, 512 * 1024 * 1024};
}

class MetricSamplesTest : public ::testing::Test {
 protected:
  test::TempDir dir_{"metric-samples"};
  Store store_{dir_ / "state.db"};
  const MetricsRetention hour_{kNow - 3600, 720};
};

TEST_F(MetricSamplesTest, ARoundIsKeptAndSurvivesReopening) {
  store_.save_metrics_round({sample("web-0", kNow - 5, 12.5), sample("web-1", kNow - 5)}, {"web-0", "web-1"}, hour_);
  store_.save_metrics_round({sample("web-0", kNow)}, {"web-0", "web-1"}, hour_);
  Store reopened(dir_ / "state.db");
  const auto found = reopened.metric_samples(kNow - 3600);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0], sample("web-0", kNow - 5, 12.5));
  EXPECT_EQ(found[1], sample("web-0", kNow));
  EXPECT_EQ(found[2], sample("web-1", kNow - 5));
  EXPECT_EQ(reopened.metric_samples(kNow - 5).size(), 1u) << "only samples newer than `since`";
}

TEST_F(MetricSamplesTest, SamplesOlderThanTheRetentionGo) {
  store_.save_metrics_round({sample("web-0", kNow - 4000), sample("web-0", kNow - 3000)}, {"web-0"}, hour_);
  const auto found = store_.metric_samples(0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].at, kNow - 3000);
}

TEST_F(MetricSamplesTest, EachContainerKeepsItsNewestSamplesOnly) {
  std::vector<MetricSample> round;
  for (std::int64_t at = kNow - 9; at <= kNow; ++at) round.push_back(sample("web-0", at));
  store_.save_metrics_round(round, {"web-0"}, {kNow - 3600, 4});
  const auto found = store_.metric_samples(0);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found.front().at, kNow - 3);
  EXPECT_EQ(found.back().at, kNow);
}

TEST_F(MetricSamplesTest, ContainersNoLongerRunningAreForgotten) {
  store_.save_metrics_round({sample("v1-web-0", kNow - 5), sample("v2-web-0", kNow - 5)}, {"v1-web-0", "v2-web-0"},
                            hour_);
  store_.save_metrics_round({}, {"v2-web-0"}, hour_);  // v1 retired; this round read nothing
  const auto found = store_.metric_samples(0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].container, "v2-web-0");
  store_.save_metrics_round({}, {}, hour_);
  EXPECT_TRUE(store_.metric_samples(0).empty());
}

}  // namespace
}  // namespace porter::state
