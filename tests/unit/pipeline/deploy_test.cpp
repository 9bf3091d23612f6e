#include "pipeline/deploy.hpp"

#include <git2.h>
#include <gtest/gtest.h>

#include "config/app_config.hpp"
#include "pipeline/progress.hpp"
#include "proc/cgroup.hpp"
#include "support/fakes.hpp"
#include "support/git_repo.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace porter::pipeline {
namespace {

namespace fs = std::filesystem;
using test::Files;
using test::kZeroSha;

const Files kProcfileApp = {
    {"Procfile", {"web: ./run\n", false}},
    {"run", {"#!/bin/sh\nexec serve\n", true}},
};

Files with(Files files, const std::string& path, const std::string& content) {
  files[path] = {content, false};
  return files;
}

class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    git_libgit2_init();
    auto root = proc::jobs_cgroup_root(config_.data_dir);
    if (!root) GTEST_SKIP() << "builds run in a cgroup, and there is none here: " << root.error().message;
    jobs_ = *root;
  }
  void TearDown() override {
    if (!jobs_.empty()) {
      proc::end_leftover_jobs(jobs_);
      test::remove_cgroup_tree(jobs_);
    }
    git_libgit2_shutdown();
  }

  static config::GatewayConfig make_config(const fs::path& data_dir) {
    config::GatewayConfig config;
    config.data_dir = data_dir;
    config.registry = "";  // images stay local: no publish step
    config.buildpacks_dir = data_dir / "buildpacks";
    config.hooks_dir = data_dir / "hooks";
    return config;
  }

  struct Outcome {
    bool live;
    std::int64_t id;
  };

  // One deploy of `ref` from old_sha to new_sha, as a push's job runs it.
  Outcome deploy(const std::string& old_sha, const std::string& new_sha, const git::Quarantine& quarantine = {},
                 const std::string& ref = "refs/heads/main") {
    RefUpdate update{old_sha, new_sha, ref};
    const auto id = store_.create_deploy({"shop", "production", ref, old_sha, new_sha, "alice"}, config_.logs_dir());
    DeployTarget target{id, "shop", "production", update, repo_.dir(), quarantine, "alice"};
    Deployer deployer{config_, store_, builders_, {store_, drivers_, hooks_}, jobs_};
    return {run_deploy(target, progress_, deployer), id};
  }

  // A commit pushed for the first time: its objects are in quarantine.
  std::pair<std::string, git::Quarantine> pushed(const Files& files, const std::string& parent = "") {
    const auto quarantine = repo_.new_quarantine("incoming-" + std::to_string(++pushes_));
    return {repo_.commit(files, parent, quarantine), {quarantine.string()}};
  }

  // A commit the repository already holds, at refs/heads/main.
  std::string landed(const Files& files, const std::string& parent = "") {
    auto sha = repo_.commit(files, parent);
    repo_.set_ref("refs/heads/main", sha);
    return sha;
  }

  std::string deploy_column(std::int64_t id, const std::string& column) {
    return test::RawDb(dir_ / "state.db").text("SELECT " + column + " FROM deploys WHERE id=" + std::to_string(id));
  }

  void add_hook(const std::string& stage, const std::string& script) {
    test::write_file(config_.hooks_dir / stage, "#!/bin/sh\n" + script, true);
  }

  // The build's leftovers are gone however the deploy ended.
  void expect_cleaned_up(std::int64_t id) {
    EXPECT_FALSE(fs::exists(build_dir(config_, id))) << "build directory left behind";
    EXPECT_FALSE(fs::exists(jobs_ / ("deploy-" + std::to_string(id)))) << "build cgroup left behind";
  }

  test::TempDir dir_{"deploy"};
  config::GatewayConfig config_ = make_config(dir_ / "data");
  state::Store store_{dir_ / "state.db"};
  test::BareRepo repo_{dir_ / "shop.git"};
  builders::BuilderRegistry builders_;
  test::FakeBuilder& builder_ = test::add_fake_builder(builders_);
  test::FakeDriver driver_;
  cluster::Drivers drivers_{driver_};
  LifecycleHooks hooks_{config_.hooks_dir};
  test::Collected out_;
  std::shared_ptr<proc::CancelToken> cancel_ = std::make_shared<proc::CancelToken>();
  Progress progress_{out_.writer(), cancel_};
  fs::path jobs_;
  int pushes_ = 0;
};

