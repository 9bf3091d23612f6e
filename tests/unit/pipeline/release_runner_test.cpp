#include "pipeline/release_runner.hpp"

#include <gtest/gtest.h>

#include "pipeline/progress.hpp"
#include "pipeline/scaling.hpp"
#include "support/fakes.hpp"
#include "support/temp_dir.hpp"

namespace porter::pipeline {
namespace {

namespace fs = std::filesystem;
using test::Collected;
using test::FakeDriver;

release::ReleasePlan web_plan(const std::string& image = "localhost/porter/shop:production-abc") {
  release::ReleasePlan plan;
  plan.app = "shop";
  plan.env = "production";
  plan.image = image;
  release::Service web;
  web.name = "web";
  web.argv = {"/bin/sh", "-c", "bin/serve"};
  web.replicas = 2;
  plan.services.push_back(web);
  plan.predeploy = {"/bin/sh", "-c", "bin/migrate"};
  plan.config = {{"DATABASE_URL", "postgres://app:hunter22@db/app"}, {"MODE", "on"}};
  return plan;
}

class ReleaseRunnerTest : public ::testing::Test {
 protected:
  ReleaseRequest prepare(release::ReleasePlan plan = web_plan()) {
    state::NewRelease record;
    record.commit_sha = "abc1234";
    record.description = "test release";
    record.pusher = "alice";
    return prepare_release(std::move(plan), record, store_);
  }

  Result<std::string> release(release::ReleasePlan plan = web_plan()) {
    return run_release(prepare(std::move(plan)), progress_, releaser_);
  }

  // v1 live, as the starting point of most cases; the driver's record starts after it.
  void release_v1() {
    auto url = release();
    ASSERT_TRUE(url) << url.error().message;
    ASSERT_EQ(store_.live_release("shop", "production")->version, 1);
    driver_.calls.clear();
  }

  void add_hook(const std::string& stage, const std::string& script) {
    test::write_file(dir_ / "hooks" / stage, "#!/bin/sh\n" + script, true);
  }

  state::ReleaseStatus status_of(int version) {
    auto record = store_.release_version("shop", "production", version);
    if (!record) throw std::runtime_error("no release v" + std::to_string(version));
    return record->status;
  }

  test::TempDir dir_{"release"};
  state::Store store_{dir_ / "state.db"};
  FakeDriver driver_;
  cluster::Drivers drivers_{driver_};
  LifecycleHooks hooks_{dir_ / "hooks"};
  Releaser releaser_{store_, drivers_, hooks_};
  Collected out_;
  std::shared_ptr<proc::CancelToken> cancel_ = std::make_shared<proc::CancelToken>();
  Progress progress_{out_.writer(), cancel_};
};

TEST_F(ReleaseRunnerTest, PrepareCreatesThePendingRecordWithTheNextVersion) {
  auto first = prepare();
  EXPECT_EQ(first.record.version, 1);
  EXPECT_EQ(first.plan.version, 1);
  EXPECT_EQ(first.record.status, state::ReleaseStatus::pending);
  EXPECT_EQ(first.record.config, web_plan().config);  // the snapshot it runs with
  EXPECT_EQ(first.record.image, web_plan().image);
  EXPECT_EQ(first.event.at("commit"), "abc1234");
  EXPECT_EQ(prepare().record.version, 2);
}

TEST_F(ReleaseRunnerTest, ReleasesInOrderAndRecordsTheDriversReplicas) {
  auto url = release();
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(*url, "http://production.shop.test");
  EXPECT_EQ(driver_.calls, (std::vector<std::string>{"predeploy v1", "start v1", "route v1"}));
  auto live = store_.live_release("shop", "production");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->version, 1);
  EXPECT_EQ(live->status, state::ReleaseStatus::live);
  EXPECT_EQ(live->replicas, driver_.replicas.at(1));
  ASSERT_EQ(live->replicas.size(), 2u);
  EXPECT_EQ(live->replicas[0], (release::Replica{"web", 0, "pod-web-0-v1", 40000}));
  // The driver got the plan with its version and config filled in.
  ASSERT_EQ(driver_.started.size(), 1u);
  EXPECT_EQ(driver_.started[0].version, 1);
  EXPECT_EQ(driver_.started[0].config, web_plan().config);
  EXPECT_TRUE(out_.has("-----> Running predeploy: bin/migrate\n"));
  EXPECT_TRUE(out_.has("-----> Releasing v1 to cluster fake: web x2\n"));
}

TEST_F(ReleaseRunnerTest, TheNextReleaseStopsThePreviousOneOnlyAfterTrafficMoved) {
  release_v1();
  const auto v1_replicas = driver_.replicas.at(1);
  auto url = release(web_plan("localhost/porter/shop:production-def"));
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(driver_.calls, (std::vector<std::string>{"predeploy v2", "start v2", "route v2",
                                                      "stop pod-web-0-v1 pod-web-1-v1"}));
  auto live = store_.live_release("shop", "production");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->version, 2);
  EXPECT_EQ(live->replicas, driver_.replicas.at(2));
  EXPECT_EQ(status_of(1), state::ReleaseStatus::superseded);
  EXPECT_TRUE(out_.has("       stopped v1\n"));
}

