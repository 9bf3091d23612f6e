#include "commands/admin_commands.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

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

  // `input`: the client's standard input, given as the session gives it (a
  // failure past max_bytes); input_asked_ records the cap a command read it with.
  Outcome run(const std::vector<std::string>& words, const ssh::Identity& who, const std::string& input = "") {
    Outcome outcome{0, {}, {}};
    ssh::CommandOutput output{[&](const std::string& text) {
                                outcome.out += text;
                                return true;
                              },
                              [&](const std::string& text) { outcome.err += text; },
                              [&](std::size_t max_bytes) -> Result<std::string> {
                                input_asked_ = max_bytes;
                                if (input.size() > max_bytes)
                                  return fail("more than " + std::to_string(max_bytes) + " bytes on standard input");
                                return input;
                              },
                              [](std::chrono::milliseconds) { return true; }};
    outcome.status = commands_.run(words, who, output);
    return outcome;
  }

  static ssh::Identity anyone() { return {"alice", std::nullopt, std::nullopt}; }
  state::ConfigVars production_config() { return store_.config_vars("shop", "production"); }

  bool cached(const std::string& env) const { return fs::exists(config_.cache_dir() / "shop" / env / "node" / "key"); }

  static ssh::Identity staging_only() { return {"stella", std::nullopt, std::set<std::string>{"staging"}}; }

  std::optional<std::size_t> input_asked_;
  test::TempDir dir_{"commands"};
  config::GatewayConfig config_ = make_config(dir_ / "data");
  state::Store store_{dir_ / "state.db"};
  pipeline::EnvLocks locks_;
  test::FakeDriver driver_;
  cluster::Drivers drivers_{driver_};
  pipeline::LifecycleHooks hooks_{config_.hooks_dir};
  git::RepoStore repos_{config_.repos_dir()};
  cluster::Metrics metrics_;
  AdminCommands commands_{{config_, store_, locks_, {store_, drivers_, hooks_}, repos_,
                           [](const std::string&) { return ok(); }, metrics_, {}}};
};

TEST_F(AdminCommandsTest, DashboardLinkIsForTheKeyThatAsked) {
  EXPECT_EQ(run({"dashboard"}, anyone()).err, "porter: the dashboard is not running on this gateway\n");
  std::optional<ssh::Identity> asked;
  std::string revoked;
  AdminCommands with_dashboard{{config_, store_, locks_, {store_, drivers_, hooks_}, repos_,
                                [](const std::string&) { return ok(); }, metrics_,
                                {[&](const ssh::Identity& who) {
                                   asked = who;
                                   return std::string("http://127.0.0.1:8090/login/abc");
                                 },
                                 [&](const std::string& name) {
                                   revoked = name;
                                   return std::size_t{2};
                                 },
                                 std::chrono::seconds(60)}}};
  std::string out;
  const ssh::CommandOutput output{[&](const std::string& text) { return out += text, true; },
                                  [&](const std::string& text) { out += text; }, nullptr,
                                  [](std::chrono::milliseconds) { return true; }};
  EXPECT_EQ(with_dashboard.run({"dashboard"}, staging_only(), output), 0);
  EXPECT_EQ(out, "Open http://127.0.0.1:8090/login/abc within 60 s (one use)\n");
  ASSERT_TRUE(asked);
  EXPECT_EQ(asked->name, "stella");
  EXPECT_EQ(asked->environments, staging_only().environments);
  out.clear();
  EXPECT_EQ(with_dashboard.run({"dashboard:logout-all"}, staging_only(), output), 0);
  EXPECT_EQ(out, "ended 2 dashboard sessions of stella\n");
  EXPECT_EQ(revoked, "stella");
}