TEST_F(DeployTest, APushGoesLive) {
  store_.change_config_vars("shop", "production", {{"API_TOKEN", "tok-hunter22"}}, {});
  builder_.output = {"Step 1/2 : FROM scratch", "using tok-hunter22 to fetch"};
  const auto [sha, quarantine] = pushed(kProcfileApp);
  const auto [live, id] = deploy(kZeroSha, sha, quarantine);
  EXPECT_TRUE(live) << out_.text;

  // The builder saw the pushed tree, in the deploy's cgroup.
  ASSERT_EQ(builder_.calls.size(), 1u);
  const auto& build = builder_.calls[0];
  EXPECT_EQ(build.files, (std::map<std::string, std::string>{{"Procfile", "web: ./run\n"},
                                                             {"run", "#!/bin/sh\nexec serve\n"}}));
  EXPECT_TRUE(build.executable.at("run"));
  EXPECT_EQ(build.image, "localhost/porter/shop:production-" + sha.substr(0, 12));
  EXPECT_EQ(build.cgroup, jobs_ / ("deploy-" + std::to_string(id)));
  EXPECT_TRUE(build.cgroup_existed);
  EXPECT_TRUE(build.build_env.empty());  // porter.yaml names no config var for the build

  // The release ran the build's processes with the environment's config.
  EXPECT_EQ(driver_.calls, (std::vector<std::string>{"start v1", "route v1"}));
  ASSERT_EQ(driver_.started.size(), 1u);
  const auto& plan = driver_.started[0];
  EXPECT_EQ(plan.image, build.image);
  ASSERT_EQ(plan.services.size(), 1u);
  EXPECT_EQ(plan.services[0].argv, (std::vector<std::string>{"/bin/sh", "-c", "./run"}));
  EXPECT_EQ(plan.config, (state::ConfigVars{{"API_TOKEN", "tok-hunter22"}}));

  EXPECT_EQ(deploy_column(id, "status"), "live");
  EXPECT_EQ(deploy_column(id, "url"), "http://production.shop.test");
  auto release = store_.live_release("shop", "production");
  ASSERT_TRUE(release);
  EXPECT_EQ(release->version, 1);
  EXPECT_EQ(release->deploy_id, id);
  EXPECT_EQ(release->commit_sha, sha);
  EXPECT_EQ(release->replicas, driver_.replicas.at(1));

  EXPECT_TRUE(out_.has("-----> Checked out " + sha.substr(0, 7) + " ("));
  EXPECT_TRUE(out_.has("-----> Building with the fake builder\n"));
  EXPECT_TRUE(out_.has("=====> production v1 is live at http://production.shop.test (")) << out_.text;
  EXPECT_TRUE(out_.has("       using ***** to fetch\n")) << out_.text;
  EXPECT_FALSE(out_.has("tok-hunter22"));
  expect_cleaned_up(id);
}

TEST_F(DeployTest, TheNextPushReplacesTheLiveRelease) {
  const auto first = repo_.commit(kProcfileApp);
  ASSERT_TRUE(deploy(kZeroSha, first).live) << out_.text;
  repo_.set_ref("refs/heads/main", first);  // receive-pack moves the ref once the hook accepted
  const auto [second, quarantine] = pushed(with(kProcfileApp, "Procfile", "web: ./run --v2\n"), first);
  const auto [live, id] = deploy(first, second, quarantine);
  EXPECT_TRUE(live) << out_.text;
  EXPECT_EQ(driver_.calls.back(), "stop pod-web-0-v1");
  EXPECT_EQ(store_.live_release("shop", "production")->commit_sha, second);
  EXPECT_EQ(deploy_column(1, "status"), "superseded");
  EXPECT_EQ(deploy_column(id, "status"), "live");
  EXPECT_TRUE(out_.has("=====> production v2 is live at "));
}

TEST_F(DeployTest, ABuildErrorFailsTheDeployWithTheBuildersMessage) {
  builder_.outcome = fail("build failed: RUN make exited with 2");
  const auto [sha, quarantine] = pushed(kProcfileApp);
  const auto [live, id] = deploy(kZeroSha, sha, quarantine);
  EXPECT_FALSE(live);
  EXPECT_TRUE(out_.has("=====> deploy #" + std::to_string(id) +
                       " to production failed: build failed: RUN make exited with 2; nothing was running before, so "
                       "nothing is serving\n"))
      << out_.text;
  EXPECT_EQ(deploy_column(id, "status"), "failed");
  EXPECT_EQ(deploy_column(id, "error"), "build failed: RUN make exited with 2");
  EXPECT_TRUE(driver_.calls.empty());
  EXPECT_TRUE(store_.releases("shop", "production").empty());
  expect_cleaned_up(id);
}

