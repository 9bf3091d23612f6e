#include "state/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "state/migrations.hpp"
#include "support/raw_db.hpp"

namespace porter::state {
namespace {

namespace fs = std::filesystem;
using test::RawDb;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "porter-store-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path db_path() const { return dir_ / "state.db"; }

  // A database as a gateway that shipped `version` migrations left it.
  void make_database_at(std::size_t version) {
    RawDb db(db_path());
    for (std::size_t i = 0; i < version; ++i) db.exec(kMigrations[i]);
    db.exec("PRAGMA user_version=" + std::to_string(version));
  }

  NewRelease new_release(const std::string& app, const std::string& env, ConfigVars config = {}) {
    return {.app = app, .env = env, .deploy_id = 0, .commit_sha = "abc1234", .image = "img", .plan_yaml = "plan",
            .description = "test", .pusher = "alice", .config = std::move(config)};
  }

  // Makes every insert of a row matching `when` fail, as a full disk or a
  // crash would in the middle of a multi-row write.
  void fail_inserts_into(const std::string& table, const std::string& when) {
    RawDb(db_path()).exec("CREATE TRIGGER fail_" + table + " BEFORE INSERT ON " + table + " WHEN " + when +
                          " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }

  fs::path dir_;
};

// ---- migrations ----

TEST_F(StoreTest, NewDatabaseReachesTheLatestVersion) {
  Store store(db_path());
  RawDb db(db_path());
  EXPECT_EQ(db.number("PRAGMA user_version"), static_cast<long long>(kMigrations.size()));
  EXPECT_EQ(db.text("PRAGMA journal_mode"), "wal");
}

TEST_F(StoreTest, UpgradesAVersion1DatabaseKeepingItsRows) {
  make_database_at(1);
  {
    RawDb db(db_path());
    db.exec("INSERT INTO apps(name) VALUES('shop')");
    db.exec("INSERT INTO deploys(app, env, ref, old_sha, new_sha, pusher, status, image)"
            " VALUES('shop','production','refs/heads/main','0000','1111','alice','live','img:1')");
  }
  Store store(db_path());
  EXPECT_EQ(store.list_apps(), std::vector<std::string>{"shop"});
  store.record_image(1, "reg/shop@sha256:ab", "sha256:ab", 42);  // a column version 2 added
  store.change_config_vars("shop", "production", {{"A", "1"}}, {});  // a table version 3 added
  RawDb db(db_path());
  EXPECT_EQ(db.number("PRAGMA user_version"), static_cast<long long>(kMigrations.size()));
  EXPECT_EQ(db.text("SELECT new_sha || ' ' || status || ' ' || image_digest FROM deploys WHERE id=1"),
            "1111 live sha256:ab");
  EXPECT_EQ(store.config_vars("shop", "production"), (ConfigVars{{"A", "1"}}));
}

TEST_F(StoreTest, UpgradesAVersion2DatabaseKeepingItsRows) {
  make_database_at(2);
  {
    RawDb db(db_path());
    db.exec("INSERT INTO apps(name) VALUES('blog')");
    db.exec("INSERT INTO deploys(app, env, ref, old_sha, new_sha, pusher, status, image_digest, image_size)"
            " VALUES('blog','staging','refs/heads/staging','0000','2222','bob','running','sha256:cd',7)");
  }
  Store store(db_path());
  EXPECT_EQ(store.list_apps(), std::vector<std::string>{"blog"});
  EXPECT_EQ(store.mark_unfinished_interrupted(), 1);
  auto created = store.create_release(new_release("blog", "staging"));
  EXPECT_EQ(created.version, 1);
  RawDb db(db_path());
  EXPECT_EQ(db.number("PRAGMA user_version"), static_cast<long long>(kMigrations.size()));
  EXPECT_EQ(db.text("SELECT new_sha || ' ' || status || ' ' || image_digest || ' ' || image_size FROM deploys"),
            "2222 interrupted sha256:cd 7");
}

TEST_F(StoreTest, ReopeningKeepsDataAndVersion) {
  {
    Store store(db_path());
    store.create_app("shop");
    store.change_config_vars("shop", "production", {{"A", "1"}}, {});
  }
  Store store(db_path());
  EXPECT_EQ(store.list_apps(), std::vector<std::string>{"shop"});
  EXPECT_EQ(store.config_vars("shop", "production"), (ConfigVars{{"A", "1"}}));
  EXPECT_EQ(RawDb(db_path()).number("PRAGMA user_version"), static_cast<long long>(kMigrations.size()));
}

TEST_F(StoreTest, AFailedMigrationLeavesThePreviousVersion) {
  make_database_at(1);
  RawDb(db_path()).exec("ALTER TABLE deploys ADD COLUMN image_size INTEGER");  // migration 2 adds it too
  EXPECT_THROW(Store{db_path()}, std::runtime_error);
  RawDb db(db_path());
  EXPECT_EQ(db.number("PRAGMA user_version"), 1);
  // Its first statement was undone with the rest.
  EXPECT_EQ(db.number("SELECT COUNT(*) FROM pragma_table_info('deploys') WHERE name='image_digest'"), 0);
}

// Databases out there ran these exact texts: a change must be a new migration.
TEST(Migrations, ShippedOnesNeverChange) {
  auto fnv1a = [](std::string_view text) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ull;
    return hash;
  };
  const std::uint64_t shipped[] = {0xc2d036c3422345e1ull, 0xdc4085c58be0e047ull, 0x11bf4afe0e701daeull};
  ASSERT_GE(kMigrations.size(), std::size(shipped));
  for (std::size_t i = 0; i < std::size(shipped); ++i)
    EXPECT_EQ(fnv1a(kMigrations[i]), shipped[i]) << "migration " << i + 1 << " was edited after it shipped";
}

TEST_F(StoreTest, TheDatabaseIsOwnerOnly) {
  Store store(db_path());
  store.change_config_vars("shop", "production", {{"SECRET", "x"}}, {});
  struct stat info {};
  ASSERT_EQ(::stat(db_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

// ---- deploys ----

TEST_F(StoreTest, DeployRecordsFollowTheirLifecycle) {
  Store store(db_path());
  const NewDeploy push{"shop", "production", "refs/heads/main", "0000", "1111", "alice"};
  const auto first = store.create_deploy(push, dir_ / "logs");
  const auto second = store.create_deploy(push, dir_ / "logs");
  const auto staging = store.create_deploy({"shop", "staging", "refs/heads/staging", "0", "3", "bob"}, dir_ / "logs");
  EXPECT_LT(first, second);
  RawDb db(db_path());
  auto field = [&](std::int64_t id, const std::string& column) {
    return db.text("SELECT " + column + " FROM deploys WHERE id=" + std::to_string(id));
  };
  EXPECT_EQ(field(first, "status"), "queued");
  EXPECT_EQ(field(first, "log_path"), (dir_ / "logs" / (std::to_string(first) + ".log")).string());

  store.set_status(first, DeployStatus::running);
  store.record_image(first, "reg/shop@sha256:ab", "sha256:ab", 1234);
  EXPECT_EQ(field(first, "status"), "running");
  EXPECT_EQ(field(first, "image || ' ' || image_digest || ' ' || image_size"), "reg/shop@sha256:ab sha256:ab 1234");

  store.finish(second, DeployStatus::failed, "build failed: boom");
  EXPECT_EQ(field(second, "status || ' ' || error"), "failed build failed: boom");
  EXPECT_NE(field(second, "finished_at"), "");
  EXPECT_GE(db.number("SELECT duration_ms FROM deploys WHERE id=" + std::to_string(second)), 0);

  store.mark_deploy_live(staging, "http://staging.shop.localhost:8080");
  store.mark_deploy_live(first, "http://production.shop.localhost:8080");
  const auto third = store.create_deploy(push, dir_ / "logs");
  store.mark_deploy_live(third, "http://production.shop.localhost:8080");
  EXPECT_EQ(field(first, "status"), "superseded");
  EXPECT_EQ(field(third, "status || ' ' || url"), "live http://production.shop.localhost:8080");
  EXPECT_EQ(field(staging, "status"), "live");  // another environment
}

TEST_F(StoreTest, UnfinishedDeploysAreMarkedInterrupted) {
  Store store(db_path());
  const NewDeploy push{"shop", "production", "refs/heads/main", "0000", "1111", "alice"};
  const auto queued = store.create_deploy(push, dir_);
  const auto running = store.create_deploy(push, dir_);
  const auto failed = store.create_deploy(push, dir_);
  const auto live = store.create_deploy(push, dir_);
  store.set_status(running, DeployStatus::running);
  store.finish(failed, DeployStatus::failed, "x");
  store.mark_deploy_live(live, "");

  EXPECT_EQ(store.mark_unfinished_interrupted(), 2);
  EXPECT_EQ(store.mark_unfinished_interrupted(), 0);
  RawDb db(db_path());
  auto status = [&](std::int64_t id) { return db.text("SELECT status FROM deploys WHERE id=" + std::to_string(id)); };
  EXPECT_EQ(status(queued), "interrupted");
  EXPECT_EQ(status(running), "interrupted");
  EXPECT_EQ(status(failed), "failed");
  EXPECT_EQ(status(live), "live");
}

// ---- releases ----

TEST(ReleaseStatusText, RoundTrips) {
  for (auto status : {ReleaseStatus::pending, ReleaseStatus::live, ReleaseStatus::failed, ReleaseStatus::superseded})
    EXPECT_EQ(release_status_from(to_string(status)), status);
  EXPECT_EQ(release_status_from("Live"), std::nullopt);
  EXPECT_EQ(release_status_from(""), std::nullopt);
}

TEST_F(StoreTest, VersionsCountPerEnvironmentFromOne) {
  Store store(db_path());
  EXPECT_EQ(store.create_release(new_release("shop", "production")).version, 1);
  EXPECT_EQ(store.create_release(new_release("shop", "staging")).version, 1);
  EXPECT_EQ(store.create_release(new_release("shop", "production")).version, 2);
  EXPECT_EQ(store.create_release(new_release("blog", "production")).version, 1);
  const auto third = store.create_release(new_release("shop", "production", {{"KEY", "v3"}}));
  EXPECT_EQ(third.version, 3);
  EXPECT_EQ(third.status, ReleaseStatus::pending);
  EXPECT_EQ(third.config, (ConfigVars{{"KEY", "v3"}}));

  std::vector<int> versions;
  for (const auto& release : store.releases("shop", "production")) versions.push_back(release.version);
  EXPECT_EQ(versions, (std::vector<int>{3, 2, 1}));
  EXPECT_EQ(store.releases("shop", "staging").size(), 1u);
  EXPECT_TRUE(store.releases("shop", "development").empty());
  auto found = store.release_version("shop", "production", 3);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, third.id);
  EXPECT_EQ(found->config, third.config);
  EXPECT_FALSE(store.release_version("shop", "production", 4));
}

TEST_F(StoreTest, ConcurrentReleasesGetDistinctVersions) {
  Store store(db_path());
  constexpr int kThreads = 8, kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) store.create_release(new_release("shop", "production"));
    });
  for (auto& thread : threads) thread.join();
  std::set<int> versions;
  for (const auto& release : store.releases("shop", "production")) versions.insert(release.version);
  EXPECT_EQ(versions.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(*versions.begin(), 1);
  EXPECT_EQ(*versions.rbegin(), kThreads * kEach);
}

TEST_F(StoreTest, GoingLiveSupersedesThePreviousReleaseAndItsReplicas) {
  Store store(db_path());
  const std::vector<release::Replica> old_replicas = {{"web", 0, "shop-production-v1-web-0", 41000},
                                                      {"worker", 0, "shop-production-v1-worker-0", 0}};
  const std::vector<release::Replica> new_replicas = {{"web", 0, "shop-production-v2-web-0", 41001},
                                                      {"web", 1, "shop-production-v2-web-1", 41002}};
  const std::vector<release::Replica> staging_replicas = {{"web", 0, "shop-staging-v1-web-0", 42000}};
  const auto v1 = store.create_release(new_release("shop", "production"));
  const auto staging = store.create_release(new_release("shop", "staging"));
  store.mark_release_live(v1.id, old_replicas);
  store.mark_release_live(staging.id, staging_replicas);
  EXPECT_EQ(store.live_release("shop", "production")->replicas, old_replicas);

  const auto v2 = store.create_release(new_release("shop", "production"));
  store.mark_release_live(v2.id, new_replicas);

  auto live = store.live_release("shop", "production");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->version, 2);
  EXPECT_EQ(live->replicas, new_replicas);
  auto old = store.release_version("shop", "production", 1);
  EXPECT_EQ(old->status, ReleaseStatus::superseded);
  EXPECT_TRUE(old->replicas.empty());
  RawDb db(db_path());
  EXPECT_EQ(db.number("SELECT COUNT(*) FROM releases WHERE app='shop' AND env='production' AND status='live'"), 1);
  EXPECT_EQ(db.number("SELECT COUNT(*) FROM replicas WHERE release_id=" + std::to_string(v1.id)), 0);
  // Another environment keeps its live release and replicas.
  EXPECT_EQ(store.live_release("shop", "staging")->replicas, staging_replicas);
  EXPECT_EQ(store.live_releases().size(), 2u);
}

TEST_F(StoreTest, GoingLiveIsAllOrNothing) {
  Store store(db_path());
  const std::vector<release::Replica> old_replicas = {{"web", 0, "v1-web-0", 41000}};
  const auto v1 = store.create_release(new_release("shop", "production"));
  store.mark_release_live(v1.id, old_replicas);
  const auto v2 = store.create_release(new_release("shop", "production"));
  fail_inserts_into("replicas", "NEW.pod = 'v2-web-1'");

  EXPECT_THROW(store.mark_release_live(v2.id, {{"web", 0, "v2-web-0", 41001}, {"web", 1, "v2-web-1", 41002}}),
               std::runtime_error);

  auto live = store.live_release("shop", "production");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->id, v1.id);
  EXPECT_EQ(live->replicas, old_replicas);
  auto failed = store.release_version("shop", "production", 2);
  EXPECT_EQ(failed->status, ReleaseStatus::pending);
  EXPECT_TRUE(failed->replicas.empty());
}

