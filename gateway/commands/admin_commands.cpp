#include "commands/admin_commands.hpp"

#include <spdlog/spdlog.h>

#include "pipeline/build_cache.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/release_runner.hpp"

namespace porter::commands {
namespace {

using Clock = std::chrono::steady_clock;

int fail(const ssh::CommandOutput& output, const std::string& message) {
  output.err("porter: " + message + "\n");
  return 1;
}

// Re-releases an environment's image with other config: a config change or a
// rollback. Holds the environment's lock throughout.
class Rerelease {
 public:
  Rerelease(pipeline::Services& services, const ssh::AdminRequest& request, const ssh::Identity& who,
            const ssh::CommandOutput& output)
      : services_(services),
        request_(request),
        who_(who),
        cancel_(std::make_shared<proc::CancelToken>()),
        progress_(output.out, cancel_) {}

  std::unique_ptr<pipeline::Lease> lock(const std::string& what) {
    return services_.locks.acquire(
        pipeline::lock_key(request_.app, request_.env), what + " by " + who_.name,
        [&](const std::string& holder) { progress_.stage("waiting for " + holder + " to finish"); }, *cancel_);
  }

  // Runs `base` (a release record) again with `config`; true when live.
  bool run(const state::ReleaseRecord& base, const state::ConfigVars& config, const std::string& description,
           bool run_predeploy) {
    const auto started = Clock::now();
    auto plan = release::from_yaml(base.plan_yaml);
    if (!plan) {
      progress_.verdict("release v" + std::to_string(base.version) + " has an unreadable plan; nothing changed");
      return false;
    }
    plan->app = request_.app;
    plan->env = request_.env;
    plan->image = base.image;
    plan->config = config;
    progress_.mask(config);
    auto release = pipeline::prepare_release(*plan, {.app = {}, .env = {}, .deploy_id = 0,
                                                     .commit_sha = base.commit_sha, .image = {}, .plan_yaml = {},
                                                     .description = description, .pusher = who_.name, .config = {}},
                                             services_);
    release.run_predeploy = run_predeploy;
    const auto version = release.plan.version;
    const auto event = release.event;
    auto outcome = pipeline::run_release(std::move(release), progress_, services_);
    if (!outcome.ok) {
      auto failed = event;
      failed["error"] = outcome.failure;
      services_.hooks.run("on-failure", failed, progress_.detail_sink(), *cancel_);
      progress_.verdict(request_.env + " v" + std::to_string(version) + " failed: " + outcome.failure + "; v" +
                        std::to_string(base.version) + " is still serving");
      return false;
    }
    const auto where = outcome.url.empty() ? std::string("running") : "live at " + outcome.url;
    progress_.verdict(request_.env + " v" + std::to_string(version) + " is " + where + " (" +
                      pipeline::seconds_since(started) + ")");
    return true;
  }

  pipeline::Progress& progress() { return progress_; }

