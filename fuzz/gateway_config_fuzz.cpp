// gateway.yaml: the operator's file, read at every start; a typo must give
// an error naming the line, never a crash.
#include "config/gateway_config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  porter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace porter::config;
  const auto text = porter::fuzz::text_of(data, size);
  if (auto config = parse_gateway_config(text)) {
    FUZZ_CHECK(config->listen_port >= 0 && config->listen_port <= 65535);
    FUZZ_CHECK(config->proxy_port >= 0 && config->proxy_port <= 65535);
    for (int port : config->host_services) FUZZ_CHECK(port >= 1 && port <= 65535);
  } else {
    FUZZ_CHECK(config.error().message.find('\n') == std::string::npos);
  }
  if (auto host_port = parse_host_port(text)) FUZZ_CHECK(host_port->second >= 0 && host_port->second <= 65535);
  return 0;
}
