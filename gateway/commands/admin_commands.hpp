#pragma once
// Management commands over SSH: apps, build cache, config vars, releases and
// rollback. Config changes and rollbacks make a new release of an existing
// image (no rebuild), under the same per-environment lock as pushes.
#include <functional>

#include "cluster/metrics.hpp"
#include "commands/verbs.hpp"
#include "config/gateway_config.hpp"
#include "git/repo_store.hpp"
#include "pipeline/env_locks.hpp"
#include "pipeline/release_runner.hpp"
#include "ssh/session_handler.hpp"

namespace porter::commands {

// Creates an app's repository and record if needed.
using EnsureApp = std::function<Result<>(const std::string& app)>;

// The web dashboard's logins, when it runs (see gateway/dashboard).
struct DashboardLogins {
  // A one-use login link for `who`: "http://HOST:PORT/login/<token>"; empty while the dashboard is down.
  std::function<std::string(const ssh::Identity& who)> link;
  // Ends every session of the key named so; returns how many.
  std::function<std::size_t(const std::string& key_name)> logout_all;
  std::chrono::seconds link_ttl{60};
};

// What the commands need.
struct CommandServices {
  const config::GatewayConfig& config;
  state::Store& store;
  pipeline::EnvLocks& locks;
  pipeline::Releaser release;
  const git::RepoStore& repos;
  EnsureApp ensure_app;
  const cluster::Metrics& metrics;  // the local engine's replicas' CPU and memory
  DashboardLogins dashboard;
};

class AdminCommands {
 public:
  explicit AdminCommands(CommandServices services) : services_(std::move(services)) {}

  // Returns the command's exit status.
  int run(const std::vector<std::string>& words, const ssh::Identity& who, const ssh::CommandOutput& output);

  // Sets and unsets config vars at once, in one new release (no build): the
  // dashboard's config edit. Checks access, keys and values as config:set does.
  int change_config(const std::string& app, const std::string& env, const state::ConfigVars& set,
                    const std::vector<std::string>& unset, const ssh::Identity& who, const ssh::CommandOutput& output);

 private:
  int dispatch(const Command& command, const ssh::Identity& who, const ssh::CommandOutput& output);
  int apps_list(const ssh::Identity& who, const ssh::CommandOutput& output);
  int apps_create(const Command& command, const ssh::CommandOutput& output);
  int cache_purge(const Command& command, const ssh::CommandOutput& output);
  int config_show(const Command& command, const ssh::CommandOutput& output);
  int config_get(const Command& command, const ssh::CommandOutput& output);
  int config_change(const Command& command, const ssh::Identity& who, const ssh::CommandOutput& output);
  int apply_config(const Command& command, const state::ConfigVars& set, const std::vector<std::string>& unset,
                   const ssh::Identity& who, const ssh::CommandOutput& output);
  int dashboard_login(const ssh::Identity& who, const ssh::CommandOutput& output);
  int dashboard_logout_all(const ssh::Identity& who, const ssh::CommandOutput& output);
  int releases(const Command& command, const ssh::CommandOutput& output);
  int rollback(const Command& command, const ssh::Identity& who, const ssh::CommandOutput& output);
  int deploys(const Command& command, const ssh::Identity& who, const ssh::CommandOutput& output);
  int deploy_log(const Command& command, const ssh::CommandOutput& output);
  int run_one_off(const Command& command, const ssh::Identity& who, const ssh::CommandOutput& output);
  int ps(const Command& command, const ssh::CommandOutput& output);
  int ps_scale(const Command& command, const ssh::Identity& who, const ssh::CommandOutput& output);
  int ps_rerelease(const Command& command, const ssh::Identity& who, const ssh::CommandOutput& output);
  int logs(const Command& command, const ssh::CommandOutput& output);
  // In jobs_command.cpp: cron jobs and their runs.
  int jobs(const Command& command, const ssh::CommandOutput& output);
  int jobs_log(const Command& command, const ssh::CommandOutput& output);

  CommandServices services_;
};

}  // namespace porter::commands