 private:
  pipeline::Services& services_;
  const ssh::AdminRequest& request_;
  const ssh::Identity& who_;
  std::shared_ptr<proc::CancelToken> cancel_;
  pipeline::Progress progress_;
};

}  // namespace

int AdminCommands::run(const ssh::AdminRequest& request, const ssh::Identity& who, const ssh::CommandOutput& output) {
  if (request.verb == "apps:list") return apps_list(who, output);
  if (!who.may_use_app(request.app)) return fail(output, "access denied: your key may not use app '" + request.app + "'");
  if (!request.env.empty() && !who.may_use_environment(request.env))
    return fail(output, "access denied: your key may not use " + request.env);
  if (request.verb == "apps:create") return apps_create(request, output);
  if (!repos_.exists(request.app)) return fail(output, "no app named '" + request.app + "'");
  if (request.verb == "cache:purge") return cache_purge(request, output);
  if (request.verb == "config") return config_show(request, output);
  if (request.verb == "config:get") return config_get(request, output);
  if (request.verb == "config:set" || request.verb == "config:unset") return config_change(request, who, output);
  if (request.verb == "releases") return releases(request, output);
  if (request.verb == "rollback") return rollback(request, who, output);
  return fail(output, "unknown command " + request.verb);
}

int AdminCommands::apps_list(const ssh::Identity& who, const ssh::CommandOutput& output) {
  for (const auto& app : services_.store.list_apps())
    if (who.may_use_app(app)) output.out(app + "\n");
  return 0;
}

int AdminCommands::apps_create(const ssh::AdminRequest& request, const ssh::CommandOutput& output) {
  if (repos_.exists(request.app)) return fail(output, "app '" + request.app + "' already exists");
  if (auto error = ensure_app_(request.app)) return fail(output, *error);
  output.out("created app '" + request.app + "'\n");
  return 0;
}

int AdminCommands::cache_purge(const ssh::AdminRequest& request, const ssh::CommandOutput& output) {
  pipeline::purge_cache(services_.config.cache_dir(), request.app, request.env);
  output.out("purged the build cache of " + request.app + (request.env.empty() ? "" : " (" + request.env + ")") + "\n");
  return 0;
}

int AdminCommands::config_show(const ssh::AdminRequest& request, const ssh::CommandOutput& output) {
  for (const auto& [key, value] : services_.store.config_vars(request.app, request.env))
    output.out(key + "=" + value + "\n");
  return 0;
}

int AdminCommands::config_get(const ssh::AdminRequest& request, const ssh::CommandOutput& output) {
  auto vars = services_.store.config_vars(request.app, request.env);
  auto it = vars.find(request.args[0]);
  if (it == vars.end()) return fail(output, request.args[0] + " is not set in " + request.app + " (" + request.env + ")");
  output.out(it->second + "\n");
  return 0;
}

int AdminCommands::config_change(const ssh::AdminRequest& request, const ssh::Identity& who,
                                 const ssh::CommandOutput& output) {
  Rerelease rerelease(services_, request, who, output);
  auto lease = rerelease.lock(request.verb);
  if (!lease) return 1;
  const auto before = services_.store.config_vars(request.app, request.env);
  state::ConfigVars changed;
  std::vector<std::string> keys;
  for (const auto& arg : request.args) {
    auto equals = arg.find('=');
    keys.push_back(arg.substr(0, equals));
    if (equals != std::string::npos) changed[keys.back()] = arg.substr(equals + 1);
  }
  std::string names;
  for (const auto& key : keys) names += (names.empty() ? "" : ", ") + key;
  if (request.verb == "config:set")
    services_.store.set_config_vars(request.app, request.env, changed);
  else
    services_.store.unset_config_vars(request.app, request.env, keys);
  spdlog::info("config changed app={} env={} keys={} user={}", request.app, request.env, names, who.name);
  auto& progress = rerelease.progress();
  progress.stage((request.verb == "config:set" ? "Set " : "Unset ") + names + " on " + request.app + " (" +
                 request.env + ")");

  const auto live = services_.store.live_release(request.app, request.env);
  if (!live) {
    progress.verdict("no release of " + request.env + " yet: the change takes effect at the next deploy");
    return 0;
  }
  if (rerelease.run(*live, services_.store.config_vars(request.app, request.env), request.verb + " " + names, true))
    return 0;
  // The release failed: put the config back as it was, so nothing changed.
  services_.store.unset_config_vars(request.app, request.env, keys);
  state::ConfigVars restore;
  for (const auto& key : keys)
    if (auto it = before.find(key); it != before.end()) restore[key] = it->second;
  services_.store.set_config_vars(request.app, request.env, restore);
  return 1;
}

int AdminCommands::releases(const ssh::AdminRequest& request, const ssh::CommandOutput& output) {
  auto all = services_.store.releases(request.app, request.env);
  if (all.empty()) output.out("no releases of " + request.app + " (" + request.env + ") yet\n");
  for (const auto& release : all) {
    char line[1024];
    std::snprintf(line, sizeof line, "v%-4d %-10s %-7.7s %s  %s  %s  %s\n", release.version, release.status.c_str(),
                  release.commit_sha.c_str(), release.image.c_str(), release.pusher.c_str(),
                  release.created_at.c_str(), release.description.c_str());
    output.out(line);
  }
  return 0;
}

int AdminCommands::rollback(const ssh::AdminRequest& request, const ssh::Identity& who,
                            const ssh::CommandOutput& output) {
  auto text = request.args[0];
  const int version = std::stoi(text.front() == 'v' ? text.substr(1) : text);
  Rerelease rerelease(services_, request, who, output);
  auto lease = rerelease.lock("rollback");
  if (!lease) return 1;
  const auto target = services_.store.release_version(request.app, request.env, version);
  if (!target) return fail(output, "no release v" + std::to_string(version) + " of " + request.app + " (" + request.env + ")");
  if (target->status == "live") return fail(output, "v" + std::to_string(version) + " is already live");
  auto& progress = rerelease.progress();
  progress.stage("Rolling back " + request.app + " (" + request.env + ") to v" + std::to_string(version) + ": image " +
                 target->image + " with its config, no rebuild");
  progress.warning("database migrations run by later releases are not undone");
  if (!rerelease.run(*target, target->config, "rollback to v" + std::to_string(version), false)) return 1;
  // Like Heroku: the environment's config vars become the rolled-back release's.
  auto current = services_.store.config_vars(request.app, request.env);
  std::vector<std::string> keys;
  for (const auto& [key, value] : current) keys.push_back(key);
  services_.store.unset_config_vars(request.app, request.env, keys);
  services_.store.set_config_vars(request.app, request.env, target->config);
  return 0;
}

}  // namespace porter::commands
