#include "commands/admin_commands.hpp"

#include <gtest/gtest.h>

#include "support/fakes.hpp"
#include "support/temp_dir.hpp"

namespace porter::commands {
namespace {

namespace fs = std::filesystem;

// Management commands run as the SSH layer runs them, over a real store and
// data directory, with the fake cluster driver.
class AdminCommandsTest : public ::testing::Test {
 protected:
  AdminCommandsTest() {
    // What RepoStore::exists looks for: the app's bare repository.
    test::write_file(config_.repos_dir() / "shop.git" / "HEAD", "ref: refs/heads/main\n");
    for (const char* env : {"production", "staging"})
      test::write_file(config_.cache_dir() / "shop" / env / "node" / "key", "cached\n");
  }

  static config::GatewayConfig make_config(const fs::path& data_dir) {
    config::GatewayConfig config;
    config.data_dir = data_dir;
    config.hooks_dir = data_dir / "hooks";
    return config;
  }

  struct Outcome {
    int status;
    std::string out, err;
  };

  Outcome run(const std::vector<std::string>& words, const ssh::Identity& who) {
    Outcome outcome{0, {}, {}};
    ssh::CommandOutput output{[&](const std::string& text) {
                                outcome.out += text;
                                return true;
                              },
                              [&](const std::string& text) { outcome.err += text; }};
    outcome.status = commands_.run(words, who, output);
    return outcome;
  }

  bool cached(const std::string& env) const { return fs::exists(config_.cache_dir() / "shop" / env / "node" / "key"); }

  static ssh::Identity staging_only() { return {"stella", std::nullopt, std::set<std::string>{"staging"}}; }

  test::TempDir dir_{"commands"};
  config::GatewayConfig config_ = make_config(dir_ / "data");
  state::Store store_{dir_ / "state.db"};
  pipeline::EnvLocks locks_;
  test::FakeDriver driver_;
  cluster::Drivers drivers_{driver_};
  pipeline::LifecycleHooks hooks_{config_.hooks_dir};
  git::RepoStore repos_{config_.repos_dir()};
  AdminCommands commands_{{config_, store_, locks_, {store_, drivers_, hooks_}, repos_,
                           [](const std::string&) { return ok(); }}};
};

TEST_F(AdminCommandsTest, PurgingEveryEnvironmentNeedsAKeyForEveryEnvironment) {
  auto refused = run({"cache:purge", "shop"}, staging_only());
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(refused.err,
            "porter: access denied: your key may not purge every environment's cache; name one with -e\n");
  EXPECT_EQ(refused.out, "");
  EXPECT_TRUE(cached("production"));
  EXPECT_TRUE(cached("staging"));

  // Even a key listing every environment there is now: "every" includes the ones made later.
  auto listed = run({"cache:purge", "shop"}, {"both", std::nullopt, std::set<std::string>{"production", "staging"}});
  EXPECT_EQ(listed.status, 1);
  EXPECT_TRUE(cached("production"));
  EXPECT_TRUE(cached("staging"));
}

TEST_F(AdminCommandsTest, AKeyPurgesTheEnvironmentsItMayUse) {
  auto production = run({"cache:purge", "shop", "-e", "production"}, staging_only());
  EXPECT_EQ(production.status, 1);
  EXPECT_EQ(production.err, "porter: access denied: your key may not use production\n");
  EXPECT_TRUE(cached("production"));

  auto staging = run({"cache:purge", "shop", "-e", "staging"}, staging_only());
  EXPECT_EQ(staging.status, 0) << staging.err;
  EXPECT_EQ(staging.out, "purged the build cache of shop (staging)\n");
  EXPECT_FALSE(cached("staging"));
  EXPECT_TRUE(cached("production"));
}

TEST_F(AdminCommandsTest, AnUnrestrictedKeyPurgesEveryEnvironment) {
  // Limited to some apps only: every environment of those apps is still its own.
  auto everything = run({"cache:purge", "shop"}, {"alice", std::set<std::string>{"shop"}, std::nullopt});
  EXPECT_EQ(everything.status, 0) << everything.err;
  EXPECT_EQ(everything.out, "purged the build cache of shop\n");
  EXPECT_FALSE(cached("production"));
  EXPECT_FALSE(cached("staging"));
}

TEST_F(AdminCommandsTest, AKeyForOtherAppsIsRefusedFirst) {
  auto refused = run({"cache:purge", "shop"}, {"bob", std::set<std::string>{"blog"}, std::nullopt});
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(refused.err, "porter: access denied: your key may not use app 'shop'\n");
  EXPECT_TRUE(cached("production"));
}

}  // namespace
}  // namespace porter::commands
