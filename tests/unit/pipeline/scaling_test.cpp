#include "pipeline/scaling.hpp"

#include <gtest/gtest.h>

namespace porter::pipeline {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

TEST(Autoscaling, WantsReplicasInProportionToUsageWithinBounds) {
  const config::Autoscaling cpu{.min = 1, .max = 5, .cpu_percent = 50, .memory_percent = std::nullopt};
  EXPECT_EQ(wanted_replicas(1, cpu, 100, std::nullopt), 2);
  EXPECT_EQ(wanted_replicas(2, cpu, 76, std::nullopt), 4);   // ceil(3.04)
  EXPECT_EQ(wanted_replicas(2, cpu, 50, std::nullopt), 2);   // on target: stay
  EXPECT_EQ(wanted_replicas(3, cpu, 10, std::nullopt), 1);
  EXPECT_EQ(wanted_replicas(4, cpu, 400, std::nullopt), 5);  // at most max
  EXPECT_EQ(wanted_replicas(3, cpu, 0, std::nullopt), 1);    // at least min
}

TEST(Autoscaling, TheLargerOfCpuAndMemoryWins) {
  const config::Autoscaling both{.min = 1, .max = 10, .cpu_percent = 70, .memory_percent = 80};
  EXPECT_EQ(wanted_replicas(2, both, 35, 160.0), 4);
  EXPECT_EQ(wanted_replicas(2, both, 140, 40.0), 4);
  EXPECT_EQ(wanted_replicas(2, both, 140, std::nullopt), 4) << "no memory figure: CPU alone";
}

TEST(Stabilizer, ScalesUpAtOnce) {
  Stabilizer stabilizer(seconds(60));
  const auto start = Clock::now();
  EXPECT_EQ(stabilizer.decide(1, 3, start), 3);
}

TEST(Stabilizer, ScalesDownOnlyAfterAWholeWindowOfLowerRecommendations) {
  Stabilizer stabilizer(seconds(60));
  const auto start = Clock::now();
  EXPECT_EQ(stabilizer.decide(3, 3, start), 3);
  EXPECT_EQ(stabilizer.decide(3, 1, start + seconds(10)), 3) << "a dip within the window";
  EXPECT_EQ(stabilizer.decide(3, 1, start + seconds(59)), 3);
  EXPECT_EQ(stabilizer.decide(3, 2, start + seconds(65)), 2) << "the highest of the last 60 s";
  EXPECT_EQ(stabilizer.decide(2, 1, start + seconds(100)), 2);
  EXPECT_EQ(stabilizer.decide(2, 1, start + seconds(126)), 1);
}

TEST(Stabilizer, AFreshStabilizerWaitsAWindowBeforeScalingDown) {
  Stabilizer stabilizer(seconds(30));  // e.g. after a gateway restart
  const auto start = Clock::now();
  EXPECT_EQ(stabilizer.decide(3, 1, start), 3);
  EXPECT_EQ(stabilizer.decide(3, 1, start + seconds(29)), 3);
  EXPECT_EQ(stabilizer.decide(3, 1, start + seconds(31)), 1);
}

}  // namespace
}  // namespace porter::pipeline
