#pragma once
#include <fcntl.h>
#include <unistd.h>

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

// Writes a file only its owner can read (it holds secrets), mode 0600 from
// the moment it exists, replacing any file of that name atomically.
inline bool write_private_file(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  const auto temp = file.string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(std::hash<std::string>{}(text) ^ reinterpret_cast<std::uintptr_t>(&text));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const bool complete = ::close(fd) == 0 && written == text.size();
  if (complete && ::rename(temp.c_str(), file.c_str()) == 0) return true;
  ::unlink(temp.c_str());
  return false;
}

}  // namespace porter::util
