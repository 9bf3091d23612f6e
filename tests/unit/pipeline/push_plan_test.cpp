#include "pipeline/push_plan.hpp"

#include <gtest/gtest.h>

namespace porter::pipeline {
namespace {

const std::string kZero(40, '0');
const std::string kA(40, 'a');
const std::string kB(40, 'b');

TEST(PushPlan, ParsesRefLines) {
  auto update = parse_ref_update(kA + " " + kB + " refs/heads/main");
  ASSERT_TRUE(update);
  EXPECT_EQ(update->short_name(), "main");
  EXPECT_FALSE(update->is_create());
  EXPECT_FALSE(update->is_delete());
  EXPECT_TRUE(parse_ref_update(kZero + " " + kB + " refs/heads/x")->is_create());
  EXPECT_TRUE(parse_ref_update(kA + " " + kZero + " refs/heads/x")->is_delete());
  EXPECT_FALSE(parse_ref_update("junk"));
  EXPECT_FALSE(parse_ref_update(kA + " " + kB + " main"));
}

// A pushed ref name of 30,000 characters once overflowed std::regex's stack.
TEST(PushPlan, ALongRefNameIsParsedWithoutRecursion) {
  const std::string name = "refs/heads/" + std::string(30000, 'r');
  auto update = parse_ref_update(kA + " " + kB + " " + name);
  ASSERT_TRUE(update);
  EXPECT_EQ(update->ref, name);
}

TEST(PushPlan, RoutesMappedAndStoresUnmapped) {
  auto plan = plan_push({{kA, kB, "refs/heads/staging"}, {kA, kB, "refs/heads/main"}, {kA, kB, "refs/heads/feature"}},
                        config::BranchMap::defaults());
  EXPECT_TRUE(plan.refusals.empty());
  ASSERT_EQ(plan.deploys.size(), 2u);
  EXPECT_EQ(plan.deploys[0].env, "production");  // sorted: locks taken in one global order
  EXPECT_EQ(plan.deploys[1].env, "staging");
  ASSERT_EQ(plan.stored_only.size(), 1u);
  EXPECT_EQ(plan.stored_only[0].short_name(), "feature");
}

TEST(PushPlan, RefusesDeletingADeployedBranch) {
  auto plan = plan_push({{kA, kZero, "refs/heads/main"}}, config::BranchMap::defaults());
  ASSERT_EQ(plan.refusals.size(), 1u);
  EXPECT_NE(plan.refusals[0].find("production"), std::string::npos);
  EXPECT_TRUE(plan_push({{kA, kZero, "refs/heads/feature"}}, config::BranchMap::defaults()).refusals.empty());
}

TEST(PushPlan, RefusesEnvironmentsTheKeyMayNotDeployTo) {
  std::set<std::string> staging_only{"staging"};
  auto plan = plan_push({{kA, kB, "refs/heads/main"}, {kA, kB, "refs/heads/staging"}}, config::BranchMap::defaults(),
                        staging_only);
  ASSERT_EQ(plan.refusals.size(), 1u);
  EXPECT_NE(plan.refusals[0].find("may not deploy to production"), std::string::npos);
  EXPECT_TRUE(plan_push({{kA, kB, "refs/heads/staging"}, {kA, kB, "refs/heads/feature"}}, config::BranchMap::defaults(),
                        staging_only)
                  .refusals.empty());
}

TEST(PushPlan, RefusesTwoBranchesForOneEnvironment) {
  config::BranchMap map;
  map.set("main", "production");
  map.set("trunk", "production");
  auto plan = plan_push({{kA, kB, "refs/heads/main"}, {kA, kB, "refs/heads/trunk"}}, map);
  EXPECT_EQ(plan.refusals.size(), 1u);
}

}  // namespace
}  // namespace porter::pipeline
