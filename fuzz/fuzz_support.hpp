#pragma once
// Shared by the fuzz targets: the input as a string, quiet logs, and a check
// that reports a broken invariant as a crash (libFuzzer saves the input).
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace porter::fuzz {

inline std::string text_of(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Parsers log what they refuse; a fuzzer run would drown in it.
inline void quiet_logs() { spdlog::set_level(spdlog::level::off); }

[[noreturn]] inline void broken(const char* invariant, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, invariant);
  std::abort();
}

}  // namespace porter::fuzz

#define FUZZ_CHECK(condition) \
  ((condition) ? (void)0 : ::porter::fuzz::broken(#condition, __FILE__, __LINE__))
