#include <git2.h>
#include <gtest/gtest.h>

#include <future>

#include "git/repo_store.hpp"
#include "support/git_repo.hpp"
#include "support/temp_dir.hpp"

namespace porter::git {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::BareRepo;
using test::Files;

bool owner_may_execute(const fs::path& file) {
  return (fs::status(file).permissions() & fs::perms::owner_exec) != fs::perms::none;
}

const Files kApp = {
    {"Procfile", {"web: bin/run\n", false}},
    {"bin/run", {"#!/bin/sh\necho serving\n", true}},
    {"config/nested/settings.txt", {"a = 1\n", false}},
};

class CheckoutTest : public ::testing::Test {
 protected:
  void SetUp() override { git_libgit2_init(); }
  void TearDown() override { git_libgit2_shutdown(); }

  void expect_app_in(const fs::path& target) {
    EXPECT_EQ(test::read_file(target / "Procfile"), "web: bin/run\n");
    EXPECT_EQ(test::read_file(target / "bin/run"), "#!/bin/sh\necho serving\n");
    EXPECT_EQ(test::read_file(target / "config/nested/settings.txt"), "a = 1\n");
    EXPECT_TRUE(owner_may_execute(target / "bin/run"));
    EXPECT_FALSE(owner_may_execute(target / "Procfile"));
    EXPECT_FALSE(fs::exists(target / ".git"));
  }

