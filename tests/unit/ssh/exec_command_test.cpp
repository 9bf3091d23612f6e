#include "ssh/exec_command.hpp"

#include <gtest/gtest.h>

namespace porter::ssh {
namespace {

GitRequest expect_git(const std::string& command) {
  auto request = parse_exec_command(command);
  EXPECT_TRUE(std::holds_alternative<GitRequest>(request)) << command;
  return std::holds_alternative<GitRequest>(request) ? std::get<GitRequest>(request) : GitRequest{};
}

void expect_refused(const std::string& command) {
  auto request = parse_exec_command(command);
  ASSERT_TRUE(std::holds_alternative<ExecError>(request)) << "accepted: " << command;
  EXPECT_FALSE(std::get<ExecError>(request).message.empty());
  EXPECT_EQ(std::get<ExecError>(request).message.find('\n'), std::string::npos);
}

TEST(ExecCommand, AcceptsEveryPathFormGitSends) {
  for (const auto* command : {"git-receive-pack 'myapp'", "git-receive-pack '/myapp.git'", "git-receive-pack 'myapp.git'",
                              "git-receive-pack '/myapp'", "git-receive-pack myapp"}) {
    auto request = expect_git(command);
    EXPECT_EQ(request.app, "myapp") << command;
    EXPECT_EQ(request.service, GitService::receive_pack);
  }
  EXPECT_EQ(expect_git("git-upload-pack '/shop-2.git'").service, GitService::upload_pack);
  EXPECT_EQ(expect_git("git-upload-pack '/shop-2.git'").app, "shop-2");
}

TEST(ExecCommand, RefusesInjectionAndTraversal) {
  for (const auto* command :
       {"git-receive-pack '../etc'", "git-receive-pack '/../../etc/passwd'", "git-receive-pack 'a;id'",
        "git-receive-pack '$(id)'", "git-receive-pack '`id`'", "git-receive-pack 'x' ; id", "git-receive-pack 'a'b'",
        "git-receive-pack 'a/b'", "git-receive-pack \"app\"", "git-receive-pack 'app' extra", "git-receive-pack",
        "git-receive-pack 'app\n'", "git-receive-pack 'App'", "git-receive-pack '9lives'", "", "   ", "ls", "sh -c id",
        "git-upload-archive 'app'", "git receive-pack 'app'"})
    expect_refused(command);
}

TEST(ExecCommand, RefusesOverlongNames) {
  expect_git("git-receive-pack 'a" + std::string(62, 'b') + "'");
  expect_refused("git-receive-pack 'a" + std::string(63, 'b') + "'");
  expect_refused(std::string(2000, 'a'));
}

AdminRequest expect_admin(const std::string& command) {
  auto request = parse_exec_command(command);
  EXPECT_TRUE(std::holds_alternative<AdminRequest>(request))
      << command << ": " << (std::holds_alternative<ExecError>(request) ? std::get<ExecError>(request).message : "");
  return std::holds_alternative<AdminRequest>(request) ? std::get<AdminRequest>(request) : AdminRequest{};
}

TEST(ExecCommand, ParsesAdminCommands) {
  auto create = expect_admin("apps:create shop");
  EXPECT_EQ(create.verb, "apps:create");
  EXPECT_EQ(create.app, "shop");
  EXPECT_EQ(expect_admin("apps:list").verb, "apps:list");
  auto config = expect_admin("config shop");
  EXPECT_EQ(config.env, "production");
  auto rollback = expect_admin("rollback shop -e staging v12");
  EXPECT_EQ(rollback.env, "staging");
  EXPECT_EQ(rollback.args, std::vector<std::string>{"v12"});
  EXPECT_EQ(expect_admin("cache:purge shop").env, "");
  expect_refused("apps:create ../x");
  expect_refused("apps:create");
  expect_refused("apps:list extra");
  expect_refused("rollback shop twelve");
  expect_refused("config shop -e Prod");
  expect_refused("releases");
}

TEST(ExecCommand, ConfigSetKeepsQuotedValuesWhole) {
  auto request = expect_admin(R"(config:set shop -e staging A=1 "GREETING=hello world" 'Q=it''s' D="a\"b")");
  EXPECT_EQ(request.args, (std::vector<std::string>{"A=1", "GREETING=hello world", "Q=its", "D=a\"b"}));
  auto url = expect_admin("config:set shop DATABASE_URL=postgres://u:p@127.0.0.1:5432/db?sslmode=disable");
  EXPECT_EQ(url.args.at(0), "DATABASE_URL=postgres://u:p@127.0.0.1:5432/db?sslmode=disable");
  expect_refused("config:set shop NOVALUE");
  expect_refused("config:set shop 1BAD=x");
  expect_refused("config:set shop 'A=unbalanced");
  expect_refused("config:get shop A B");
  expect_refused("config:unset shop -e");
}

}  // namespace
}  // namespace porter::ssh
