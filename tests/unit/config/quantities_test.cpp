#include "config/quantities.hpp"

#include <gtest/gtest.h>

namespace porter::config {
namespace {

constexpr std::uint64_t kMi = 1ULL << 20;

TEST(Quantities, SizesInBinaryUnitsAsDockerReadsThem) {
  EXPECT_EQ(parse_size("512M"), 512 * kMi);
  EXPECT_EQ(parse_size("512m"), 512 * kMi);
  EXPECT_EQ(parse_size("512Mi"), 512 * kMi);
  EXPECT_EQ(parse_size("512MB"), 512 * kMi);
  EXPECT_EQ(parse_size("5G"), 5ULL << 30);
  EXPECT_EQ(parse_size("1.5G"), 1536 * kMi);
  EXPECT_EQ(parse_size("64k"), 64ULL << 10);
  EXPECT_EQ(parse_size("2T"), 2ULL << 40);
  EXPECT_EQ(parse_size("1048576"), kMi);
  EXPECT_EQ(parse_size("1024P"), std::nullopt);  // no P unit
  for (const char* bad : {"", "M", "0", "0M", "-1M", "1.M", "5 G", "5GiBs", "5iB", "1e9", "1.2345G", "2048T",
                          "99999999999999999999", "512Xi"})
    EXPECT_EQ(parse_size(bad), std::nullopt) << bad;
}

TEST(Quantities, CpuInThousandths) {
  EXPECT_EQ(parse_millicpu("0.5"), 500);
  EXPECT_EQ(parse_millicpu("2"), 2000);
  EXPECT_EQ(parse_millicpu("250m"), 250);
  EXPECT_EQ(parse_millicpu("1.25"), 1250);
  EXPECT_EQ(parse_millicpu("64"), 64000);
  for (const char* bad : {"", "0", "0m", "0.0001", "65", "0.5m", "m", "1,5", "-1", "1 "})
    EXPECT_EQ(parse_millicpu(bad), std::nullopt) << bad;
}

TEST(Quantities, KubernetesForms) {
  EXPECT_EQ(kube_memory(512 * kMi), "512Mi");
  EXPECT_EQ(kube_memory(1536 * kMi), "1536Mi");
  EXPECT_EQ(kube_memory(5ULL << 30), "5Gi");
  EXPECT_EQ(kube_memory(64ULL << 10), "64Ki");
  EXPECT_EQ(kube_memory(1000), "1000");
  EXPECT_EQ(kube_cpu(500), "500m");
  EXPECT_EQ(kube_cpu(2000), "2");
  EXPECT_EQ(kube_cpu(1250), "1250m");
}

}  // namespace
}  // namespace porter::config
