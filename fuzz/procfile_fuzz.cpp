// The Procfile: part of the pushed commit (at most kProcfileMaxBytes).
#include "builders/procfile.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  porter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > porter::builders::kProcfileMaxBytes) return -1;  // read_procfile never reads more
  auto types = porter::builders::parse_procfile(porter::fuzz::text_of(data, size));
  if (!types) return 0;
  for (const auto& [type, command] : *types) {
    FUZZ_CHECK(!type.empty() && !command.empty());
    FUZZ_CHECK(command.find('\n') == std::string::npos);
  }
  return 0;
}
