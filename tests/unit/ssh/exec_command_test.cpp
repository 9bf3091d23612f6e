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

TEST(ExecCommand, ParsesAdminCommands) {
  auto request = parse_exec_command("apps:create shop");
  ASSERT_TRUE(std::holds_alternative<AdminRequest>(request));
  EXPECT_EQ(std::get<AdminRequest>(request).verb, "apps:create");
  EXPECT_EQ(std::get<AdminRequest>(request).args, std::vector<std::string>{"shop"});
  EXPECT_TRUE(std::holds_alternative<AdminRequest>(parse_exec_command("apps:list")));
  expect_refused("apps:create ../x");
  expect_refused("apps:create");
  expect_refused("apps:list extra");
}

}  // namespace
}  // namespace porter::ssh
