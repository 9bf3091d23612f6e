#pragma once
// A plain HTTP GET against a local port, for health checks.
#include <chrono>
#include <string>

#include "util/result.hpp"

namespace porter::http {

// Status code of GET http://host:port/path, or why no HTTP answer came
// within `timeout` ("Connection refused", "no answer within 5 s", ...).
Result<int> get_status(const std::string& host, int port, const std::string& path,
                       std::chrono::milliseconds timeout);

}  // namespace porter::http
