#include "ssh/authorized_keys.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

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
};

std::filesystem::path write_keys(const std::string& text) {
  auto file = std::filesystem::temp_directory_path() / ("porter-keys-" + std::to_string(::getpid()));
  std::ofstream(file) << text;
  return file;
}

TEST(AuthorizedKeys, FindsListedKeysWithTheirNameAndAccess) {
  GeneratedKey alice, bob, stranger;
  auto file = write_keys("# team\nssh-ed25519 " + alice.base64 + " alice@laptop\n" +
                         "apps=\"shop,blog\",environments=\"staging\" ssh-ed25519 " + bob.base64 + " bob\n");
  auto found_alice = find_authorized(file, alice.key);
  ASSERT_TRUE(found_alice);
  EXPECT_EQ(found_alice->name, "alice@laptop");
  EXPECT_TRUE(found_alice->may_use_app("anything"));
  EXPECT_TRUE(found_alice->may_use_environment("production"));

  auto found_bob = find_authorized(file, bob.key);
  ASSERT_TRUE(found_bob);
  EXPECT_TRUE(found_bob->may_use_app("blog"));
  EXPECT_FALSE(found_bob->may_use_app("billing"));
  EXPECT_TRUE(found_bob->may_use_environment("staging"));
  EXPECT_FALSE(found_bob->may_use_environment("production"));

  EXPECT_FALSE(find_authorized(file, stranger.key));
  std::filesystem::remove(file);
}

TEST(AuthorizedKeys, NamelessKeysAreKnownByFingerprint) {
  GeneratedKey key;
  auto file = write_keys("ssh-ed25519 " + key.base64 + "\n");
  auto found = find_authorized(file, key.key);
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->name.starts_with("SHA256:")) << found->name;
  std::filesystem::remove(file);
}

TEST(AuthorizedKeys, AccessOptionsParse) {
  Identity identity;
  parse_access_options("no-pty,environments=\"dev\",apps=\"a\"", identity);
  ASSERT_TRUE(identity.apps && identity.environments);
  EXPECT_EQ(*identity.apps, std::set<std::string>{"a"});
  EXPECT_EQ(*identity.environments, std::set<std::string>{"dev"});
}

}  // namespace
}  // namespace porter::ssh
