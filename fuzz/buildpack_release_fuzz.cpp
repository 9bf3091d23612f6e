// bin/release output: printed by a buildpack, which runs tenant code.
#include "builders/procfile.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  porter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto types = porter::builders::parse_release_yaml(porter::fuzz::text_of(data, size));
  if (!types) FUZZ_CHECK(types.error().message.find('\n') == std::string::npos);
  return 0;
}
