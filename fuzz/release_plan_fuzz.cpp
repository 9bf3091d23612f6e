// A release record (to_yaml's text, stored in the state database and read
// back for config changes and rollbacks). Whatever from_yaml accepts must
// survive another round trip unchanged.
#include "fuzz_support.hpp"
#include "release/release_plan.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  porter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace porter::release;
  auto plan = from_yaml(porter::fuzz::text_of(data, size));
  if (!plan) return 0;
  const auto text = to_yaml(*plan);
  auto again = from_yaml(text);
  FUZZ_CHECK(again);
  FUZZ_CHECK(to_yaml(*again) == text);
  return 0;
}
