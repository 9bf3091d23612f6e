#pragma once
// Where a buildpack comes from: built into the gateway (by name), a directory
// on the server beneath the gateway's buildpacks_dir (by absolute path), or a
// git repository fetched over https from a host the admin allows (URL, pinned
// by #ref). Specs come from porter.yaml, written by a tenant: anything else
// (file://, ssh://, git@host:, http://, paths elsewhere on the server, refs
// that git could take for options) is refused with one line.
#include <array>
#include <filesystem>
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

// What the gateway's admin allows (gateway.yaml).
struct BuildpackPolicy {
  std::filesystem::path buildpacks_dir;  // the built-ins; server paths must lie beneath it
  std::vector<std::string> hosts;        // buildpack_hosts: "host" (any port) or "host:port"
};

// A build.buildpacks entry; the error names it and why it is refused.
Result<BuildpackSource> parse_buildpack_spec(const std::string& spec, const BuildpackPolicy& policy);

// A ref git can only take for a ref: [A-Za-z0-9._/-], not starting with '-'
// (an option) and without '..'. The error names it.
Result<> check_git_ref(const std::string& ref, const std::string& url);

// The directory to copy a built-in or server-path buildpack from: its real
// path, which must still lie beneath the real buildpacks_dir (no symbolic
// link there leads out), with bin/detect and bin/compile.
Result<std::filesystem::path> server_buildpack_dir(const BuildpackSource& source,
                                                   const std::filesystem::path& buildpacks_dir);

// Built-ins tried by automatic detection, in order. "Supplementary" ones (apt)
// run in addition to the first language buildpack that detects.
inline constexpr std::array<const char*, 5> kAutoDetectOrder = {"apt", "nodejs", "python", "static", "procfile"};
bool is_supplementary(const std::string& name);

// The buildpacks that run, in order, given which built-ins detected.
std::vector<std::string> auto_buildpacks(const std::set<std::string>& detected);

}  // namespace porter::builders
