#include "ssh/exec_command.hpp"

#include <gtest/gtest.h>

namespace porter::ssh {
namespace {

using Words = std::vector<std::string>;

GitRequest expect_git(const std::string& command) {
  auto request = parse_exec_command(command);
  EXPECT_TRUE(request && std::holds_alternative<GitRequest>(*request))
      << command << ": " << (request ? "not a git request" : request.error().message);
  return request && std::holds_alternative<GitRequest>(*request) ? std::get<GitRequest>(*request) : GitRequest{};
}

Words expect_words(const std::string& command) {
  auto request = parse_exec_command(command);
  EXPECT_TRUE(request && std::holds_alternative<CommandRequest>(*request))
      << command << ": " << (request ? "a git request" : request.error().message);
  return request && std::holds_alternative<CommandRequest>(*request) ? std::get<CommandRequest>(*request).words
                                                                     : Words{};
}

void expect_refused(const std::string& command) {
  auto request = parse_exec_command(command);
  ASSERT_FALSE(request) << "accepted: " << command;
  EXPECT_FALSE(request.error().message.empty());
  EXPECT_EQ(request.error().message.find('\n'), std::string::npos);
}

// Never reaches git: refused here, or handed to the management commands
// (which refuse anything they do not know).
void expect_not_git(const std::string& command) {
  auto request = parse_exec_command(command);
  if (!request) {
    EXPECT_EQ(request.error().message.find('\n'), std::string::npos);
    return;
  }
  EXPECT_FALSE(std::holds_alternative<GitRequest>(*request)) << "ran git for: " << command;
}

TEST(ExecCommand, AcceptsEveryPathFormGitSends) {
  for (const auto* command : {"git-receive-pack 'myapp'", "git-receive-pack '/myapp.git'", "git-receive-pack 'myapp.git'",
                              "git-receive-pack '/myapp'", "git-receive-pack myapp", "git-receive-pack  'myapp' "}) {
    auto request = expect_git(command);
    EXPECT_EQ(request.app, "myapp") << command;
    EXPECT_EQ(request.service, git::Service::receive_pack) << command;
  }
  EXPECT_EQ(expect_git("git-upload-pack '/shop-2.git'").service, git::Service::upload_pack);
  EXPECT_EQ(expect_git("git-upload-pack '/shop-2.git'").app, "shop-2");
}

TEST(ExecCommand, RefusesInjectionAndTraversalInGitRequests) {
  for (const auto* command :
       {"git-receive-pack '../etc'", "git-receive-pack '/../../etc/passwd'", "git-receive-pack 'a;id'",
        "git-receive-pack '$(id)'", "git-receive-pack '`id`'", "git-receive-pack 'x' ; id", "git-receive-pack 'a'b'",
        "git-receive-pack 'a/b'", "git-receive-pack \"app\"", "git-receive-pack 'app' extra", "git-receive-pack",
        "git-receive-pack 'app\n'", "git-receive-pack 'App'", "git-receive-pack '9lives'", "git-upload-pack '.git'",
        "git-upload-pack '/'", "git-upload-pack ''", "git-receive-pack 'app\tx'", "git-receive-pack 'app'\r"})
    expect_refused(command);
}

TEST(ExecCommand, WhatIsNotAGitServiceNeverRunsGit) {
  for (const auto* command : {"ls", "sh -c id", "git-upload-archive 'app'", "git receive-pack 'app'",
                              "git-receive-pack-x 'app'", "/usr/bin/git-receive-pack 'app'", "GIT-RECEIVE-PACK 'app'",
                              "scp -t /etc", "$(git-receive-pack 'app')"})
    expect_not_git(command);
  EXPECT_EQ(expect_words("git receive-pack 'app'"), (Words{"git", "receive-pack", "app"}));
}

TEST(ExecCommand, RefusesEmptyAndOverlongCommands) {
  expect_refused("");
  expect_refused("   ");
  expect_git("git-receive-pack 'a" + std::string(62, 'b') + "'");
  expect_refused("git-receive-pack 'a" + std::string(63, 'b') + "'");
  expect_refused(std::string(9000, 'a'));
  expect_refused("config:set shop A=" + std::string(8200, 'x'));
}

TEST(ExecCommand, SplitsOtherCommandsIntoWords) {
  EXPECT_EQ(expect_words("apps:list"), Words{"apps:list"});
  EXPECT_EQ(expect_words("config:set shop \"GREETING=hello world\""),
            (Words{"config:set", "shop", "GREETING=hello world"}));
  EXPECT_EQ(expect_words(R"(config:set shop -e staging A=1 "GREETING=hello world" 'Q=it''s' D="a\"b")"),
            (Words{"config:set", "shop", "-e", "staging", "A=1", "GREETING=hello world", "Q=its", "D=a\"b"}));
  EXPECT_EQ(expect_words("config:set shop DATABASE_URL=postgres://u:p@127.0.0.1:5432/db?sslmode=disable"),
            (Words{"config:set", "shop", "DATABASE_URL=postgres://u:p@127.0.0.1:5432/db?sslmode=disable"}));
  // No shell: its characters are only characters.
  EXPECT_EQ(expect_words("config:set shop A=$(id) B=`id`;ls|cat>x"),
            (Words{"config:set", "shop", "A=$(id)", "B=`id`;ls|cat>x"}));
}

TEST(ExecCommand, CarriesTheFormsForValuesSpanningLines) {
  // Line breaks are refused above: such values come in base64, whose + / =
  // the splitter leaves alone, or on standard input.
  EXPECT_EQ(expect_words("config:set --encoded shop -e production TLS_KEY=LS0t+/9PQo= B=YQ"),
            (Words{"config:set", "--encoded", "shop", "-e", "production", "TLS_KEY=LS0t+/9PQo=", "B=YQ"}));
  EXPECT_EQ(expect_words("config:set shop TLS_KEY --stdin"), (Words{"config:set", "shop", "TLS_KEY", "--stdin"}));
}

TEST(ExecCommand, RefusesUnbalancedQuotesAndControlCharacters) {
  expect_refused("config:set shop 'A=unbalanced");
  expect_refused("config:set shop \"A=unbalanced");
  expect_refused("config:set shop \"A=escaped\\\"");
  expect_refused("config:set shop A=1\nid");
  expect_refused("config:set shop \"A=line\nbreak\"");
  expect_refused("config:set shop A=\x1b[31m");
  expect_refused("config:set shop A=tab\there");
  expect_refused("config:set shop A=\x7f");
  expect_refused(std::string("config:set shop A=nul\0x", 23));
}

TEST(SplitWords, SplitsOnSpacesHonouringQuotes) {
  auto split = [](const std::string& command) {
    auto words = split_words(command);
    EXPECT_TRUE(words) << command << ": " << (words ? "" : words.error().message);
    return words ? *words : Words{"<error>"};
  };
  EXPECT_EQ(split(""), Words{});
  EXPECT_EQ(split("   "), Words{});
  EXPECT_EQ(split("  a   b  "), (Words{"a", "b"}));
  EXPECT_EQ(split("'a b' c"), (Words{"a b", "c"}));
  EXPECT_EQ(split("\"a b\"c'd e'f"), Words{"a bcd ef"});  // quoted parts join their word
  EXPECT_EQ(split("'' \"\" x"), (Words{"", "", "x"}));      // an empty quoted word is a word
  EXPECT_EQ(split(R"("a\"b" "c\\d")"), (Words{"a\"b", "c\\d"}));
  EXPECT_EQ(split(R"("a\nb" 'c\"d' e\f)"), (Words{"a\\nb", "c\\\"d", "e\\f"}));  // other backslashes stay
  EXPECT_EQ(split("\"it's\" 'say \"hi\"'"), (Words{"it's", "say \"hi\""}));
}

TEST(SplitWords, RefusesUnbalancedQuotes) {
  for (const auto* command : {"'", "\"", "a 'b", "a \"b", "\"a\\\"", "'a''"}) {
    auto words = split_words(command);
    EXPECT_FALSE(words) << command;
    if (!words) {
      EXPECT_EQ(words.error().message.find('\n'), std::string::npos);
    }
  }
}

TEST(AppNames, FollowTheRules) {
  for (const auto* name : {"a", "shop", "shop-2", "a-b-c", "x9"}) EXPECT_TRUE(is_valid_app_name(name)) << name;
  EXPECT_TRUE(is_valid_app_name("a" + std::string(62, 'b')));
  for (const auto* name : {"", "Shop", "9lives", "-a", "a_b", "a.b", "a/b", "a b", ".."})
    EXPECT_FALSE(is_valid_app_name(name)) << name;
  EXPECT_FALSE(is_valid_app_name("a" + std::string(63, 'b')));
}

}  // namespace
}  // namespace porter::ssh
