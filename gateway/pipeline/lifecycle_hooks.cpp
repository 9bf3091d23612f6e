#include "pipeline/lifecycle_hooks.hpp"

#include <unistd.h>

#include "util/file.hpp"
#include "util/json.hpp"

namespace porter::pipeline {
namespace {

constexpr std::chrono::seconds kHookTimeout{300};

bool can_refuse(HookStage stage) { return stage == HookStage::pre_build || stage == HookStage::pre_release; }

}  // namespace

const char* to_string(HookStage stage) {
  switch (stage) {
    case HookStage::pre_build: return "pre-build";
    case HookStage::post_build: return "post-build";
    case HookStage::pre_release: return "pre-release";
    case HookStage::post_release: return "post-release";
    case HookStage::on_failure: return "on-failure";
  }
  return "unknown";
}

Result<> LifecycleHooks::run(HookStage stage, const std::map<std::string, std::string>& event,
                             const proc::LineSink& output, const proc::CancelToken& cancel) const {
  const std::string name = to_string(stage);
  const auto hook = dir_ / name;
  if (::access(hook.c_str(), X_OK) != 0) return ok();
  auto payload = event;
  payload["stage"] = name;
  // A private file of its own per run: several hooks may run at once.
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "%d-%p", ::getpid(), static_cast<const void*>(&event));
  const auto input = std::filesystem::temp_directory_path() / ("porter-hook-" + name + "-" + suffix);
  auto result = util::write_private_file(input, util::json_object(payload) + "\n")
                    ? proc::run({.program = hook.string(), .args = {}, .env = {}, .dir = dir_, .stdin_file = input},
                                output, cancel, kHookTimeout)
                    : proc::RunResult{.error = "cannot write the hook's input", .last_lines = {}};
  std::filesystem::remove(input);
  if (result.ok() || !can_refuse(stage)) return ok();
  const auto reason = !result.error.empty()          ? result.error
                      : result.last_lines.empty() ? "exit " + std::to_string(result.exit_code)
                                                  : result.last_lines.back();
  return fail(name + " hook refused: " + reason);
}

}  // namespace porter::pipeline