TEST_F(ReleaseRunnerTest, AFailingPredeployReleasesNothing) {
  release_v1();
  driver_.predeploy_exit = 3;
  auto url = release();
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().message, "predeploy 'bin/migrate' failed (exit 3); nothing was released");
  EXPECT_EQ(driver_.count("predeploy"), 1u);
  EXPECT_EQ(driver_.count("start"), 0u);
  EXPECT_EQ(driver_.count("route"), 0u);
  EXPECT_EQ(driver_.count("stop pod-web-0-v1"), 0u);  // v1 keeps serving
  EXPECT_EQ(status_of(2), state::ReleaseStatus::failed);
  auto live = store_.live_release("shop", "production");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->version, 1);
  EXPECT_EQ(live->replicas, driver_.replicas.at(1));
}

TEST_F(ReleaseRunnerTest, PredeployIsSkippedWhenThePlanHasNoneOrTheRequestSaysSo) {
  auto plan = web_plan();
  plan.predeploy.clear();
  ASSERT_TRUE(release(plan));
  auto request = prepare();
  request.run_predeploy = false;  // a config change re-running a release
  ASSERT_TRUE(run_release(std::move(request), progress_, releaser_));
  EXPECT_EQ(driver_.count("predeploy"), 0u);
  EXPECT_EQ(driver_.count("start"), 2u);
}

TEST_F(ReleaseRunnerTest, AFailedStartIsPassedThroughAndNothingIsRouted) {
  release_v1();
  driver_.start_error = "web replica 1 did not pass its health check (GET / answered 502)";
  auto url = release();
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().message, "web replica 1 did not pass its health check (GET / answered 502)");
  EXPECT_LT(driver_.position("predeploy"), driver_.position("start"));
  EXPECT_EQ(driver_.count("route"), 0u);
  EXPECT_EQ(driver_.count("stop pod-web-0-v1"), 0u);
  EXPECT_EQ(status_of(2), state::ReleaseStatus::failed);
  EXPECT_EQ(store_.live_release("shop", "production")->version, 1);
  EXPECT_EQ(store_.live_release("shop", "production")->replicas, driver_.replicas.at(1));
}

TEST_F(ReleaseRunnerTest, AFailedRouteStopsTheNewReplicasAndKeepsTheOldOnes) {
  release_v1();
  driver_.route_error = "nginx did not accept the new site";
  auto url = release();
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().message, "nginx did not accept the new site");
  EXPECT_EQ(driver_.calls, (std::vector<std::string>{"predeploy v2", "start v2", "route v2",
                                                      "stop pod-web-0-v2 pod-web-1-v2"}));
  EXPECT_EQ(status_of(2), state::ReleaseStatus::failed);
  auto live = store_.live_release("shop", "production");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->version, 1);
  EXPECT_EQ(live->replicas, driver_.replicas.at(1));
}

TEST_F(ReleaseRunnerTest, AFailingPreReleaseHookRefusesBeforePredeploy) {
  release_v1();
  add_hook("pre-release", "cat >/dev/null\necho checking the change calendar\necho change freeze until monday\nexit 1\n");
  auto url = release();
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().message, "pre-release hook refused: change freeze until monday");
  EXPECT_EQ(driver_.count("predeploy"), 0u);
  EXPECT_EQ(driver_.count("start"), 0u);
  EXPECT_EQ(driver_.count("route"), 0u);
  EXPECT_EQ(status_of(2), state::ReleaseStatus::failed);
  EXPECT_EQ(store_.live_release("shop", "production")->version, 1);
  EXPECT_TRUE(out_.has("       checking the change calendar\n"));  // the hook's output reaches the user
}

TEST_F(ReleaseRunnerTest, HooksAreToldAboutTheReleaseButNeverItsConfig) {
  add_hook("pre-release", "cat > " + test::quote((dir_ / "pre.json").string()) + "\n");
  add_hook("post-release", "cat > " + test::quote((dir_ / "post.json").string()) + "\n");
  auto url = release();
  ASSERT_TRUE(url) << url.error().message;
  const auto pre = test::read_file(dir_ / "pre.json");
  const auto post = test::read_file(dir_ / "post.json");
  EXPECT_NE(pre.find("\"stage\": \"pre-release\""), std::string::npos) << pre;
  EXPECT_NE(pre.find("\"status\": \"running\""), std::string::npos) << pre;
  EXPECT_NE(post.find("\"stage\": \"post-release\""), std::string::npos) << post;
  EXPECT_NE(post.find("\"status\": \"live\""), std::string::npos) << post;
  EXPECT_NE(post.find("\"release\": \"v1\""), std::string::npos) << post;
  EXPECT_NE(post.find("\"commit\": \"abc1234\""), std::string::npos) << post;
  for (const auto& text : {pre, post}) {
    EXPECT_EQ(text.find("hunter22"), std::string::npos) << text;
    EXPECT_EQ(text.find("DATABASE_URL"), std::string::npos) << text;
  }
}