TEST_F(StoreTest, AFailedReleaseLeavesTheLiveOneAlone) {
  Store store(db_path());
  const auto v1 = store.create_release(new_release("shop", "production"));
  store.mark_release_live(v1.id, {{"web", 0, "v1-web-0", 41000}});
  const auto v2 = store.create_release(new_release("shop", "production"));
  store.set_release_status(v2.id, ReleaseStatus::failed);
  EXPECT_EQ(store.live_release("shop", "production")->id, v1.id);
  EXPECT_EQ(store.release_version("shop", "production", 2)->status, ReleaseStatus::failed);
  EXPECT_EQ(store.live_release("shop", "production")->replicas.size(), 1u);
}

// ---- config vars ----

TEST_F(StoreTest, ChangeConfigVarsSetsAndUnsetsInOneEnvironment) {
  Store store(db_path());
  store.change_config_vars("shop", "production", {{"A", "1"}, {"B", "2"}, {"C", "3"}}, {});
  store.change_config_vars("shop", "staging", {{"A", "staging"}}, {});
  store.change_config_vars("shop", "production", {{"B", "two"}, {"D", "4"}}, {"A", "C", "NEVER_SET"});
  EXPECT_EQ(store.config_vars("shop", "production"), (ConfigVars{{"B", "two"}, {"D", "4"}}));
  EXPECT_EQ(store.config_vars("shop", "staging"), (ConfigVars{{"A", "staging"}}));
  store.change_config_vars("shop", "production", {{"B", "set"}}, {"B"});
  EXPECT_EQ(store.config_vars("shop", "production"), (ConfigVars{{"D", "4"}}));  // removal wins
}

