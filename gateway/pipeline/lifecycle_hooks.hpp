#pragma once
// Operator lifecycle hooks: executables in the server's hooks directory named
// for a stage. Each gets a JSON description of the deploy on stdin (never
// config values); a non-zero exit from a pre-* hook aborts the deploy with the
// hook's last line shown to the pusher.
#include <filesystem>
#include <map>
#include <string>

#include "proc/process.hpp"
#include "util/result.hpp"

namespace porter::pipeline {

enum class HookStage { pre_build, post_build, pre_release, post_release, on_failure };

const char* to_string(HookStage stage);  // the hook's file name: "pre-build", ...

class LifecycleHooks {
 public:
  explicit LifecycleHooks(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Runs the stage's hook if there is one. Only a failing pre-* hook is an
  // error (its refusal); the other stages only report.
  Result<> run(HookStage stage, const std::map<std::string, std::string>& event, const proc::LineSink& output,
               const proc::CancelToken& cancel) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace porter::pipeline
