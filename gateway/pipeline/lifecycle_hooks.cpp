#include "pipeline/lifecycle_hooks.hpp"

#include <unistd.h>

#include <cstdlib>

#include "util/json.hpp"

namespace porter::pipeline {

constexpr std::chrono::seconds kHookTimeout{300};

std::optional<std::string> LifecycleHooks::run(const std::string& stage,
                                               const std::map<std::string, std::string>& event,
                                               const proc::LineSink& output, const proc::CancelToken& cancel) const {
  const auto hook = dir_ / stage;
  if (::access(hook.c_str(), X_OK) != 0) return std::nullopt;
  auto payload = event;
  payload["stage"] = stage;
  // A private file of its own per run: several hooks may run at once.
  std::string input = (std::filesystem::temp_directory_path() / "porter-hook-XXXXXX").string();
  const int fd = ::mkstemp(input.data());
  if (fd < 0) return stage.starts_with("pre-") ? std::optional<std::string>(stage + " hook: no temp file") : std::nullopt;
  const auto json = util::json_object(payload) + "\n";
  const bool written = ::write(fd, json.data(), json.size()) == static_cast<ssize_t>(json.size());
  ::close(fd);
  auto result = written ? proc::run({.program = hook.string(), .args = {}, .env = {}, .dir = dir_, .stdin_file = input},
                                    output, cancel, kHookTimeout)
                        : proc::RunResult{.error = "cannot write the hook's input"};
  std::filesystem::remove(input);
  if (result.ok() || !stage.starts_with("pre-")) return std::nullopt;
  const auto reason = result.last_lines.empty() ? "exit " + std::to_string(result.exit_code) : result.last_lines.back();
  return stage + " hook refused: " + reason;
}

}  // namespace porter::pipeline
