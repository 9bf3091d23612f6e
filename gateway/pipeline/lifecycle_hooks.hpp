#pragma once
// Operator lifecycle hooks: executables in the server's hooks directory named
// for a stage. Each gets a JSON description of the deploy on stdin (never
// config values); a non-zero exit from a pre-* hook aborts the deploy with the
// hook's last line shown to the pusher.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "proc/process.hpp"

namespace porter::pipeline {

class LifecycleHooks {
 public:
  explicit LifecycleHooks(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Runs the stage's hook if there is one. Returns the refusal message when a
  // pre-* hook fails; other stages only report.
  std::optional<std::string> run(const std::string& stage, const std::map<std::string, std::string>& event,
                                 const proc::LineSink& output, const proc::CancelToken& cancel) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace porter::pipeline
