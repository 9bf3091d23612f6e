#include "ssh/host_key.hpp"

#include <libssh/libssh.h>
#include <sys/stat.h>

namespace porter::ssh {

std::optional<std::string> ensure_host_key(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) {
    ::chmod(file.c_str(), 0600);
    return std::nullopt;
  }
  std::filesystem::create_directories(file.parent_path());
  ssh_key key = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) return "cannot generate an ed25519 host key";
  const mode_t old_mask = ::umask(0077);  // never readable by others, not even briefly
  int rc = ssh_pki_export_privkey_file(key, nullptr, nullptr, nullptr, file.c_str());
  ::umask(old_mask);
  ssh_key_free(key);
  if (rc != SSH_OK) return "cannot write host key " + file.string();
  ::chmod(file.c_str(), 0600);
  return std::nullopt;
}

}  // namespace porter::ssh
