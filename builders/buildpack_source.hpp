#pragma once
// Where a buildpack comes from: built into the gateway (by name), a directory
// on the server (by absolute path), or a git repository (URL, pinned by #ref).
#include <array>
#include <set>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace porter::builders {

struct BuildpackSource {
  enum class Kind { builtin, path, git };
  Kind kind;
  std::string location;  // name, path or URL
  std::string ref;       // git only; empty = default branch
  std::string name;      // short name for progress lines and directories
};

// A build.buildpacks entry; the error names it.
Result<BuildpackSource> parse_buildpack_spec(const std::string& spec);

// Built-ins tried by automatic detection, in order. "Supplementary" ones (apt)
// run in addition to the first language buildpack that detects.
inline constexpr std::array<const char*, 5> kAutoDetectOrder = {"apt", "nodejs", "python", "static", "procfile"};
bool is_supplementary(const std::string& name);

// The buildpacks that run, in order, given which built-ins detected.
std::vector<std::string> auto_buildpacks(const std::set<std::string>& detected);

}  // namespace porter::builders
