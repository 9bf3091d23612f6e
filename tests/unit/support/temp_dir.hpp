#pragma once
// Test support: a private temporary directory per test, small file helpers,
// a shell for fixtures (git, scripts), and waiting on a condition with a
// deadline (never a bare sleep).
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace porter::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// mkdtemp under the system temp dir; removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test") {
    std::string pattern = (fs::temp_directory_path() / ("porter-" + tag + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(const fs::path& child) const { return path_ / child; }

 private:
  fs::path path_;
};

inline void write_file(const fs::path& file, const std::string& text, bool executable = false) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  {
    std::ofstream out(file, std::ios::trunc | std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + file.string());
  }
  fs::permissions(file, executable ? fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                         fs::perms::others_read | fs::perms::others_exec
                                   : fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                         fs::perms::others_read);
}

inline std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// 'text' for sh, whatever it holds.
inline std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct ShellResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `script` with sh; for fixtures only (the code under test never uses a shell).
inline ShellResult shell(const std::string& script) {
  ShellResult result;
  FILE* pipe = ::popen(("( " + script + " ) 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed");
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Like shell(), but a failing script is a test error; returns the output
// without its trailing newline.
inline std::string shell_ok(const std::string& script) {
  auto result = shell(script);
  if (result.exit_code != 0)
    throw std::runtime_error("fixture command failed (exit " + std::to_string(result.exit_code) + "): " + script +
                             "\n" + result.output);
  while (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
  return result.output;
}

// Checks `condition` until it holds or `timeout` passes; true if it held. For
// conditions nothing signals (a file appearing, another process's state).
inline bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
}

}  // namespace porter::test
