#pragma once
// OpenSSH-format authorized keys: "[options] type base64 [comment]" per line.
// The file is read at each authentication, so keys added take effect at once.
#include <libssh/libssh.h>

#include <filesystem>
#include <optional>
#include <string>

namespace porter::ssh {

struct Identity {
  std::string name;  // the key's comment, or its SHA256 fingerprint
};

// The identity of `key` if it is listed in the file.
std::optional<Identity> find_authorized(const std::filesystem::path& file, ssh_key key);

std::string fingerprint(ssh_key key);

}  // namespace porter::ssh
