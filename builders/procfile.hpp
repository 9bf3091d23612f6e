#pragma once
// Process types: Procfile lines and buildpack release output.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>

#include "util/result.hpp"

namespace porter::builders {

using ProcessTypes = std::map<std::string, std::string>;  // "web" -> "npm start"

// "web: bundle exec puma" per line; blank lines and # comments ignored.
// Errors are one line naming the file and the line.
Result<ProcessTypes> parse_procfile(const std::string& text);

// The Procfile at the root of a checkout: read beneath it, never through a
// symbolic link, a regular file of at most kProcfileMaxBytes. No Procfile
// means no process types.
inline constexpr std::size_t kProcfileMaxBytes = 64 * 1024;
Result<ProcessTypes> read_procfile(const std::filesystem::path& source_dir);

// bin/release output: YAML with an optional default_process_types map.
Result<ProcessTypes> parse_release_yaml(const std::string& text);

}  // namespace porter::builders