TEST_F(StoreTest, ReplaceConfigVarsMakesTheEnvironmentExactlyTheSnapshot) {
  Store store(db_path());
  store.change_config_vars("shop", "production", {{"A", "1"}, {"B", "2"}}, {});
  store.change_config_vars("shop", "staging", {{"A", "staging"}}, {});
  store.change_config_vars("blog", "production", {{"A", "blog"}}, {});
  const auto snapshot = store.config_vars("shop", "production");

  store.change_config_vars("shop", "production", {{"A", "changed"}, {"NEW", "x"}}, {"B"});
  store.replace_config_vars("shop", "production", snapshot);

  EXPECT_EQ(store.config_vars("shop", "production"), snapshot);
  EXPECT_EQ(store.config_vars("shop", "staging"), (ConfigVars{{"A", "staging"}}));
  EXPECT_EQ(store.config_vars("blog", "production"), (ConfigVars{{"A", "blog"}}));
  store.replace_config_vars("shop", "production", {});
  EXPECT_TRUE(store.config_vars("shop", "production").empty());
}

// A write that fails halfway must leave the old config whole: the deletes
// that come first are undone with it.
TEST_F(StoreTest, ReplaceConfigVarsIsOneTransaction) {
  Store store(db_path());
  const ConfigVars before = {{"A", "1"}, {"B", "2"}};
  store.change_config_vars("shop", "production", before, {});
  fail_inserts_into("config_vars", "NEW.key = 'Z_FAILS'");

  EXPECT_THROW(store.replace_config_vars("shop", "production", {{"A", "new"}, {"Z_FAILS", "x"}}), std::runtime_error);
  EXPECT_EQ(store.config_vars("shop", "production"), before);
}

