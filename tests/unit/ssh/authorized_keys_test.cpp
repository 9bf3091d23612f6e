#include "ssh/authorized_keys.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "util/log.hpp"

namespace porter::ssh {
namespace {

struct GeneratedKey {
  ssh_key key = nullptr;
  std::string base64;
  GeneratedKey() {
    EXPECT_EQ(ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key), SSH_OK);
    char* text = nullptr;
    EXPECT_EQ(ssh_pki_export_pubkey_base64(key, &text), SSH_OK);
    base64 = text;
    ssh_string_free_char(text);
  }
  ~GeneratedKey() { ssh_key_free(key); }
  std::string line(const std::string& options, const std::string& comment = "someone") const {
    return options + (options.empty() ? "" : " ") + "ssh-ed25519 " + base64 + " " + comment + "\n";
  }
};

// A keys file that goes away with the test.
struct KeysFile {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("porter-keys-" + std::to_string(::getpid()) + "-" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  explicit KeysFile(const std::string& text) { std::ofstream(path) << text; }
  ~KeysFile() { std::filesystem::remove(path); }
};

// What the "ssh" logger says while it lives.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)) { util::logger("ssh")->sinks().push_back(sink_); }
  ~LogCapture() {
    auto& sinks = util::logger("ssh")->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

constexpr const char* kLocal = "127.0.0.1";

TEST(AuthorizedKeys, FindsListedKeysWithTheirNameAndAccess) {
  GeneratedKey alice, bob, stranger;
  KeysFile file("# team\n" + alice.line("", "alice@laptop") + bob.line(R"(apps="shop,blog",environments="staging")", "bob"));
  auto found_alice = find_authorized(file.path, alice.key, kLocal);
  ASSERT_TRUE(found_alice);
  EXPECT_EQ(found_alice->name, "alice@laptop");
  EXPECT_TRUE(found_alice->may_use_app("anything"));
  EXPECT_TRUE(found_alice->may_use_environment("production"));

  auto found_bob = find_authorized(file.path, bob.key, kLocal);
  ASSERT_TRUE(found_bob);
  EXPECT_TRUE(found_bob->may_use_app("blog"));
  EXPECT_FALSE(found_bob->may_use_app("billing"));
  EXPECT_TRUE(found_bob->may_use_environment("staging"));
  EXPECT_FALSE(found_bob->may_use_environment("production"));

  EXPECT_FALSE(find_authorized(file.path, stranger.key, kLocal));
}

TEST(AuthorizedKeys, NamelessKeysAreKnownByFingerprint) {
  GeneratedKey key;
  KeysFile file("ssh-ed25519 " + key.base64 + "\n");
  auto found = find_authorized(file.path, key.key, kLocal);
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->name.starts_with("SHA256:")) << found->name;
}

TEST(AuthorizedKeys, LeadingBlanksCommentsAndCrlfAreTolerated) {
  GeneratedKey key;
  KeysFile file("\n   # a comment\n \tenvironments=\"staging\" ssh-ed25519 " + key.base64 + "  carol  at  home \r\n");
  auto found = find_authorized(file.path, key.key, kLocal);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "carol  at  home");
  EXPECT_EQ(found->environments, std::set<std::string>{"staging"});
}

TEST(KeyOptions, UnderstoodOptionsParse) {
  auto options = parse_key_options(R"(no-pty,environments="dev",apps="a")");
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->apps, std::set<std::string>{"a"});
  EXPECT_EQ(options->environments, std::set<std::string>{"dev"});
  EXPECT_FALSE(options->from);

  auto flags = parse_key_options("restrict,no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc");
  ASSERT_TRUE(flags) << flags.error().message;
  EXPECT_FALSE(flags->apps || flags->environments || flags->from);

  auto empty = parse_key_options("");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->apps || empty->environments || empty->from);
}

TEST(KeyOptions, NamesAreCaseInsensitive) {
  auto options = parse_key_options(R"(Environments="staging",APPS="shop",No-Pty,RESTRICT,From="10.0.0.0/8")");
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->environments, std::set<std::string>{"staging"});
  EXPECT_EQ(options->apps, std::set<std::string>{"shop"});
  EXPECT_EQ(options->from, "10.0.0.0/8");
}

TEST(KeyOptions, RepeatingAnOptionWithTheSameValueIsHarmless) {
  auto options = parse_key_options(R"(apps="a,b",apps="b,a",from="10.0.0.1",from="10.0.0.1",no-pty,no-pty)");
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->apps, (std::set<std::string>{"a", "b"}));
}

TEST(KeyOptions, BackslashQuotesAQuoteInsideAValue) {
  // The escaped quote does not end the value: apps= after it is still read.
  auto options = parse_key_options(R"(from="10.0.0.1,\"x\"",apps="a")");
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->from, "10.0.0.1,\"x\"");
  EXPECT_EQ(options->apps, std::set<std::string>{"a"});
  // ...and an escaped quote cannot close one either.
  EXPECT_FALSE(parse_key_options(R"(apps="a\")"));
}

