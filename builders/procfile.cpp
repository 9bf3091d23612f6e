#include "builders/procfile.hpp"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <sstream>
#include <utility>

#include "util/beneath.hpp"

namespace porter::builders {

namespace {

// "<type>: <command>" as ^([A-Za-z0-9_-]+)[ \t]*:[ \t]*(.*?)[ \t\r]*$ would
// match it ('.' never matching \r), without std::regex: libstdc++ matches by
// recursion, one level per character, and a long line overflowed the stack.
std::optional<std::pair<std::string, std::string>> split_process_line(const std::string& line) {
  const auto type_end = line.find_first_not_of(
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
  if (type_end == 0 || type_end == std::string::npos) return std::nullopt;
  auto at = line.find_first_not_of(" \t", type_end);
  if (at == std::string::npos || line[at] != ':') return std::nullopt;
  at = line.find_first_not_of(" \t", at + 1);
  if (at == std::string::npos) return std::nullopt;
  const auto end = line.find_last_not_of(" \t\r") + 1;
  if (end <= at) return std::nullopt;
  auto command = line.substr(at, end - at);
  if (command.find('\r') != std::string::npos) return std::nullopt;
  return std::make_pair(line.substr(0, type_end), std::move(command));
}

// A name quoted from buildpack output in an error, kept on one line.
std::string printable(const std::string& text) {
  std::string line;
  for (unsigned char c : text) line += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
  return line;
}

}  // namespace

Result<ProcessTypes> parse_procfile(const std::string& text) {
  ProcessTypes processes;
  std::istringstream lines(text);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    auto process = split_process_line(line);
    if (!process) return fail("Procfile line " + std::to_string(number) + ": expected '<type>: <command>'");
    if (processes.contains(process->first))
      return fail("Procfile line " + std::to_string(number) + ": process type '" + process->first +
                  "' is defined twice");
    processes.insert(std::move(*process));
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
        return fail("buildpack release output: process '" + printable(entry.first.Scalar()) + "' is not a command");
      processes[entry.first.Scalar()] = entry.second.Scalar();
    }
    return processes;
  } catch (const YAML::Exception& e) {
    return fail("buildpack release output: invalid YAML at line " + std::to_string(e.mark.line + 1));
  }
}

}  // namespace porter::builders