TEST_F(StoreTest, ChangeConfigVarsIsOneTransaction) {
  Store store(db_path());
  const ConfigVars before = {{"A", "1"}, {"B", "2"}};
  store.change_config_vars("shop", "production", before, {});
  fail_inserts_into("config_vars", "NEW.key = 'Z_FAILS'");

  EXPECT_THROW(store.change_config_vars("shop", "production", {{"A", "new"}, {"Z_FAILS", "x"}}, {"B"}),
               std::runtime_error);
  EXPECT_EQ(store.config_vars("shop", "production"), before);
}

// Another connection never sees a half-replaced config: while the Store
// writes, a reader's snapshot shows the old config, and after it the new one.
TEST_F(StoreTest, ReadersSeeTheOldConfigOrTheNewNeverAMix) {
  Store store(db_path());
  ConfigVars old_config, new_config;
  for (int i = 0; i < 200; ++i) old_config["OLD_" + std::to_string(i)] = "1";
  for (int i = 0; i < 200; ++i) new_config["NEW_" + std::to_string(i)] = "2";
  store.replace_config_vars("shop", "production", old_config);

  std::atomic<bool> done = false;
  std::set<long long> seen;
  std::thread reader([&] {
    RawDb db(db_path());
    while (!done) seen.insert(db.number("SELECT COUNT(*) FROM config_vars WHERE app='shop' AND env='production'"));
  });
  for (int round = 0; round < 20; ++round) {
    store.replace_config_vars("shop", "production", round % 2 ? old_config : new_config);
    std::this_thread::yield();
  }
  done = true;
  reader.join();
  EXPECT_EQ(seen, (std::set<long long>{200}));
}