// Each is refused with a one-line reason naming the option, never its value.
TEST(KeyOptions, AnythingNotUnderstoodIsAnError) {
  const std::pair<const char*, const char*> refused[] = {
      {R"(command="SECRET-VALUE")", "'command'"},
      {R"(environment="staging")", "'environment'"},
      {R"(environment="TOKEN=SECRET-VALUE")", "'environment'"},
      {R"(permitopen="SECRET-VALUE:1")", "'permitopen'"},
      {R"(permitlisten="SECRET-VALUE:1")", "'permitlisten'"},
      {"cert-authority", "'cert-authority'"},
      {R"(principals="SECRET-VALUE")", "'principals'"},
      {R"(expiry-time="20300101")", "'expiry-time'"},
      {R"(tunnel="1")", "'tunnel'"},
      {"bogus-option", "'bogus-option'"},
      {"pty", "'pty'"},
      {"port-forwarding", "'port-forwarding'"},
      {"no-touch-required", "'no-touch-required'"},
      {R"(no-pty="SECRET-VALUE")", "'no-pty'"},
      {"environments", "'environments'"},
      {"environments=staging", "'environments'"},
      {"environments='staging'", "'environments'"},
      {R"(environments="staging)", "'environments'"},
      {R"(environments="staging"x)", "'environments'"},
      {R"(apps="a",apps="b")", "'apps'"},
      {R"(environments="staging",Environments="production")", "'Environments'"},
      {R"(from="10.0.0.1",from="10.0.0.2")", "'from'"},
      {R"(apps="")", "'apps'"},
      {R"(apps="a,,b")", "'apps'"},
      {R"(apps="a,")", "'apps'"},
      {R"(apps="Shop")", "'apps'"},
      {R"(apps="a b")", "'apps'"},
      {R"(apps="a\"b")", "'apps'"},
      {R"(from="")", "'from'"},
      {R"(from="10.0.0.1,,10.0.0.2")", "'from'"},
      {R"(from="!")", "'from'"},
      {R"(from="10.0.0.1, 10.0.0.2")", "'from'"},
      {R"(from="10.0.0.1/8")", "'from'"},
      {R"(from="10.0.0.0/33")", "'from'"},
      {"from", "'from'"},
  };
  for (const auto& [options, named] : refused) {
    auto parsed = parse_key_options(options);
    ASSERT_FALSE(parsed) << "accepted: " << options;
    const auto& message = parsed.error().message;
    EXPECT_NE(message.find(named), std::string::npos) << options << " -> " << message;
    EXPECT_EQ(message.find("SECRET-VALUE"), std::string::npos) << options << " -> " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(KeyOptions, EmptyItemsAndStrayCommasAreErrors) {
  for (const char* options : {",apps=\"a\"", "apps=\"a\",", "apps=\"a\",,no-pty", ",", "=\"a\"", "apps=\"a\";no-pty"})
    EXPECT_FALSE(parse_key_options(options)) << "accepted: " << options;
}

TEST(FromPatterns, MatchTheClientAddress) {
  EXPECT_TRUE(address_matches("127.0.0.1", "127.0.0.1"));
  EXPECT_TRUE(address_matches("127.0.0.1", "10.9.9.9,127.0.0.1"));
  EXPECT_TRUE(address_matches("127.0.0.1", "127.0.0.*"));
  EXPECT_TRUE(address_matches("127.0.0.1", "127.0.0.?"));
  EXPECT_TRUE(address_matches("127.0.0.1", "*"));
  EXPECT_TRUE(address_matches("127.0.0.1", "127.0.0.0/8"));
  EXPECT_TRUE(address_matches("192.168.4.7", "192.168.4.0/22"));
  EXPECT_TRUE(address_matches("2001:db8::5", "2001:db8::/32"));
  EXPECT_TRUE(address_matches("2001:DB8::5", "2001:db8::*"));
  EXPECT_TRUE(address_matches("::1", "::1"));
}

TEST(FromPatterns, NoMatchRefuses) {
  EXPECT_FALSE(address_matches("127.0.0.1", "10.9.9.9"));
  EXPECT_FALSE(address_matches("127.0.0.1", "127.0.0.10"));
  EXPECT_FALSE(address_matches("127.0.0.1", "127.0.0.??"));
  EXPECT_FALSE(address_matches("127.0.0.1", "10.0.0.0/8"));
  EXPECT_FALSE(address_matches("127.0.0.1", "::1"));
  EXPECT_FALSE(address_matches("127.0.0.1", "::/0"));             // another family
  EXPECT_FALSE(address_matches("127.0.0.1", "localhost"));        // no DNS
  EXPECT_FALSE(address_matches("", "*"));                          // unknown client
  EXPECT_FALSE(address_matches("127.0.0.1", "127.0.0.1/8"));      // malformed: nobody
  EXPECT_FALSE(address_matches("127.0.0.1", "127.0.0.1,"));       // malformed: nobody
}

TEST(FromPatterns, ANegatedMatchWinsOverEveryOtherMatch) {
  EXPECT_FALSE(address_matches("127.0.0.1", "!127.0.0.1"));
  EXPECT_FALSE(address_matches("127.0.0.1", "*,!127.0.0.1"));
  EXPECT_FALSE(address_matches("127.0.0.1", "!127.0.0.0/8,127.0.0.1"));
  EXPECT_TRUE(address_matches("127.0.0.1", "*,!10.0.0.1"));
  EXPECT_TRUE(address_matches("127.0.0.1", "!10.0.0.0/8,127.*"));
  EXPECT_FALSE(address_matches("127.0.0.1", "!10.0.0.1"));  // a negation alone allows nobody
}

TEST(AuthorizedKeys, FromLimitsWhereAKeyConnectsFrom) {
  GeneratedKey key;
  KeysFile file(key.line(R"(from="10.9.9.9",environments="staging")"));
  EXPECT_FALSE(find_authorized(file.path, key.key, "127.0.0.1"));
  EXPECT_FALSE(find_authorized(file.path, key.key, ""));
  auto found = find_authorized(file.path, key.key, "10.9.9.9");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->environments, std::set<std::string>{"staging"});
}

// The forms that used to give a key unrestricted access, and more: a line
// whose options are not understood never lets its key in.
TEST(AuthorizedKeys, ALineWithOptionsNotUnderstoodDeniesItsKey) {
  const char* lines[] = {
      R"(environments = "staging")",
      R"(no-pty environments="staging")",
      R"(environments="staging" no-pty)",
      "Environments=staging",
      "environments='staging'",
      R"(environment="staging")",
      R"(command="/bin/true")",
      R"(permitopen="localhost:80")",
      "cert-authority",
      R"(principals="alice")",
      R"(expiry-time="20991231")",
      R"(tunnel="0")",
      "bogus",
      R"(apps="a",apps="b")",
      R"(apps="a,,b")",
      R"(environments="staging",)",
      R"(environments="staging)",
      R"(from="127.0.0.1, 10.0.0.1")",
  };
  for (const char* options : lines) {
    GeneratedKey key;
    KeysFile file(key.line(options));
    EXPECT_FALSE(find_authorized(file.path, key.key, kLocal)) << "let in with: " << options;
  }
}

