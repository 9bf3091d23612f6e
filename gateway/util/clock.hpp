#pragma once
// Durations as the gateway shows and waits for them.
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <string>

namespace porter::util {

// "12.3 s", for progress lines.
inline std::string seconds_since(std::chrono::steady_clock::time_point start) {
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", elapsed);
  return text;
}

// Milliseconds left until `when`, as poll() takes them (0 once it is past).
inline int milliseconds_until(std::chrono::steady_clock::time_point when) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(when - std::chrono::steady_clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
}

}  // namespace porter::util