TEST_F(ReleaseRunnerTest, AFailingPostReleaseHookOnlyReports) {
  add_hook("post-release", "cat >/dev/null\necho notifying chat failed\nexit 1\n");
  auto url = release();
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(status_of(1), state::ReleaseStatus::live);
  EXPECT_TRUE(out_.has("notifying chat failed"));
}

TEST_F(ReleaseRunnerTest, ACancelledJobReleasesNothing) {
  release_v1();
  cancel_->cancel();
  auto url = release();
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().message, "cancelled");
  EXPECT_EQ(driver_.count("start"), 0u);
  EXPECT_EQ(driver_.count("route"), 0u);
  EXPECT_EQ(status_of(2), state::ReleaseStatus::failed);
  EXPECT_EQ(store_.live_release("shop", "production")->version, 1);
}

TEST_F(ReleaseRunnerTest, AReleaseWithoutWebAnswersNowhere) {
  auto plan = web_plan();
  plan.services[0].name = "worker";
  plan.predeploy.clear();
  driver_.url = "";
  auto url = release(plan);
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(*url, "");
  auto live = store_.live_release("shop", "production");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->replicas[0].port, 0);
}

}  // namespace
}  // namespace porter::pipeline

namespace porter::pipeline {
namespace {

class FormationTest : public ReleaseRunnerTest {};

TEST_F(FormationTest, ScaleAndResizeOutlastTheNextRelease) {
  store_.replace_formation("shop", "production",
                           {{"web", {.replicas = 3, .millicpu = 500, .memory_bytes = 256ull << 20}},
                            {"gone", {.replicas = 2, .millicpu = std::nullopt, .memory_bytes = std::nullopt}}});
  auto request = prepare();
  ASSERT_EQ(request.plan.services.size(), 1u) << "a service the release has not is not made up";
  const auto& web = request.plan.services[0];
  EXPECT_EQ(web.replicas, 3);
  EXPECT_EQ(web.resources.millicpu, 500);
  EXPECT_EQ(web.resources.memory_bytes, 256ull << 20);
  EXPECT_NE(request.record.plan_yaml.find("replicas: 3"), std::string::npos) << "recorded as it runs";
}

TEST_F(FormationTest, AnAutoscaledServiceKeepsItsCurrentCountWithinItsBounds) {
  auto plan = web_plan();
  plan.services[0].autoscaling = config::Autoscaling{.min = 1, .max = 4, .cpu_percent = 70, .memory_percent = std::nullopt};
  plan.services[0].replicas = 1;
  store_.replace_formation("shop", "production", {{"web", {.replicas = 9, .millicpu = std::nullopt, .memory_bytes = std::nullopt}}});
  EXPECT_EQ(prepare(plan).plan.services[0].replicas, 1) << "nothing live: min, whatever the formation says";
  store_.replace_formation("shop", "production", {});
  ASSERT_TRUE(release(web_plan()));  // two web replicas live
  store_.replace_formation("shop", "production", {{"web", {.replicas = 9, .millicpu = std::nullopt, .memory_bytes = std::nullopt}}});
  EXPECT_EQ(prepare(plan).plan.services[0].replicas, 2) << "as many as run now";
  plan.services[0].autoscaling->max = 1;
  EXPECT_EQ(prepare(plan).plan.services[0].replicas, 1) << "within the new bounds";
}

TEST_F(FormationTest, ScalingInPlaceKeepsTheReleaseAndRecordsTheReplicas) {
  release_v1();
  const auto quiet = [](const std::string&) {};
  ASSERT_TRUE(scale_live(releaser_, "shop", "production", {{"web", 3}}, {quiet, quiet}, progress_.cancel()));
  const auto live = store_.live_release("shop", "production");
  EXPECT_EQ(live->version, 1);
  ASSERT_EQ(live->replicas.size(), 3u);
  EXPECT_EQ(live->replicas[0].pod, "pod-web-0-v1") << "what ran keeps running";
  EXPECT_EQ(live->replicas[2].pod, "pod-web-2-scaled");
  EXPECT_EQ(driver_.calls, (std::vector<std::string>{"scale web x3"}));
  EXPECT_FALSE(scale_live(releaser_, "shop", "staging", {{"web", 3}}, {quiet, quiet}, progress_.cancel()))
      << "nothing runs in staging";
}

}  // namespace
}  // namespace porter::pipeline
