#pragma once
// Process types: Procfile lines and buildpack release output.
#include <map>
#include <string>
#include <variant>

namespace porter::builders {

using ProcessTypes = std::map<std::string, std::string>;  // "web" -> "npm start"

struct ParseError {
  std::string message;  // one line, names the file and line
};

// "web: bundle exec puma" per line; blank lines and # comments ignored.
std::variant<ProcessTypes, ParseError> parse_procfile(const std::string& text);

// bin/release output: YAML with an optional default_process_types map.
std::variant<ProcessTypes, ParseError> parse_release_yaml(const std::string& text);

}  // namespace porter::builders