TEST(AuthorizedKeys, CaseDoesNotLoosenARestriction) {
  GeneratedKey key;
  KeysFile file(key.line(R"(Environments="staging")"));
  auto found = find_authorized(file.path, key.key, kLocal);
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->may_use_environment("production"));
  EXPECT_TRUE(found->may_use_environment("staging"));
}

TEST(AuthorizedKeys, ARefusedLineIsLoggedWithItsNumberAndOptionNeverTheKey) {
  GeneratedKey key, other;
  KeysFile file(other.line("") + key.line(R"(no-pty,command="SECRET-VALUE")"));
  LogCapture log;
  EXPECT_FALSE(find_authorized(file.path, key.key, kLocal));
  const auto text = log.text();
  EXPECT_NE(text.find(file.path.string() + " line 2: option 'command' is not supported; the key on this line is refused"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find(key.base64), std::string::npos) << text;
  EXPECT_EQ(text.find("SECRET-VALUE"), std::string::npos) << text;
  // One warning per refused line; another key does not trigger it.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_TRUE(find_authorized(file.path, other.key, kLocal));
  EXPECT_EQ(log.text(), text);
}

TEST(AuthorizedKeys, BrokenLinesAreExplained) {
  GeneratedKey spaced, unclosed, quoted_space;
  KeysFile file(spaced.line(R"(no-pty environments="staging")") + unclosed.line(R"(environments="staging)") +
                quoted_space.line(R"(from="127.0.0.1, 10.0.0.1")"));
  LogCapture log;
  EXPECT_FALSE(find_authorized(file.path, spaced.key, kLocal));
  EXPECT_FALSE(find_authorized(file.path, unclosed.key, kLocal));
  EXPECT_FALSE(find_authorized(file.path, quoted_space.key, kLocal));
  const auto text = log.text();
  EXPECT_NE(text.find("line 1: option 'environments' comes after a space"), std::string::npos) << text;
  EXPECT_NE(text.find("line 2: option 'environments': a double quote is never closed"), std::string::npos) << text;
  // The space inside quotes did not end the options: the from= value itself is refused.
  EXPECT_NE(text.find("line 3: option 'from': a pattern holds a space"), std::string::npos) << text;
}

TEST(AuthorizedKeys, AKeyOnAnotherValidLineStillWorks) {
  GeneratedKey key;
  KeysFile file(key.line(R"(command="/bin/true")", "first") + key.line(R"(from="10.9.9.9")", "second") +
                key.line(R"(environments="staging")", "third"));
  auto found = find_authorized(file.path, key.key, kLocal);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "third");
  EXPECT_EQ(found->environments, std::set<std::string>{"staging"});
}

}  // namespace
}  // namespace porter::ssh