TEST_F(AdminCommandsTest, ChangeConfigChecksAccessKeysAndValues) {
  std::string out;
  const ssh::CommandOutput output{[&](const std::string& text) { return out += text, true; },
                                  [&](const std::string& text) { out += text; }, nullptr,
                                  [](std::chrono::milliseconds) { return true; }};
  const auto before = production_config();
  EXPECT_EQ(commands_.change_config("shop", "production", {{"A", "1"}}, {}, staging_only(), output), 1);
  EXPECT_EQ(out, "porter: access denied: your key may not use production\n");
  out.clear();
  EXPECT_EQ(commands_.change_config("shop", "production", {{"1A", "1"}}, {}, anyone(), output), 1);
  EXPECT_NE(out.find("invalid config key"), std::string::npos);
  out.clear();
  EXPECT_EQ(commands_.change_config("shop", "production", {{"A", std::string("a\0b", 3)}}, {}, anyone(), output), 1);
  EXPECT_EQ(commands_.change_config("shop", "production", {}, {}, anyone(), output), 1);
  EXPECT_EQ(production_config(), before);
}

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

TEST_F(AdminCommandsTest, ProcessCommandsObeyTheKeysEnvironmentsAndChangeNothingElsewhere) {
  for (const auto& words : std::vector<std::vector<std::string>>{{"ps", "shop"},
                                                                 {"ps:scale", "shop", "web=3"},
                                                                 {"ps:resize", "shop", "web", "--memory", "1G"},
                                                                 {"ps:restart", "shop"},
                                                                 {"logs", "shop", "-f"}}) {
    auto refused = run(words, staging_only());
    EXPECT_EQ(refused.status, 1) << words[0];
    EXPECT_EQ(refused.err, "porter: access denied: your key may not use production\n") << words[0];
  }
  EXPECT_TRUE(store_.formation("shop", "production").empty());
  auto other_app = run({"ps:scale", "blog", "web=2"}, {"bob", std::set<std::string>{"shop"}, std::nullopt});
  EXPECT_EQ(other_app.err, "porter: access denied: your key may not use app 'blog'\n");
  auto nothing_live = run({"ps:scale", "shop", "-e", "staging", "web=2"}, staging_only());
  EXPECT_EQ(nothing_live.err, "porter: nothing runs in shop (staging) yet: push first\n");
  EXPECT_TRUE(store_.formation("shop", "staging").empty());
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

constexpr const char* kPem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKx\n-----END PRIVATE KEY-----\n";

TEST_F(AdminCommandsTest, ConfigSetStdinStoresTheInputByteForByte) {
  auto set = run({"config:set", "shop", "-e", "production", "TLS_KEY", "--stdin"}, anyone(), kPem);
  EXPECT_EQ(set.status, 0) << set.err;
  EXPECT_EQ(input_asked_, kMaxStdinValue);
  EXPECT_EQ(production_config(), (state::ConfigVars{{"TLS_KEY", kPem}}));  // the final newline kept
  EXPECT_NE(set.out.find("Set TLS_KEY on shop (production)"), std::string::npos) << set.out;

  // Exactly at the cap is fine.
  const std::string largest(kMaxStdinValue, 'x');
  EXPECT_EQ(run({"config:set", "shop", "BIG", "--stdin"}, anyone(), largest).status, 0);
  EXPECT_EQ(production_config()["BIG"], largest);
}

TEST_F(AdminCommandsTest, ConfigSetStdinRefusesTooMuchOrNonTextAndChangesNothing) {
  ASSERT_EQ(run({"config:set", "shop", "TLS_KEY", "--stdin"}, anyone(), kPem).status, 0);
  const auto before = production_config();
  auto large = run({"config:set", "shop", "TLS_KEY", "--stdin"}, anyone(), std::string(kMaxStdinValue + 1, 'x'));
  EXPECT_EQ(large.status, 1);
  EXPECT_EQ(large.err, "porter: cannot read the value of TLS_KEY: more than 65536 bytes on standard input\n");
  EXPECT_EQ(large.out, "");
  auto binary = run({"config:set", "shop", "TLS_KEY", "--stdin"}, anyone(), std::string("a\0b", 3));
  EXPECT_EQ(binary.err, "porter: the value of TLS_KEY contains a NUL byte\n");
  EXPECT_EQ(production_config(), before);
}

TEST_F(AdminCommandsTest, StdinIsReadOnlyByConfigSetStdinWithAccess) {
  EXPECT_EQ(run({"config:set", "shop", "A=1"}, anyone(), "ignored").status, 0);
  EXPECT_EQ(run({"config", "shop"}, anyone(), "ignored").status, 0);
  EXPECT_FALSE(input_asked_);
  // A key that may not touch production is refused before any input is read.
  EXPECT_EQ(run({"config:set", "shop", "K", "--stdin"}, staging_only(), "value").status, 1);
  EXPECT_EQ(run({"config:set", "blog", "K", "--stdin"}, anyone(), "value").status, 1);  // no such app
  EXPECT_FALSE(input_asked_);
  EXPECT_EQ(production_config(), (state::ConfigVars{{"A", "1"}}));
}

TEST_F(AdminCommandsTest, ConfigListsAMultiLineValueOnOneLineAndGetPrintsItAsStored) {
  ASSERT_EQ(run({"config:set", "shop", "TLS_KEY", "--stdin"}, anyone(), "a\\b\r\nc\n").status, 0);
  ASSERT_EQ(run({"config:set", "shop", "PLAIN=x\\ny"}, anyone()).status, 0);
  EXPECT_EQ(run({"config", "shop"}, anyone()).out, "PLAIN=x\\ny\nTLS_KEY=a\\\\b\\r\\nc\\n\n");
  EXPECT_EQ(run({"config:get", "shop", "TLS_KEY"}, anyone()).out, "a\\b\r\nc\n\n");
}

TEST_F(AdminCommandsTest, DeploysListsTheHistoryAKeyMaySee) {
  const ssh::Identity everyone{"root", std::nullopt, std::nullopt};
  const auto production = store_.create_deploy({"shop", "production", "refs/heads/main", "0", "abc1234", "alice"},
                                               config_.logs_dir());
  const auto staging = store_.create_deploy({"shop", "staging", "refs/heads/staging", "0", "def5678", "bob"},
                                            config_.logs_dir());
  store_.finish(production, state::DeployStatus::failed, "boom");

  const auto all = run({"deploys", "shop"}, everyone);
  EXPECT_EQ(all.status, 0);
  EXPECT_NE(all.out.find("#" + std::to_string(staging) + " "), std::string::npos) << all.out;
  EXPECT_LT(all.out.find("staging"), all.out.find("production"));  // newest first
  EXPECT_NE(all.out.find("failed"), std::string::npos);
  EXPECT_NE(all.out.find("abc1234"), std::string::npos);

  const auto limited = run({"deploys", "shop"}, staging_only());
  EXPECT_EQ(limited.out.find("production"), std::string::npos) << limited.out;
  EXPECT_NE(limited.out.find("def5678"), std::string::npos);
  EXPECT_EQ(run({"deploys", "shop", "-e", "production"}, staging_only()).status, 1);  // refused
}

TEST_F(AdminCommandsTest, DeployLogPrintsTheLogToAKeyThatMaySeeIt) {
  const ssh::Identity everyone{"root", std::nullopt, std::nullopt};
  const auto id = store_.create_deploy({"shop", "production", "refs/heads/main", "0", "abc1234", "alice"},
                                       config_.logs_dir());
  test::write_file(config_.logs_dir() / (std::to_string(id) + ".log"), "-----> Building\n=====> live\n");

  const auto shown = run({"deploy:log", std::to_string(id)}, everyone);
  EXPECT_EQ(shown.status, 0);
  EXPECT_EQ(shown.out, "-----> Building\n=====> live\n");
  EXPECT_EQ(run({"deploy:log", "#" + std::to_string(id)}, everyone).out, shown.out);

  // A key that may not see production learns nothing, not even that it exists.
  const auto hidden = run({"deploy:log", std::to_string(id)}, staging_only());
  EXPECT_EQ(hidden.status, 1);
  EXPECT_EQ(hidden.err, "porter: no deploy #" + std::to_string(id) + " that your key may see\n");
  EXPECT_EQ(run({"deploy:log", "999"}, everyone).err, "porter: no deploy #999 that your key may see\n");
  EXPECT_EQ(run({"deploy:log", "x"}, everyone).err, "porter: expected a deploy id like 41\n");

  fs::remove(config_.logs_dir() / (std::to_string(id) + ".log"));
  EXPECT_EQ(run({"deploy:log", std::to_string(id)}, everyone).err,
            "porter: the log of deploy #" + std::to_string(id) + " is gone: older logs go past limits.logs_mb\n");
}

TEST_F(AdminCommandsTest, RunNeedsALiveReleaseAndReturnsTheCommandsExitCode) {
  const auto nothing = run({"run", "shop", "--", "true"}, anyone());
  EXPECT_EQ(nothing.status, 1);
  EXPECT_EQ(nothing.err, "porter: nothing runs in shop (production) yet: push first\n");

  auto record = store_.create_release({.app = "shop", .env = "production", .deploy_id = 0, .commit_sha = "abc",
                                       .image = "img", .plan_yaml = release::to_yaml(release::ReleasePlan{}),
                                       .description = "d", .pusher = "p", .config = {}});
  store_.mark_release_live(record.id, {});
  driver_.run_exit = 3;
  const auto ran = run({"run", "shop", "--", "sh", "-c", "exit 3"}, anyone());
  EXPECT_EQ(ran.status, 3);
  EXPECT_EQ(ran.out, "ran exit 3\n");
  EXPECT_EQ(driver_.calls.back(), "run v1 exit 3");
  EXPECT_EQ(run({"run", "shop", "-e", "production", "--", "true"}, staging_only()).status, 1);  // no access
}

// Where the session relays bytes, `run` is attached: the driver gets the
// child's ends (a terminal's when the client has one, with its TERM), and
// the session the gateway's, until the one-off has ended.
TEST_F(AdminCommandsTest, RunIsAttachedWhereTheSessionRelaysAndGetsTheClientsTerminal) {
  auto record = store_.create_release({.app = "shop", .env = "production", .deploy_id = 0, .commit_sha = "abc",
                                       .image = "img", .plan_yaml = release::to_yaml(release::ReleasePlan{}),
                                       .description = "d", .pusher = "p", .config = {}});
  store_.mark_release_live(record.id, {});
  driver_.run_exit = 7;
  for (const bool with_terminal : {false, true}) {
    SCOPED_TRACE(with_terminal ? "with a terminal" : "without");
    std::string relayed, lines;
    bool had_input = false, had_errors = false, terminal = false;
    ssh::CommandOutput output{[&](const std::string& text) {
                                lines += text;
                                return true;
                              },
                              [&](const std::string& text) { lines += text; },
                              [](std::size_t) -> Result<std::string> { return std::string(); },
                              [](std::chrono::milliseconds) { return true; },
                              with_terminal ? std::optional<ssh::Terminal>({"xterm-256color", {40, 100}})
                                            : std::nullopt,
                              [&](proc::AttachedStreams& streams, int ended) {
                                had_input = static_cast<bool>(streams.input);
                                had_errors = static_cast<bool>(streams.errors);
                                terminal = streams.terminal;
                                pollfd done{ended, POLLIN, 0};
                                EXPECT_EQ(::poll(&done, 1, 10000), 1);  // the one-off has returned
                                char buffer[256];
                                const auto n = ::read(streams.output.get(), buffer, sizeof buffer);
                                if (n > 0) relayed.assign(buffer, static_cast<std::size_t>(n));
                                return true;
                              }};
    EXPECT_EQ(commands_.run({"run", "shop", "--", "cat"}, anyone(), output), 7);
    EXPECT_EQ(lines, "");
    EXPECT_TRUE(had_input);
    EXPECT_EQ(terminal, with_terminal);
    EXPECT_EQ(had_errors, !with_terminal);  // a terminal merges stdout and stderr
    EXPECT_EQ(relayed, with_terminal ? "ran cat on a terminal xterm-256color\n" : "ran cat\n");
  }
}

}  // namespace
}  // namespace porter::commands
