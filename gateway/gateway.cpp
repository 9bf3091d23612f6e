#include "gateway.hpp"

#include "cluster/kubernetes_driver.hpp"
#include "util/log.hpp"

namespace porter {
namespace {

// The porter binary the hooks exec. If it is replaced while we run (an
// upgrade), /proc says "(deleted)": the path still names the new binary.
std::filesystem::path own_executable() {
  auto path = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string deleted = " (deleted)";
  if (path.ends_with(deleted)) path.erase(path.size() - deleted.size());
  return path;
}

// The objects of a push still in quarantine: git's tmp_objdir-incoming-*
// directly under the app repository's objects/ (the hook's path may be
// relative to the repo, where it runs), or none when the push sent no
// objects (a branch deletion). Anything else is refused: the path comes from
// the hook's request, the repository from the SSH session.
Result<std::string> quarantine_in(const std::filesystem::path& repo_dir, const std::string& given) {
  if (given.empty()) return std::string();
  const auto path = std::filesystem::weakly_canonical(repo_dir / given);
  const bool inside = path.parent_path() == std::filesystem::weakly_canonical(repo_dir / "objects") &&
                      path.filename().string().starts_with("tmp_objdir-incoming-");
  if (!inside) return fail("the hook's quarantine is not inside this app's repository");
  return path.string();
}

// What a cron run's container left behind by a crash is removed with.
void remove_container(const std::string& name) {
  constexpr std::chrono::seconds kRemoveTimeout{60};
  proc::output_of({.program = "podman", .args = {"rm", "--force", "--time", "0", name}, .env = {}, .dir = {}},
                  kRemoveTimeout);
}

std::string value_of(const std::map<std::string, std::string>& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

}  // namespace

Gateway::Gateway(const config::GatewayConfig& config, const std::filesystem::path& jobs_cgroup)
    : config_(config),
      store_(config.state_db()),
      repos_(config.repos_dir()),
      builders_(builders::BuilderRegistry::with_defaults()),
      proxy_(config.nginx_dir(), config.proxy_host, config.proxy_port, config.proxy_domain),
      local_driver_(config.releases_dir(),
                    {config.replica_logs_dir(), config.app_logs_budget_mb * 1024 * 1024,
                     [this](const std::string& app, const std::string& env, int version) {
                       const auto live = store_.live_release(app, env);
                       return live && live->version == version;
                     }},
                    proxy_, config.host_services,
                    [this](const std::string& app, const std::string& env) { return store_.uid_slot(app, env); }),
      drivers_(local_driver_),
      hooks_(config.hooks_dir),
      pusher_{{config_, store_, builders_, {store_, drivers_, hooks_}, jobs_cgroup}, locks_},
      dashboard_auth_(config.dashboard.login_ttl, config.dashboard.session_ttl),
      commands_({config_, store_, locks_, {store_, drivers_, hooks_}, repos_,
                 [this](const std::string& app) { return ensure_app(app); }, metrics_,
                 {[this](const ssh::Identity& who) { return dashboard_link(who); },
                  [this](const std::string& name) { return dashboard_auth_.revoke_all(name); },
                  config.dashboard.login_ttl}}),
      reconciler_(store_, locks_, drivers_),
      cron_({store_, config.logs_dir(), pipeline::CronClock::from_environment(),
             [this](const std::string& env) { return drivers_.for_env(env).name() == local_driver_.name(); },
             [this](const release::ReleasePlan& plan, const cluster::OneOff& job, const proc::LineSink& output,
                    const proc::CancelToken& cancel) {
               return drivers_.for_env(plan.env).run_once(plan, job, output, cancel);
             },
             remove_container}),
      autoscaler_({store_, drivers_, hooks_}, locks_, metrics_, config.autoscaler) {
  for (const auto& [env, target] : config.environments)
    if (target.kind == config::ClusterTarget::Kind::kubernetes)
      drivers_.add(env, std::make_unique<cluster::KubernetesDriver>(target, config.kubectl, config.releases_dir()));
}

void Gateway::set_dashboard_url(const std::string& url) {
  std::lock_guard lock(dashboard_mutex_);
  dashboard_url_ = url;
}

std::string Gateway::dashboard_link(const ssh::Identity& who) {
  std::string url;
  {
    std::lock_guard lock(dashboard_mutex_);
    url = dashboard_url_;
  }
  return url.empty() ? url : url + "/login/" + dashboard_auth_.mint_login(who);
}

std::optional<ssh::Identity> Gateway::authorize(ssh_key key, const std::string& client_address) {
  return ssh::find_authorized(config_.authorized_keys, key, client_address);
}

Result<ssh::GitLaunch> Gateway::prepare_git(const ssh::GitRequest& request, const ssh::Identity& who,
                                            const std::string& git_protocol) {
  const bool push = request.service == git::Service::receive_pack;
  if (!who.may_use_app(request.app)) return fail("access denied: your key may not use app '" + request.app + "'");
  if (!repos_.exists(request.app) && (!push || config_.require_app_create))
    return fail("no app named '" + request.app + "'" +
                (push ? "; create it first: ssh <gateway> apps:create " + request.app : ""));
  std::optional<git::PushHook> hook;
  if (push) {
    if (auto created = ensure_app(request.app); !created) return std::unexpected(created.error());
    hook = git::PushHook{own_executable(), config_.control_socket(),
                         sessions_.open(request.app, who.name, who.environments), config_.max_push_mb << 20};
  }
  return ssh::GitLaunch{git::service_command(request.service, repos_.path_for(request.app), git_protocol, hook,
                                             hidden_branches(request.app, who)),
                        hook ? hook->session_token : ""};
}

// A key limited to some environments does not fetch the branches that deploy
// to the others. (Their commits stay reachable through shared history.)
std::vector<std::string> Gateway::hidden_branches(const std::string& app, const ssh::Identity& who) const {
  std::vector<std::string> hidden;
  for (const auto& [branch, env] : config_.branches_for(app).entries())
    if (!who.may_use_environment(env)) hidden.push_back("refs/heads/" + branch);
  return hidden;
}

void Gateway::git_finished(const ssh::GitLaunch& launch) {
  if (!launch.session_token.empty()) sessions_.close(launch.session_token);
}

int Gateway::run_command(const std::vector<std::string>& words, const ssh::Identity& who,
                         const ssh::CommandOutput& output) {
  return commands_.run(words, who, output);
}

int Gateway::handle_push(const hookrpc::HookRequest& hook, const hookrpc::OutputSink& output) {
  auto session = sessions_.find(hook.session_token);
  if (!session) {
    output("error: this push did not come through the gateway's SSH server\n");
    return 1;
  }
  const auto repo_dir = repos_.path_for(session->app);
  auto quarantine = quarantine_in(repo_dir, value_of(hook.git_env, "GIT_OBJECT_DIRECTORY"));
  if (!quarantine) {
    output("error: " + quarantine.error().message + "\n");
    return 1;
  }
  pipeline::PushRequest request{*session, repo_dir, {*quarantine}, {}, hook.push_options};
  for (const auto& line : hook.ref_lines) {
    auto update = pipeline::parse_ref_update(line);
    if (!update) {
      output("error: malformed ref update from git\n");
      return 1;
    }
    request.updates.push_back(*update);
  }
  auto verdict = pipeline::run_push(request, output, pusher_);
  // The locks stay held until receive-pack has moved the refs and exited.
  sessions_.hand_over(hook.session_token, std::move(verdict.locks));
  return verdict.accepted ? 0 : 1;
}

Result<> Gateway::ensure_app(const std::string& app) {
  std::lock_guard lock(create_mutex_);  // two first pushes must not both create the repo
  if (auto created = repos_.ensure(app); !created) return created;
  store_.create_app(app);
  return ok();
}

}  // namespace porter
