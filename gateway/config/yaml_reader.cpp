#include "config/yaml_reader.hpp"

#include <algorithm>

namespace porter::config {

std::string YamlError::one_line(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string line;
  for (unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) {
      line += static_cast<char>(c);
    } else {
      line += c == '\n' ? std::string("\\n") : std::string{'\\', 'x', kHex[c >> 4], kHex[c & 0xf]};
    }
  }
  return line;
}

std::string where(const YAML::Node& node) {
  auto mark = node.Mark();
  if (mark.line < 0) return "top level";
  return "line " + std::to_string(mark.line + 1);
}

void require_map(const YAML::Node& node, const std::string& what) {
  if (!node.IsMap()) throw YamlError(where(node) + ": '" + what + "' must be a mapping of keys to values");
}

void reject_unknown_keys(const YAML::Node& map, const std::string& what,
                         std::initializer_list<const char*> known) {
  for (const auto& entry : map) {
    const auto key = entry.first.Scalar();
    bool ok = std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; });
    if (ok) continue;
    std::string expected;
    for (const char* k : known) expected += (expected.empty() ? "" : ", ") + std::string(k);
    throw YamlError(where(entry.first) + ": unknown key '" + key + "' in " + what + " (expected one of: " +
                    expected + ")");
  }
}

YAML::Node load_yaml(const std::string& text, const std::string& file_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw YamlError(file_name + " line " + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
}

}  // namespace porter::config
