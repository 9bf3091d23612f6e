#pragma once
// Management commands over SSH: apps, build cache, config vars, releases and
// rollback. Config changes and rollbacks make a new release of an existing
// image (no rebuild), under the same per-environment lock as pushes.
#include <functional>
#include <optional>

#include "git/repo_store.hpp"
#include "pipeline/services.hpp"
#include "ssh/session_handler.hpp"

namespace porter::commands {

class AdminCommands {
 public:
  using EnsureApp = std::function<std::optional<std::string>(const std::string& app)>;
  AdminCommands(pipeline::Services& services, const git::RepoStore& repos, EnsureApp ensure_app)
      : services_(services), repos_(repos), ensure_app_(std::move(ensure_app)) {}

  int run(const ssh::AdminRequest& request, const ssh::Identity& who, const ssh::CommandOutput& output);

 private:
  int apps_list(const ssh::Identity& who, const ssh::CommandOutput& output);
  int apps_create(const ssh::AdminRequest& request, const ssh::CommandOutput& output);
  int cache_purge(const ssh::AdminRequest& request, const ssh::CommandOutput& output);
  int config_show(const ssh::AdminRequest& request, const ssh::CommandOutput& output);
  int config_get(const ssh::AdminRequest& request, const ssh::CommandOutput& output);
  int config_change(const ssh::AdminRequest& request, const ssh::Identity& who, const ssh::CommandOutput& output);
  int releases(const ssh::AdminRequest& request, const ssh::CommandOutput& output);
  int rollback(const ssh::AdminRequest& request, const ssh::Identity& who, const ssh::CommandOutput& output);

  pipeline::Services& services_;
  const git::RepoStore& repos_;
  EnsureApp ensure_app_;
};

}  // namespace porter::commands
