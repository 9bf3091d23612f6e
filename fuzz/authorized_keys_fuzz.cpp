// authorized_keys: the file is the operator's, but lines are pasted from
// users; options fields and from= patterns are parsed at every login.
// The input is the file; its first line also serves as the client address.
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_support.hpp"
#include "ssh/authorized_keys.hpp"

namespace {

constexpr const char* kKeyBase64 = "AAAAC3NzaC1lZDI1NTE5AAAAIK9Uj9jE4tyHjiCheiFX0X06hNgBxtT1mlnn/zm0TbXR";
// The base64 of the key's 32 bytes (and their length): the blob's first 15
// bytes name the type, which libssh does not compare with the line's type.
constexpr const char* kKeyMaterial = "AAAAIK9Uj9jE4tyHjiCheiFX0X06hNgBxtT1mlnn/zm0TbXR";

ssh_key the_key = nullptr;
int file_fd = -1;
std::string file_path;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  porter::fuzz::quiet_logs();
  if (ssh_pki_import_pubkey_base64(kKeyBase64, SSH_KEYTYPE_ED25519, &the_key) != SSH_OK) std::abort();
  file_fd = ::memfd_create("authorized_keys", 0);
  if (file_fd < 0) std::abort();
  file_path = "/proc/self/fd/" + std::to_string(file_fd);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace porter::ssh;
  const auto text = porter::fuzz::text_of(data, size);
  const auto address = text.substr(0, text.find('\n'));

  (void)parse_key_options(text);
  (void)address_matches(address, text);

  if (::ftruncate(file_fd, 0) != 0 || ::pwrite(file_fd, text.data(), text.size(), 0) != static_cast<ssize_t>(size))
    std::abort();
  if (auto identity = find_authorized(file_path, the_key, address)) {
    // Only a line that lists the key can let it in.
    FUZZ_CHECK(text.find(kKeyMaterial) != std::string::npos);
    FUZZ_CHECK(!identity->name.empty());
  }
  return 0;
}
