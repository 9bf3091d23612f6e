#pragma once
// OpenSSH-format authorized keys: "[options] type base64 [comment]" per line.
// The file is read at each authentication, so keys added take effect at once.
#include <libssh/libssh.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>

namespace porter::ssh {

// Who a key is, and what it may touch. Access is narrowed with options before
// the key type, e.g.
//   apps="shop,blog",environments="staging,development" ssh-ed25519 AAAA... alice
// A key without them may use every app and environment.
struct Identity {
  std::string name;  // the key's comment, or its SHA256 fingerprint
  std::optional<std::set<std::string>> apps;
  std::optional<std::set<std::string>> environments;

  bool may_use_app(const std::string& app) const { return !apps || apps->contains(app); }
  bool may_use_environment(const std::string& env) const { return !environments || environments->contains(env); }
};

// Reads the access options of an authorized_keys line's options field.
void parse_access_options(const std::string& options, Identity& identity);

// The identity of `key` if it is listed in the file.
std::optional<Identity> find_authorized(const std::filesystem::path& file, ssh_key key);

std::string fingerprint(ssh_key key);

}  // namespace porter::ssh
