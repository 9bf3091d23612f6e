#pragma once
// The gateway's parts, wired: the SSH layer's handler (auth, git services,
// management commands) and the hook socket's push handler, over one store,
// one set of environment locks and the cluster drivers.
#include "builders/builder.hpp"
#include "cluster/drivers.hpp"
#include "cluster/local_driver.hpp"
#include "commands/admin_commands.hpp"
#include "config/gateway_config.hpp"
#include "dashboard/auth.hpp"
#include "git/repo_store.hpp"
#include "hookrpc/server.hpp"
#include "pipeline/cron_runner.hpp"
#include "pipeline/push_job.hpp"
#include "pipeline/reconciler.hpp"
#include "pipeline/scaling.hpp"
#include "pipeline/sessions.hpp"
#include "proxy/nginx_proxy.hpp"
#include "ssh/session_handler.hpp"
#include "state/store.hpp"

namespace porter {

class Gateway final : public ssh::SessionHandler {
 public:
  Gateway(const config::GatewayConfig& config, const std::filesystem::path& jobs_cgroup);

  state::Store& store() { return store_; }
  proxy::NginxProxy& proxy() { return proxy_; }
  pipeline::Reconciler& reconciler() { return reconciler_; }
  pipeline::Autoscaler& autoscaler() { return autoscaler_; }
  pipeline::CronRunner& cron() { return cron_; }
  commands::AdminCommands& commands() { return commands_; }
  const cluster::Drivers& drivers() const { return drivers_; }
  const cluster::Metrics& metrics() const { return metrics_; }
  dashboard::Auth& dashboard_auth() { return dashboard_auth_; }
  // Where the dashboard answers, once it listens: "http://HOST:PORT".
  void set_dashboard_url(const std::string& url);

  // ssh::SessionHandler
  std::optional<ssh::Identity> authorize(ssh_key key, const std::string& client_address) override;
  Result<ssh::GitLaunch> prepare_git(const ssh::GitRequest& request, const ssh::Identity& who,
                                     const std::string& git_protocol) override;
  void git_finished(const ssh::GitLaunch& launch) override;
  int run_command(const std::vector<std::string>& words, const ssh::Identity& who,
                  const ssh::CommandOutput& output) override;

  // A push handed over by a pre-receive hook; returns the hook's exit code.
  int handle_push(const hookrpc::HookRequest& request, const hookrpc::OutputSink& output);

 private:
  Result<> ensure_app(const std::string& app);
  std::string dashboard_link(const ssh::Identity& who);
  std::vector<std::string> hidden_branches(const std::string& app, const ssh::Identity& who) const;

  const config::GatewayConfig& config_;
  state::Store store_;
  git::RepoStore repos_;
  pipeline::SessionRegistry sessions_;
  pipeline::EnvLocks locks_;
  builders::BuilderRegistry builders_;
  proxy::NginxProxy proxy_;
  cluster::LocalDriver local_driver_;
  cluster::Drivers drivers_;  // local_driver_ and a Kubernetes driver per environment that names a cluster
  pipeline::LifecycleHooks hooks_;
  pipeline::Pusher pusher_;
  cluster::Metrics metrics_;
  dashboard::Auth dashboard_auth_;
  std::mutex dashboard_mutex_;
  std::string dashboard_url_;  // empty until the dashboard listens
  commands::AdminCommands commands_;
  pipeline::Reconciler reconciler_;  // after what it uses: stopped first
  pipeline::CronRunner cron_;        // likewise
  pipeline::Autoscaler autoscaler_;  // likewise
  std::mutex create_mutex_;
};

}  // namespace porter
