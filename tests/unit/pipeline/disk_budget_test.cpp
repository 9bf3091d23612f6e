#include <gtest/gtest.h>

#include "pipeline/build_cache.hpp"
#include "support/temp_dir.hpp"

namespace porter::pipeline {
namespace {

namespace fs = std::filesystem;

void write_bytes(const fs::path& file, std::size_t bytes) { std::ofstream(file) << std::string(bytes, 'x'); }

TEST(DeployLogs, TheOldestDeploysGoFirstUntilTheLogsFitTheBudget) {
  test::TempDir dir("logs");
  const std::size_t kMiB = 1024 * 1024;
  for (const auto* id : {"2", "9", "10", "11"}) write_bytes(dir / (std::string(id) + ".log"), kMiB / 2);
  write_bytes(dir / "notes.txt", kMiB);  // not a deploy's log: never counted, never removed
  EXPECT_EQ(evict_deploy_logs(dir.path(), 1), 2);
  EXPECT_FALSE(fs::exists(dir / "2.log"));
  EXPECT_FALSE(fs::exists(dir / "9.log"));  // by number: 9 is older than 10
  EXPECT_TRUE(fs::exists(dir / "10.log"));
  EXPECT_TRUE(fs::exists(dir / "11.log"));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  EXPECT_EQ(evict_deploy_logs(dir.path(), 1), 0);
}

TEST(DeployLogs, TheNewestLogStaysWhateverItsSize) {
  test::TempDir dir("logs");
  write_bytes(dir / "1.log", 3 * 1024 * 1024);
  write_bytes(dir / "2.log", 3 * 1024 * 1024);
  EXPECT_EQ(evict_deploy_logs(dir.path(), 1), 1);
  EXPECT_TRUE(fs::exists(dir / "2.log"));
}

}  // namespace
}  // namespace porter::pipeline
