#pragma once
// Helpers for strict YAML models: every error names the line and the key, and
// unknown keys are errors (a typo must not be silently ignored).
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <stdexcept>
#include <string>

namespace porter::config {

// Thrown inside parsers only; the public parse functions turn it into a value.
// The message is kept one line: control characters quoted from the file (or
// from yaml-cpp's own messages) are escaped.
struct YamlError : std::runtime_error {
  explicit YamlError(const std::string& message) : std::runtime_error(one_line(message)) {}
  static std::string one_line(const std::string& text);
};

std::string where(const YAML::Node& node);  // "line 3"
void require_map(const YAML::Node& node, const std::string& what);
void reject_unknown_keys(const YAML::Node& map, const std::string& what,
                         std::initializer_list<const char*> known);

template <typename T>
T read_scalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) throw YamlError(where(node) + ": '" + key + "' must be a single value");
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw YamlError(where(node) + ": '" + key + "' has an invalid value '" + node.Scalar() + "'");
  }
}

// Loads text, turning a syntax error into a YamlError with its line.
YAML::Node load_yaml(const std::string& text, const std::string& file_name);

}  // namespace porter::config