TEST_F(StoreTest, EachEnvironmentKeepsItsOwnUidSlot) {
  {
    Store store(db_path());
    EXPECT_EQ(store.uid_slot("shop", "production"), 0);
    EXPECT_EQ(store.uid_slot("shop", "staging"), 1);
    EXPECT_EQ(store.uid_slot("blog", "production"), 2);
    EXPECT_EQ(store.uid_slot("shop", "production"), 0);  // the same, every time
  }
  EXPECT_EQ(Store(db_path()).uid_slot("shop", "staging"), 1);  // and after a restart
}

}  // namespace
}  // namespace porter::state

namespace porter::state {
namespace {

TEST(StoreFormation, KeepsWhatWasSetPerEnvironmentAcrossReopening) {
  const auto dir = std::filesystem::temp_directory_path() / ("porter-formation-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    Store store(dir / "state.db");
    EXPECT_TRUE(store.formation("shop", "production").empty());
    store.replace_formation("shop", "production",
                            {{"web", {.replicas = 3, .millicpu = std::nullopt, .memory_bytes = 512ull << 20}},
                             {"worker", {.replicas = 0, .millicpu = 250, .memory_bytes = std::nullopt}}});
    store.replace_formation("shop", "staging", {{"web", {.replicas = 1, .millicpu = std::nullopt, .memory_bytes = std::nullopt}}});
  }
  Store store(dir / "state.db");
  const auto production = store.formation("shop", "production");
  ASSERT_EQ(production.size(), 2u);
  EXPECT_EQ(production.at("web"), (ServiceFormation{3, std::nullopt, 512ull << 20}));
  EXPECT_EQ(production.at("worker"), (ServiceFormation{0, 250, std::nullopt}));
  EXPECT_EQ(store.formation("shop", "staging").at("web").replicas, 1);
  store.replace_formation("shop", "production", {});
  EXPECT_TRUE(store.formation("shop", "production").empty());
  EXPECT_EQ(store.formation("shop", "staging").size(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace porter::state
