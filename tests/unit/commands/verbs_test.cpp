#include "commands/verbs.hpp"

#include <gtest/gtest.h>

#include <set>

namespace porter::commands {
namespace {

using Words = std::vector<std::string>;

Command expect_parsed(const Words& words) {
  auto command = parse_command(words);
  std::string joined;
  for (const auto& word : words) joined += "[" + word + "]";
  EXPECT_TRUE(command) << joined << ": " << (command ? "" : command.error().message);
  return command ? *command : Command{};
}

// The error, which must be one line.
std::string expect_refused(const Words& words) {
  auto command = parse_command(words);
  std::string joined;
  for (const auto& word : words) joined += "[" + word + "]";
  EXPECT_FALSE(command) << "accepted: " << joined;
  if (command) return "";
  EXPECT_FALSE(command.error().message.empty()) << joined;
  EXPECT_EQ(command.error().message.find('\n'), std::string::npos) << joined << ": " << command.error().message;
  return command.error().message;
}

TEST(ParseCommand, ReadsVerbAppAndEnvironment) {
  auto create = expect_parsed({"apps:create", "shop"});
  EXPECT_EQ(create.verb, Verb::apps_create);
  EXPECT_EQ(create.name, "apps:create");
  EXPECT_EQ(create.app, "shop");
  EXPECT_TRUE(create.args.empty());

  auto list = expect_parsed({"apps:list"});
  EXPECT_EQ(list.verb, Verb::apps_list);
  EXPECT_EQ(list.app, "");

  auto config = expect_parsed({"config", "shop"});
  EXPECT_EQ(config.verb, Verb::config_show);
  EXPECT_EQ(config.env, "production");  // the default environment

  auto rollback = expect_parsed({"rollback", "shop", "-e", "staging", "v12"});
  EXPECT_EQ(rollback.verb, Verb::rollback);
  EXPECT_EQ(rollback.env, "staging");
  EXPECT_EQ(rollback.args, Words{"v12"});
  EXPECT_EQ(expect_parsed({"rollback", "shop", "12"}).args, Words{"12"});

  // -e/--env may come anywhere after the verb.
  auto long_form = expect_parsed({"releases", "--env", "staging", "shop"});
  EXPECT_EQ(long_form.app, "shop");
  EXPECT_EQ(long_form.env, "staging");
  EXPECT_EQ(expect_parsed({"config:get", "shop", "KEY", "-e", "qa"}).env, "qa");
}

TEST(ParseCommand, CachePurgeDefaultsToEveryEnvironment) {
  EXPECT_EQ(expect_parsed({"cache:purge", "shop"}).env, "");
  EXPECT_EQ(expect_parsed({"cache:purge", "shop", "-e", "staging"}).env, "staging");
  EXPECT_EQ(expect_parsed({"cache:purge", "shop"}).verb, Verb::cache_purge);
}

TEST(ParseCommand, ConfigSetTakesPairsWithValuesAsGiven) {
  // Quotes were removed by ssh::split_words: each pair arrives as one word.
  auto set = expect_parsed({"config:set", "shop", "-e", "staging", "A=1", "GREETING=hello world", "EMPTY=",
                            "D=a\"b", "URL=postgres://u:p@127.0.0.1:5432/db?sslmode=disable", "EQ=a=b"});
  EXPECT_EQ(set.verb, Verb::config_set);
  EXPECT_EQ(set.env, "staging");
  EXPECT_EQ(set.args, (Words{"A=1", "GREETING=hello world", "EMPTY=", "D=a\"b",
                             "URL=postgres://u:p@127.0.0.1:5432/db?sslmode=disable", "EQ=a=b"}));
  auto unset = expect_parsed({"config:unset", "shop", "A", "_B", "c_9"});
  EXPECT_EQ(unset.args, (Words{"A", "_B", "c_9"}));
}

TEST(ParseCommand, ConfigSetRefusesBadPairsWithoutEchoingThem) {
  for (const Words& words : {Words{"config:set", "shop", "hunter22-no-equals"}, Words{"config:set", "shop", "1BAD=hunter22"},
                             Words{"config:set", "shop", "=hunter22"}, Words{"config:set", "shop", "BAD-KEY=hunter22"},
                             Words{"config:set", "shop", "A=1", "B C=hunter22"}}) {
    const auto error = expect_refused(words);
    EXPECT_EQ(error.find("hunter22"), std::string::npos) << error;
  }
}

TEST(ParseCommand, ConfigSetEncodedDecodesEveryValue) {
  // "-----BEGIN KEY-----\nMC4CAQ==\n-----END KEY-----\n", as `base64 -w0` writes it.
  const std::string pem = "-----BEGIN KEY-----\nMC4CAQ==\n-----END KEY-----\n";
  auto set = expect_parsed({"config:set", "shop", "-e", "staging", "--encoded",
                            "TLS_KEY=LS0tLS1CRUdJTiBLRVktLS0tLQpNQzRDQVE9PQotLS0tLUVORCBLRVktLS0tLQo=", "A=YQ==",
                            "B=YWI", "EMPTY="});
  EXPECT_EQ(set.env, "staging");
  EXPECT_FALSE(set.value_on_stdin);
  EXPECT_EQ(set.args, (Words{"TLS_KEY=" + pem, "A=a", "B=ab", "EMPTY="}));
  // The flag may come anywhere among the options; padding is optional.
  EXPECT_EQ(expect_parsed({"config:set", "--encoded", "shop", "A=YWJj"}).args, Words{"A=abc"});
  EXPECT_EQ(expect_parsed({"config:set", "shop", "A=YWI", "--encoded"}).args, Words{"A=ab"});
  EXPECT_EQ(expect_parsed({"config:set", "shop", "--encoded", "A=w6k+Pw=="}).args, Words{"A=\xc3\xa9>?"});
}

TEST(ParseCommand, ConfigSetEncodedRefusesAnythingButBase64) {
  for (const auto* bad : {"aGVsbG8*", "aGVs bG8=", "aGVs\nbG8=", "aGVsbG8=\n", "a-_b", "aGVsbG8===", "aGVsbG=",
                          "a", "aGVsbG8=aGk=", "=aGk", "YR==", "YWJ="}) {
    SCOPED_TRACE(bad);
    const auto error = expect_refused({"config:set", "shop", "--encoded", "GOOD=YQ==", std::string("TLS_KEY=") + bad});
    EXPECT_EQ(error, "the value of TLS_KEY is not base64 (A-Z a-z 0-9 + / and = padding only)");
  }
}

TEST(ParseCommand, ConfigValuesAreUtf8WithoutNul) {
  // Decoded bytes must be text the manifests carry unchanged, whichever form sets them.
  EXPECT_EQ(expect_refused({"config:set", "shop", "--encoded", "BIN=+/8="}), "the value of BIN is not UTF-8 text");
  EXPECT_EQ(expect_refused({"config:set", "shop", "--encoded", "NUL=YQBi"}), "the value of NUL contains a NUL byte");
  EXPECT_EQ(expect_refused({"config:set", "shop", "LATIN1=caf\xe9"}), "the value of LATIN1 is not UTF-8 text");
  for (const auto* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80"})
    EXPECT_FALSE(check_config_value("K", bad)) << bad;
  for (const auto* good : {"", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\x91", "a\nb\r\n\t"})
    EXPECT_TRUE(check_config_value("K", good)) << good;
}

TEST(ParseCommand, ConfigSetStdinTakesOneKey) {
  auto set = expect_parsed({"config:set", "shop", "-e", "production", "TLS_KEY", "--stdin"});
  EXPECT_TRUE(set.value_on_stdin);
  EXPECT_EQ(set.env, "production");
  EXPECT_EQ(set.args, Words{"TLS_KEY"});
  EXPECT_TRUE(expect_parsed({"config:set", "--stdin", "shop", "K"}).value_on_stdin);
  EXPECT_FALSE(expect_parsed({"config:set", "shop", "K=v"}).value_on_stdin);

  const std::string one_key = "--stdin sets one KEY, without =, to what comes on standard input";
  EXPECT_EQ(expect_refused({"config:set", "shop", "TLS_KEY=hunter22", "--stdin"}), one_key);  // not echoed
  EXPECT_EQ(expect_refused({"config:set", "shop", "A", "B", "--stdin"}), one_key);
  EXPECT_EQ(expect_refused({"config:set", "shop", "A", "B=x", "--stdin"}), one_key);
  EXPECT_EQ(expect_refused({"config:set", "shop", "1BAD", "--stdin"}),
            "invalid config key: keys are letters, digits and _, not starting with a digit");
  EXPECT_EQ(expect_refused({"config:set", "shop", "--stdin"}).substr(0, 6), "usage:");
  EXPECT_EQ(expect_refused({"config:set", "shop", "--encoded", "K", "--stdin"}),
            "--stdin takes the value as sent: leave out --encoded");
  // Without --stdin, a bare KEY is a mistyped pair as before.
  expect_refused({"config:set", "shop", "K"});
}

TEST(ParseCommand, OnlyConfigSetTakesEncodedOrStdin) {
  EXPECT_EQ(expect_refused({"config:get", "shop", "K", "--stdin"}), "usage: config:get <app> [-e <env>] <KEY>");
  EXPECT_EQ(expect_refused({"config:unset", "shop", "--encoded", "K"}),
            "usage: config:unset <app> [-e <env>] <KEY>...");
  expect_refused({"releases", "shop", "--stdin"});
  expect_refused({"apps:list", "--encoded"});
}

TEST(ParseCommand, NoErrorEchoesAWordThatLooksLikeAPair) {
  // A KEY=VALUE pair typed in the wrong place may be the secret itself.
  for (const Words& words : {Words{"config:set", "shop", "-e", "DATABASE_URL=postgres://u:hunter22@db/x"},
                             Words{"config:set", "-e", "staging", "DATABASE_URL=hunter22"},
                             Words{"config:get", "shop", "TOKEN=hunter22"},
                             Words{"config:unset", "shop", "TOKEN=hunter22"},
                             Words{"rollback", "shop", "TOKEN=hunter22"}}) {
    const auto error = expect_refused(words);
    EXPECT_EQ(error.find("hunter22"), std::string::npos) << words[1] << " " << words[2] << ": " << error;
  }
}

TEST(ParseCommand, ChecksKeysAndVersions) {
  expect_refused({"config:get", "shop", "1KEY"});
  expect_refused({"config:unset", "shop", "A", "B-C"});
  expect_refused({"rollback", "shop", "twelve"});
  expect_refused({"rollback", "shop", "v"});
  expect_refused({"rollback", "shop", "v1234567890"});
  expect_refused({"rollback", "shop", "-3"});
}

TEST(ParseCommand, UsageErrorsShowTheUsage) {
  EXPECT_EQ(expect_refused({"apps:create"}), "usage: apps:create <app>");
  EXPECT_EQ(expect_refused({"apps:list", "extra"}), "usage: apps:list");
  EXPECT_EQ(expect_refused({"releases"}), "usage: releases <app> [-e <env>]");
  EXPECT_EQ(expect_refused({"config:get", "shop", "A", "B"}), "usage: config:get <app> [-e <env>] <KEY>");
  EXPECT_EQ(expect_refused({"config:get", "shop"}), "usage: config:get <app> [-e <env>] <KEY>");
  EXPECT_EQ(expect_refused({"config:unset", "shop", "-e"}), "usage: config:unset <app> [-e <env>] <KEY>...");
  EXPECT_EQ(expect_refused({"config:set", "shop"}),
            "usage: config:set <app> [-e <env>] [--encoded] <KEY>=<value>... | config:set <app> [-e <env>] <KEY> --stdin");
  EXPECT_EQ(expect_refused({"rollback", "shop"}), "usage: rollback <app> [-e <env>] v<N>");
}

TEST(ParseCommand, RefusesBadAppAndEnvironmentNames) {
  expect_refused({"apps:create", "../x"});
  expect_refused({"apps:create", "Shop"});
  expect_refused({"apps:create", "9lives"});
  expect_refused({"apps:create", "a" + std::string(63, 'b')});
  expect_parsed({"apps:create", "a" + std::string(62, 'b')});
  expect_refused({"config", "shop", "-e", "Prod"});
  expect_refused({"config", "shop", "-e", "../production"});
  expect_refused({"config", "shop", "--env", ""});
}

TEST(ParseCommand, AnUnknownVerbListsTheKnownCommands) {
  for (const Words& words : {Words{"ls"}, Words{"git-upload-archive", "shop"}, Words{"Apps:list"}, Words{}, Words{""}}) {
    const auto error = expect_refused(words);
    for (const auto& spec : verbs()) EXPECT_NE(error.find(spec.name), std::string::npos) << error;
  }
}

// The arguments a verb needs at least, valid ones.
Words minimal_args(const VerbSpec& spec) {
  if (spec.verb == Verb::ps_resize) return {"web", "--cpu", "1"};
  Words args;
  for (std::size_t i = 0; i < spec.min_args; ++i) {
    switch (spec.verb) {
      case Verb::config_set: args.push_back("KEY" + std::to_string(i) + "=value"); break;
      case Verb::rollback: args.push_back("v" + std::to_string(i + 1)); break;
      case Verb::deploy_log: args.push_back(std::to_string(41 + i)); break;
      case Verb::ps_scale: args.push_back("web=" + std::to_string(i + 1)); break;
      default: args.push_back("KEY" + std::to_string(i)); break;
    }
  }
  return args;
}

TEST(Verbs, EveryVerbParsesWithMinimalArguments) {
  std::set<std::string> names;
  ASSERT_FALSE(verbs().empty());
  for (const auto& spec : verbs()) {
    SCOPED_TRACE(spec.name);
    EXPECT_TRUE(names.insert(spec.name).second) << "listed twice";
    EXPECT_TRUE(std::string(spec.usage).starts_with(spec.name));
    EXPECT_LE(spec.min_args, spec.max_args);
    Words words{spec.name};
    if (spec.needs_app) words.push_back("shop");
    if (spec.verb == Verb::run) words.push_back("--");
    const auto args = minimal_args(spec);
    words.insert(words.end(), args.begin(), args.end());
    auto command = parse_command(words);
    ASSERT_TRUE(command) << command.error().message;
    EXPECT_EQ(command->verb, spec.verb);
    EXPECT_EQ(command->name, spec.name);
    EXPECT_EQ(command->app, spec.needs_app ? "shop" : "");
    EXPECT_EQ(command->args, args);
    // And, for a verb of a fixed number of arguments, one more is a usage error.
    if (spec.min_args == spec.max_args) {
      auto extra = words;
      extra.push_back(spec.verb == Verb::rollback ? "v9" : "EXTRA");
      auto refused = parse_command(extra);
      ASSERT_FALSE(refused);
      EXPECT_EQ(refused.error().message, std::string("usage: ") + spec.usage);
    }
    // Without its app, an app's verb is a usage error too.
    if (spec.needs_app) {
      Words no_app{spec.name};
      no_app.insert(no_app.end(), args.begin(), args.end());
      EXPECT_FALSE(parse_command(no_app));
    }
  }
  EXPECT_EQ(names.size(), 21u);  // every Verb has its entry
}

// The words after `--` are the command as they are: options of its own stay its own.
TEST(Verbs, RunTakesTheWordsAfterTheDashesAsTheCommand) {
  auto command = parse_command({"run", "shop", "-e", "staging", "--", "sh", "-c", "exit 3", "-e", "--"});
  ASSERT_TRUE(command) << command.error().message;
  EXPECT_EQ(command->env, "staging");
  EXPECT_EQ(command->args, (Words{"sh", "-c", "exit 3", "-e", "--"}));
  EXPECT_FALSE(parse_command({"run", "shop", "sh"}));        // no --
  EXPECT_FALSE(parse_command({"run", "shop", "--"}));        // no command
  EXPECT_FALSE(parse_command({"run", "--", "sh"}));          // no app
}

TEST(Verbs, ConfigKeys) {
  for (const auto* key : {"A", "_", "DATABASE_URL", "lower_case", "X9"}) EXPECT_TRUE(is_valid_config_key(key)) << key;
  EXPECT_TRUE(is_valid_config_key("A" + std::string(127, 'B')));
  for (const auto* key : {"", "9A", "A-B", "A B", "A=B", "A.B"}) EXPECT_FALSE(is_valid_config_key(key)) << key;
  EXPECT_FALSE(is_valid_config_key("A" + std::string(128, 'B')));
}

TEST(Verbs, JobsAndJobsLog) {
  auto jobs = parse_command({"jobs", "shop", "-e", "staging"});
  ASSERT_TRUE(jobs) << jobs.error().message;
  EXPECT_EQ(jobs->verb, Verb::jobs);
  EXPECT_EQ(jobs->env, "staging");
  EXPECT_EQ(parse_command({"jobs", "shop"})->env, "production");
  auto log = parse_command({"jobs:log", "shop", "sync-partners"});
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(log->verb, Verb::jobs_log);
  EXPECT_EQ(log->args, Words{"sync-partners"});
  EXPECT_FALSE(parse_command({"jobs"}));                       // no app
  EXPECT_FALSE(parse_command({"jobs", "shop", "extra"}));      // no arguments
  EXPECT_FALSE(parse_command({"jobs:log", "shop"}));           // no job
  EXPECT_FALSE(parse_command({"jobs:log", "shop", "a", "b"}));  // one job
}

TEST(ParseCommand, ReadsProcessCommands) {
  auto scale = expect_parsed({"ps:scale", "shop", "-e", "staging", "web=3", "worker=0"});
  EXPECT_EQ(scale.verb, Verb::ps_scale);
  EXPECT_EQ(scale.env, "staging");
  EXPECT_EQ(*scale_counts(scale.args), (std::map<std::string, int>{{"web", 3}, {"worker", 0}}));

  auto resize = expect_parsed({"ps:resize", "shop", "web", "--cpu", "0.5", "--memory", "512M"});
  const auto wanted = *resize_request(resize.args);
  EXPECT_EQ(wanted.service, "web");
  EXPECT_EQ(wanted.millicpu, 500);
  EXPECT_EQ(wanted.memory_bytes, 512ull << 20);
  EXPECT_EQ(resize_request({"worker", "--memory", "1G"})->millicpu, std::nullopt);

  auto logs = expect_parsed({"logs", "shop", "-e", "staging", "-f", "--service", "web", "--tail", "20"});
  const auto request = *log_request(logs.args);
  EXPECT_TRUE(request.follow);
  EXPECT_EQ(request.service, "web");
  EXPECT_EQ(request.tail, 20u);
  EXPECT_EQ(log_request({})->tail, 100u);
  EXPECT_FALSE(log_request({})->follow);

  EXPECT_EQ(expect_parsed({"ps", "shop"}).verb, Verb::ps);
  EXPECT_EQ(expect_parsed({"ps:restart", "shop", "-e", "dev"}).env, "dev");
}

TEST(ParseCommand, RefusesBadProcessArguments) {
  EXPECT_EQ(expect_refused({"ps:scale", "shop", "web"}), "expected <service>=<count>, like web=3");
  EXPECT_EQ(expect_refused({"ps:scale", "shop", "web=-1"}), "the count of web must be a number from 0 to 100");
  EXPECT_EQ(expect_refused({"ps:scale", "shop", "web=101"}), "the count of web must be a number from 0 to 100");
  EXPECT_EQ(expect_refused({"ps:scale", "shop", "Web=1"}), "expected <service>=<count>, like web=3");
  expect_refused({"ps:scale", "shop"});
  EXPECT_EQ(expect_refused({"ps:resize", "shop", "web"}).substr(0, 6), "usage:");
  EXPECT_EQ(expect_refused({"ps:resize", "shop", "web", "--memory", "lots"}),
            "--memory takes a size like 512M or 2G (at least 4M)");
  EXPECT_EQ(expect_refused({"ps:resize", "shop", "web", "--memory", "1K"}),
            "--memory takes a size like 512M or 2G (at least 4M)");
  EXPECT_EQ(expect_refused({"ps:resize", "shop", "web", "--cpu", "100"}),
            "--cpu takes CPUs like 0.5, 2 or 250m (at most 64)");
  EXPECT_EQ(expect_refused({"ps:resize", "shop", "web", "--disk", "1G"}), "ps:resize takes --cpu and --memory, not --disk");
  EXPECT_EQ(expect_refused({"ps:resize", "shop", "web", "--memory", "1G", "--cpu"}), "--cpu needs a value");
  EXPECT_EQ(expect_refused({"logs", "shop", "--tail", "many"}), "--tail takes a number of lines from 0 to 10000");
  EXPECT_EQ(expect_refused({"logs", "shop", "--service", "Web!"}), "invalid service name: lower-case letters, digits and '-'");
  EXPECT_EQ(expect_refused({"logs", "shop", "--follow-me"}).substr(0, 6), "usage:");
  expect_refused({"ps", "shop", "extra"});
  expect_refused({"ps:restart", "shop", "web"});
}

}  // namespace
}  // namespace porter::commands
