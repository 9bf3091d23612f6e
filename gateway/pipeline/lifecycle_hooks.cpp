#include "pipeline/lifecycle_hooks.hpp"

#include <unistd.h>

#include <fstream>

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
  const auto input = std::filesystem::temp_directory_path() /
                     ("porter-hook-" + stage + "-" + std::to_string(::getpid()) + "-" + event.at("deploy") + ".json");
  std::ofstream(input, std::ios::trunc) << util::json_object(payload) << "\n";
  auto result = proc::run({.program = hook.string(), .args = {}, .env = {}, .dir = dir_, .stdin_file = input},
                          output, cancel, kHookTimeout);
  std::filesystem::remove(input);
  if (result.ok() || !stage.starts_with("pre-")) return std::nullopt;
  const auto reason = result.last_lines.empty() ? "exit " + std::to_string(result.exit_code) : result.last_lines.back();
  return stage + " hook refused: " + reason;
}

}  // namespace porter::pipeline
