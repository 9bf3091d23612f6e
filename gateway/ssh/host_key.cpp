#include "ssh/host_key.hpp"

#include <libssh/libssh.h>
#include <sys/stat.h>

#include "util/file.hpp"

namespace porter::ssh {

Result<> ensure_host_key(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) {
    ::chmod(file.c_str(), 0600);
    return ok();
  }
  ssh_key key = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) return fail("cannot generate an ed25519 host key");
  char* text = nullptr;
  const int rc = ssh_pki_export_privkey_base64(key, nullptr, nullptr, nullptr, &text);
  ssh_key_free(key);
  if (rc != SSH_OK) return fail("cannot encode the host key");
  const bool written = util::write_private_file(file, text);  // never readable by others, not even briefly
  ssh_string_free_char(text);
  if (!written) return fail("cannot write host key " + file.string());
  return ok();
}

}  // namespace porter::ssh