TEST_F(DeployTest, AFailedReleaseKeepsThePreviousOneServing) {
  const auto first = repo_.commit(kProcfileApp);
  ASSERT_TRUE(deploy(kZeroSha, first).live) << out_.text;
  repo_.set_ref("refs/heads/main", first);  // receive-pack moves the ref once the hook accepted
  driver_.start_error = "web replica 0 did not pass its health check";
  const auto [second, quarantine] = pushed(with(kProcfileApp, "Procfile", "web: ./run --broken\n"), first);
  const auto [live, id] = deploy(first, second, quarantine);
  EXPECT_FALSE(live);
  EXPECT_TRUE(out_.has("failed: web replica 0 did not pass its health check; the previous release (v1) is still "
                       "serving\n"))
      << out_.text;
  EXPECT_EQ(deploy_column(id, "status"), "failed");
  EXPECT_EQ(deploy_column(1, "status"), "live");
  auto live_release = store_.live_release("shop", "production");
  ASSERT_TRUE(live_release);
  EXPECT_EQ(live_release->version, 1);
  EXPECT_EQ(store_.release_version("shop", "production", 2)->status, state::ReleaseStatus::failed);
  EXPECT_EQ(driver_.count("stop pod-web-0-v1"), 0u);
  expect_cleaned_up(id);
}

TEST_F(DeployTest, AStalePushIsRefusedBeforeBuilding) {
  const auto seen = landed(kProcfileApp);  // what the pusher fetched
  const auto moved = landed(with(kProcfileApp, "README", "moved on\n"), seen);  // another push landed meanwhile
  const auto [sha, quarantine] = pushed(with(kProcfileApp, "README", "mine\n"), seen);
  const auto [live, id] = deploy(seen, sha, quarantine);
  EXPECT_FALSE(live);
  const auto message = "stale push: main moved to " + moved.substr(0, 7) +
                       " while this push waited; run git fetch, rebase or merge, and push again";
  EXPECT_TRUE(out_.has("failed: " + message + "; nothing was running before")) << out_.text;
  EXPECT_EQ(deploy_column(id, "error"), message);
  EXPECT_TRUE(builder_.calls.empty());
  EXPECT_TRUE(driver_.calls.empty());
}

TEST_F(DeployTest, CreatingABranchThatAppearedMeanwhileIsStale) {
  landed(kProcfileApp);
  const auto [sha, quarantine] = pushed(with(kProcfileApp, "README", "mine\n"));
  const auto [live, id] = deploy(kZeroSha, sha, quarantine);
  EXPECT_FALSE(live);
  EXPECT_NE(deploy_column(id, "error").find("stale push: main moved to "), std::string::npos);
  EXPECT_TRUE(builder_.calls.empty());
}

TEST_F(DeployTest, AMalformedPorterYamlFailsWithItsOneLineError) {
  const std::string yaml = "services:\n  web:\n    replicas: lots\n";
  const auto expected = config::parse_app_config(yaml);
  ASSERT_FALSE(expected);
  ASSERT_EQ(expected.error().message.find('\n'), std::string::npos);
  const auto [sha, quarantine] = pushed(with(kProcfileApp, "porter.yaml", yaml));
  const auto [live, id] = deploy(kZeroSha, sha, quarantine);
  EXPECT_FALSE(live);
  EXPECT_TRUE(out_.has("failed: " + expected.error().message + "; nothing was running before")) << out_.text;
  EXPECT_EQ(deploy_column(id, "error"), expected.error().message);
  EXPECT_TRUE(builder_.calls.empty());
  expect_cleaned_up(id);
}

TEST_F(DeployTest, UnparsableYamlIsOneLineToo) {
  const auto [sha, quarantine] = pushed(with(kProcfileApp, "porter.yaml", "services: [web\n  replicas: {\n"));
  const auto [live, id] = deploy(kZeroSha, sha, quarantine);
  EXPECT_FALSE(live);
  const auto error = deploy_column(id, "error");
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_TRUE(builder_.calls.empty());
}

