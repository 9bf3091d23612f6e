#pragma once
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace porter::util {

// The whole file as text; empty if it cannot be read.
inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace porter::util
