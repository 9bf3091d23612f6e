// porter.yaml: part of the pushed commit, written by whoever may push.
#include <regex>

#include "config/app_config.hpp"
#include "fuzz_support.hpp"

namespace {

bool inside_repository(const std::string& path) {
  static const std::regex parent("(^|/)\\.\\.(/|$)");
  return !path.empty() && path.front() != '/' && !std::regex_search(path, parent);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  porter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace porter::config;
  auto config = parse_app_config(porter::fuzz::text_of(data, size));
  if (!config) {
    FUZZ_CHECK(!config.error().message.empty() && config.error().message.find('\n') == std::string::npos);
    return 0;
  }
  FUZZ_CHECK(inside_repository(config->build.dockerfile));
  FUZZ_CHECK(inside_repository(config->build.context));
  for (const auto& [name, service] : config->services) {
    FUZZ_CHECK(is_valid_service_name(name));
    FUZZ_CHECK(service.replicas >= 0 && service.replicas <= 50);
    FUZZ_CHECK(service.healthcheck.path.starts_with("/"));
  }
  return 0;
}