TEST_F(DeployTest, PorterYamlShapesTheReleaseAndWhatTheBuildSees) {
  store_.change_config_vars("shop", "production", {{"NPM_TOKEN", "npm-secret-1"}, {"OTHER", "other-secret"}}, {});
  const std::string yaml =
      "build:\n  config_vars: [NPM_TOKEN]\n"
      "services:\n  web:\n    replicas: 3\n"
      "predeploy:\n  run: bin/migrate\n";
  const auto [sha, quarantine] = pushed(with(kProcfileApp, "porter.yaml", yaml));
  const auto [live, id] = deploy(kZeroSha, sha, quarantine);
  ASSERT_TRUE(live) << out_.text;
  ASSERT_EQ(builder_.calls.size(), 1u);
  EXPECT_EQ(builder_.calls[0].build_env, (std::map<std::string, std::string>{{"NPM_TOKEN", "npm-secret-1"}}));
  EXPECT_EQ(driver_.calls, (std::vector<std::string>{"predeploy v1", "start v1", "route v1"}));
  EXPECT_EQ(driver_.started[0].predeploy, (std::vector<std::string>{"/bin/sh", "-c", "bin/migrate"}));
  EXPECT_EQ(driver_.started[0].services.at(0).replicas, 3);
  EXPECT_EQ(store_.live_release("shop", "production")->replicas.size(), 3u);
}

TEST_F(DeployTest, ABuildConfigVarThatIsNotSetFailsTheDeploy) {
  const auto [sha, quarantine] = pushed(with(kProcfileApp, "porter.yaml", "build:\n  config_vars: [NPM_TOKEN]\n"));
  const auto [live, id] = deploy(kZeroSha, sha, quarantine);
  EXPECT_FALSE(live);
  EXPECT_EQ(deploy_column(id, "error"), "build.config_vars names 'NPM_TOKEN', which is not set in production");
  EXPECT_TRUE(builder_.calls.empty());
}

TEST_F(DeployTest, ACheckoutWithoutThePushedObjectsFails) {
  const auto [sha, quarantine] = pushed(kProcfileApp);
  const auto [live, id] = deploy(kZeroSha, sha, {});  // the quarantine was not handed over
  EXPECT_FALSE(live);
  EXPECT_TRUE(deploy_column(id, "error").starts_with("checkout failed: ")) << deploy_column(id, "error");
  EXPECT_EQ(deploy_column(id, "error").find('\n'), std::string::npos);
  EXPECT_TRUE(builder_.calls.empty());
  expect_cleaned_up(id);
}

TEST_F(DeployTest, AClientGoneDuringTheBuildCancelsTheDeploy) {
  builder_.during = [this] { out_.open = false; progress_.detail("the client has gone"); };
  const auto [sha, quarantine] = pushed(kProcfileApp);
  const auto [live, id] = deploy(kZeroSha, sha, quarantine);
  EXPECT_FALSE(live);
  EXPECT_TRUE(cancel_->cancelled());
  EXPECT_EQ(deploy_column(id, "status"), "cancelled");
  EXPECT_TRUE(driver_.calls.empty());
  EXPECT_TRUE(store_.releases("shop", "production").empty());
  expect_cleaned_up(id);
}

TEST_F(DeployTest, APreBuildHookRefusesAndTheFailureHookIsTold) {
  add_hook("pre-build", "cat >/dev/null\necho builds are paused\nexit 1\n");
  add_hook("on-failure", "cat > " + test::quote((dir_ / "failure.json").string()) + "\n");
  store_.change_config_vars("shop", "production", {{"API_TOKEN", "tok-hunter22"}}, {});
  const auto [sha, quarantine] = pushed(kProcfileApp);
  const auto [live, id] = deploy(kZeroSha, sha, quarantine);
  EXPECT_FALSE(live);
  EXPECT_EQ(deploy_column(id, "error"), "pre-build hook refused: builds are paused");
  EXPECT_TRUE(builder_.calls.empty());
  const auto failure = test::read_file(dir_ / "failure.json");
  EXPECT_NE(failure.find("\"error\": \"pre-build hook refused: builds are paused\""), std::string::npos) << failure;
  EXPECT_NE(failure.find("\"stage\": \"on-failure\""), std::string::npos) << failure;
  EXPECT_NE(failure.find("\"commit\": \"" + sha + "\""), std::string::npos) << failure;
  EXPECT_EQ(failure.find("tok-hunter22"), std::string::npos) << failure;
}

}  // namespace
}  // namespace porter::pipeline
