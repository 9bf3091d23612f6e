#include "cluster/metrics.hpp"

#include <gtest/gtest.h>

namespace porter::cluster {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

RawStats at(std::int64_t seconds, std::uint64_t cpu_nanos, std::uint64_t memory = 1024) {
  return {"shop-web-0", cpu_nanos, seconds * kSecond, memory, 512 * 1024 * 1024};
}

TEST(Metrics, ParsesPodmanStatsLines) {
  auto stats = parse_stats_line("shop-v1-web-0-pod-0-web 52581867 1795989237503580565 737280 25276510208");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->container, "shop-v1-web-0-pod-0-web");
  EXPECT_EQ(stats->cpu_nanos, 52581867u);
  EXPECT_EQ(stats->system_nanos, 1795989237503580565);
  EXPECT_EQ(stats->memory_bytes, 737280u);
  EXPECT_EQ(stats->memory_limit, 25276510208u);
  EXPECT_FALSE(parse_stats_line("Error: no container with name or ID \"x\" found"));
  EXPECT_FALSE(parse_stats_line(""));
}

TEST(Metrics, CpuIsTheShareOfOneCpuBetweenSamples) {
  Metrics metrics;
  metrics.record(at(100, 0));
  EXPECT_FALSE(metrics.latest("shop-web-0")) << "one reading is only a base";
  metrics.record(at(102, kSecond));  // 1 s of CPU in 2 s
  auto sample = metrics.latest("shop-web-0");
  ASSERT_TRUE(sample);
  EXPECT_DOUBLE_EQ(sample->cpu_percent, 50.0);
  EXPECT_EQ(sample->at, 102);
  metrics.record(at(103, 3 * kSecond));  // 2 CPUs busy for 1 s
  EXPECT_DOUBLE_EQ(metrics.latest("shop-web-0")->cpu_percent, 200.0);
  EXPECT_EQ(metrics.history("shop-web-0", 102).size(), 1u);
  EXPECT_EQ(metrics.history("shop-web-0", 0).size(), 2u);
}

TEST(Metrics, KeepsABoundedHistoryAndForgetsGoneContainers) {
  Metrics metrics;
  for (std::int64_t second = 0; second <= static_cast<std::int64_t>(Metrics::kKept) + 10; ++second)
    metrics.record(at(second, static_cast<std::uint64_t>(second) * kSecond / 10));
  EXPECT_EQ(metrics.history("shop-web-0", -1).size(), Metrics::kKept);
  metrics.keep_only({"another"});
  EXPECT_FALSE(metrics.latest("shop-web-0"));
}

TEST(Metrics, ARestartedContainerStartsItsCpuCountAgain) {
  Metrics metrics;
  metrics.record(at(100, 50 * kSecond));
  metrics.record(at(101, kSecond / 2));  // counters went back: no sample, a new base
  EXPECT_FALSE(metrics.latest("shop-web-0"));
  metrics.record(at(102, kSecond));
  EXPECT_DOUBLE_EQ(metrics.latest("shop-web-0")->cpu_percent, 50.0);
}

}  // namespace
}  // namespace porter::cluster
