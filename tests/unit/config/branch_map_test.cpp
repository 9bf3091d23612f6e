#include "config/branch_map.hpp"

#include <gtest/gtest.h>

namespace porter::config {
namespace {

TEST(BranchMap, DefaultsMapTheThreeUsualBranches) {
  auto map = BranchMap::defaults();
  EXPECT_EQ(map.environment_for("refs/heads/main"), "production");
  EXPECT_EQ(map.environment_for("refs/heads/staging"), "staging");
  EXPECT_EQ(map.environment_for("refs/heads/dev"), "development");
}

TEST(BranchMap, OtherRefsMapToNothing) {
  auto map = BranchMap::defaults();
  EXPECT_EQ(map.environment_for("refs/heads/feature-x"), std::nullopt);
  EXPECT_EQ(map.environment_for("refs/heads/main2"), std::nullopt);
  EXPECT_EQ(map.environment_for("refs/tags/main"), std::nullopt);
  EXPECT_EQ(map.environment_for("main"), std::nullopt);
}

TEST(BranchMap, EnvironmentNamesAreValidated) {
  EXPECT_TRUE(is_valid_environment_name("production"));
  EXPECT_TRUE(is_valid_environment_name("qa-2"));
  EXPECT_FALSE(is_valid_environment_name("Prod"));
  EXPECT_FALSE(is_valid_environment_name("../x"));
  EXPECT_FALSE(is_valid_environment_name(""));
}

}  // namespace
}  // namespace porter::config