  test::TempDir dir_{"checkout"};
  BareRepo repo_{dir_ / "shop.git"};
};

TEST_F(CheckoutTest, WritesACommitStillInQuarantine) {
  const auto quarantine = repo_.new_quarantine();
  const auto sha = repo_.commit(kApp, "", quarantine);
  ASSERT_FALSE(repo_.has_object(sha));  // the fixture really kept it out of the repository
  const auto target = dir_ / "build" / "src";
  fs::create_directories(target);

  auto done = checkout_commit(repo_.dir(), {quarantine.string()}, sha, target, 0);
  ASSERT_TRUE(done) << done.error().message;
  expect_app_in(target);
}

TEST_F(CheckoutTest, ReadsTheParentFromTheRepositoryAndTheNewCommitFromQuarantine) {
  const auto base = repo_.commit({{"Procfile", {"web: old\n", false}}, {"kept.txt", {"kept\n", false}}});
  repo_.set_ref("refs/heads/main", base);
  const auto quarantine = repo_.new_quarantine();
  // kept.txt's blob is only in the repository, the new Procfile only in quarantine.
  const auto sha = repo_.commit({{"Procfile", {"web: new\n", false}}, {"kept.txt", {"kept\n", false}}}, base,
                                quarantine);
  const auto target = dir_ / "src";
  fs::create_directories(target);
  auto done = checkout_commit(repo_.dir(), {quarantine.string()}, sha, target, 0);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(test::read_file(target / "Procfile"), "web: new\n");
  EXPECT_EQ(test::read_file(target / "kept.txt"), "kept\n");
}

TEST_F(CheckoutTest, WritesACommitAlreadyInTheRepository) {
  const auto sha = repo_.commit(kApp);
  const auto target = dir_ / "src";
  fs::create_directories(target);
  auto done = checkout_commit(repo_.dir(), {}, sha, target, 0);
  ASSERT_TRUE(done) << done.error().message;
  expect_app_in(target);
}

TEST_F(CheckoutTest, ATreeOverTheLimitIsRefusedBeforeAnythingIsWritten) {
  const std::size_t kHalf = 600 * 1024;  // two of them: 1.2 MiB
  const auto sha = repo_.commit({{"big.bin", {std::string(kHalf, 'x'), false}},
                                 {"dir/more.bin", {std::string(kHalf, 'y'), false}}});
  const auto target = dir_ / "src";
  fs::create_directories(target);
  auto refused = checkout_commit(repo_.dir(), {}, sha, target, 1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "the pushed tree's files add up to more than 1 MB (limits.checkout_mb)");
  EXPECT_TRUE(fs::is_empty(target));
  auto done = checkout_commit(repo_.dir(), {}, sha, target, 2);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(fs::file_size(target / "dir/more.bin"), kHalf);
}

TEST_F(CheckoutTest, WithoutTheQuarantineItIsAOneLineError) {
  const auto quarantine = repo_.new_quarantine();
  const auto sha = repo_.commit(kApp, "", quarantine);
  const auto target = dir_ / "src";
  fs::create_directories(target);
  auto done = checkout_commit(repo_.dir(), {}, sha, target, 0);
  ASSERT_FALSE(done);
  EXPECT_FALSE(done.error().message.empty());
  EXPECT_EQ(done.error().message.find('\n'), std::string::npos) << done.error().message;
  EXPECT_TRUE(fs::is_empty(target));
}

TEST_F(CheckoutTest, BadInputsAreOneLineErrors) {
  const auto sha = repo_.commit(kApp);
  const auto target = dir_ / "src";
  fs::create_directories(target);
  for (const auto& [repo, commit] : std::vector<std::pair<fs::path, std::string>>{
           {repo_.dir(), "not-a-sha"}, {repo_.dir(), std::string(40, 'f')}, {dir_ / "missing.git", sha}}) {
    auto done = checkout_commit(repo, {}, commit, target, 0);
    ASSERT_FALSE(done) << repo << " " << commit;
    EXPECT_EQ(done.error().message.find('\n'), std::string::npos) << done.error().message;
  }
}

TEST_F(CheckoutTest, ChecksOutAPushHeldInGitsOwnQuarantine) {
  // A real push: receive-pack runs the pre-receive hook with the pushed
  // objects in quarantine. The hook records git's environment and waits for
  // the test to check the commit out, then refuses (the push never lands).
  const auto env_file = dir_ / "hook-env";
  const auto go = dir_ / "go";
  test::write_file(repo_.dir() / "hooks" / "pre-receive",
                   "#!/bin/sh\n"
                   "read old new ref\n"
                   "printf '%s\\n%s\\n%s\\n' \"$new\" \"$GIT_OBJECT_DIRECTORY\" \"$GIT_ALTERNATE_OBJECT_DIRECTORIES\" "
                   "> " + test::quote(env_file.string() + ".tmp") + "\n"
                   "mv " + test::quote(env_file.string() + ".tmp") + " " + test::quote(env_file.string()) + "\n"
                   "i=0; while [ ! -e " + test::quote(go.string()) + " ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\n"
                   "exit 1\n",
                   true);
  const auto work = dir_ / "work";
  for (const auto& [path, file] : kApp) test::write_file(work / path, file.content, file.executable);
  const auto env = test::git_env();
  test::shell_ok("cd " + test::quote(work.string()) + " && " + env + "git init -q -b main && " + env +
                 "git add -A && " + env + "git commit -q -m app");
  auto push = std::async(std::launch::async, [&] {
    return test::shell("cd " + test::quote(work.string()) + " && " + env + "git push -q " +
                       test::quote(repo_.dir().string()) + " main");
  });
  const bool hook_ran = test::wait_until([&] { return fs::exists(env_file); }, 20s);
  Result<> done = fail("not run");
  std::vector<std::string> seen;
  if (hook_ran) {
    std::istringstream lines(test::read_file(env_file));
    for (std::string line; std::getline(lines, line);) seen.push_back(line);
    if (seen.size() == 3) {
      const auto target = dir_ / "src";
      fs::create_directories(target);
      done = checkout_commit(repo_.dir(), {seen[1]}, seen[0], target, 0);
      if (done) expect_app_in(target);
    }
  }
  test::write_file(go, "");
  ASSERT_EQ(push.wait_for(30s), std::future_status::ready);
  EXPECT_NE(push.get().exit_code, 0);  // refused by the hook
  ASSERT_TRUE(hook_ran);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_FALSE(seen[1].empty()) << "git ran the hook without a quarantine";
  EXPECT_TRUE(done) << done.error().message;
  EXPECT_FALSE(repo_.has_object(seen[0]));  // refused: the quarantine was dropped
}

TEST_F(CheckoutTest, ResolveRefGivesTheShaOrEmpty) {
  const auto sha = repo_.commit(kApp);
  repo_.set_ref("refs/heads/main", sha);
  EXPECT_EQ(resolve_ref(repo_.dir(), "refs/heads/main"), sha);
  EXPECT_EQ(resolve_ref(repo_.dir(), "refs/heads/staging"), "");
  EXPECT_EQ(resolve_ref(dir_ / "missing.git", "refs/heads/main"), "");
}

TEST_F(CheckoutTest, ResolveRefIsEmptyInAFreshRepository) {
  EXPECT_EQ(resolve_ref(repo_.dir(), "refs/heads/main"), "");  // HEAD names main, which does not exist yet
  EXPECT_EQ(resolve_ref(repo_.dir(), "HEAD"), "");
}

}  // namespace
}  // namespace porter::git
