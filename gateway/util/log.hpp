#pragma once
// One logger per subsystem ("ssh", "git", "pipeline", ...), so every line
// says where it comes from; all share the default sink and level.
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>

namespace porter::util {

inline std::shared_ptr<spdlog::logger> logger(const std::string& subsystem) {
  static std::mutex creating;
  std::lock_guard lock(creating);
  if (auto existing = spdlog::get(subsystem)) return existing;
  auto created = spdlog::default_logger()->clone(subsystem);
  spdlog::register_logger(created);
  return created;
}

}  // namespace porter::util
