#include "builders/procfile.hpp"

#include <yaml-cpp/yaml.h>

#include <regex>
#include <sstream>

#include "util/beneath.hpp"

namespace porter::builders {

Result<ProcessTypes> parse_procfile(const std::string& text) {
  static const std::regex line_pattern(R"(^([A-Za-z0-9_-]+)[ \t]*:[ \t]*(.*?)[ \t\r]*$)");
  ProcessTypes processes;
  std::istringstream lines(text);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::smatch match;
    if (!std::regex_match(line, match, line_pattern) || match[2].length() == 0)
      return fail("Procfile line " + std::to_string(number) + ": expected '<type>: <command>'");
    if (processes.contains(match[1]))
      return fail("Procfile line " + std::to_string(number) + ": process type '" + match[1].str() +
                  "' is defined twice");
    processes[match[1]] = match[2];
  }
  return processes;
}

Result<ProcessTypes> read_procfile(const std::filesystem::path& source_dir) {
  auto text = util::read_beneath(source_dir, "Procfile", kProcfileMaxBytes);
  if (!text) return std::unexpected(text.error());
  if (!*text) return ProcessTypes{};
  return parse_procfile(**text);
}

Result<ProcessTypes> parse_release_yaml(const std::string& text) {
  try {
    auto root = YAML::Load(text);
    ProcessTypes processes;
    if (root.IsNull()) return processes;
    if (!root.IsMap()) return fail("buildpack release output is not a YAML mapping");
    auto types = root["default_process_types"];
    if (!types || types.IsNull()) return processes;
    if (!types.IsMap()) return fail("buildpack release output: default_process_types is not a mapping");
    for (const auto& entry : types) {
      if (!entry.second.IsScalar())
        return fail("buildpack release output: process '" + entry.first.Scalar() + "' is not a command");
      processes[entry.first.Scalar()] = entry.second.Scalar();
    }
    return processes;
  } catch (const YAML::Exception& e) {
    return fail("buildpack release output: invalid YAML at line " + std::to_string(e.mark.line + 1));
  }
}

}  // namespace porter::builders
