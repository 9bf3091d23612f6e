#pragma once
// Process types: Procfile lines and buildpack release output.
#include <map>
#include <string>

#include "util/result.hpp"

namespace porter::builders {

using ProcessTypes = std::map<std::string, std::string>;  // "web" -> "npm start"

// "web: bundle exec puma" per line; blank lines and # comments ignored.
// Errors are one line naming the file and the line.
Result<ProcessTypes> parse_procfile(const std::string& text);

// bin/release output: YAML with an optional default_process_types map.
Result<ProcessTypes> parse_release_yaml(const std::string& text);

}  // namespace porter::builders
