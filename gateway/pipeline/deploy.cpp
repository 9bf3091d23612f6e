#include "pipeline/deploy.hpp"

#include "pipeline/build_cache.hpp"
#include "pipeline/progress.hpp"
#include "proc/cgroup.hpp"
#include "registry/registry.hpp"
#include "util/beneath.hpp"
#include "util/log.hpp"

namespace porter::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kPorterYamlMaxBytes = 64 * 1024;

const auto& log() {
  static const auto logger = util::logger("pipeline");
  return logger;
}

// Removes the build directory however the deploy ends.
class BuildDir {
 public:
  explicit BuildDir(fs::path path) : path_(std::move(path)) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~BuildDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class DeployRun {
 public:
  DeployRun(const DeployTarget& target, Progress& progress, const Deployer& deployer)
      : target_(target), progress_(progress), deployer_(deployer), cancel_(progress.cancel()) {}

  bool run() {
    deployer_.store.set_status(target_.id, state::DeployStatus::running);
    previous_ = deployer_.store.live_release(target_.app, target_.env);
    try {
      auto live = deploy();
      if (live) return true;
      fail(live.error().message);
    } catch (const std::exception& e) {
      log()->error("deploy crashed deploy={} error={}", target_.id, e.what());
      fail("internal error (see the gateway log)");
    }
    return false;
  }

 private:
  Result<> deploy() {
    if (auto fresh = check_not_stale(); !fresh) return fresh;
    BuildDir build(build_dir(deployer_.config, target_.id));
    if (auto checked_out = checkout(build.path() / "src"); !checked_out) return checked_out;
    auto app_config = read_app_config(build.path() / "src");
    if (!app_config) return std::unexpected(app_config.error());
    config_ = deployer_.store.config_vars(target_.app, target_.env);
    progress_.mask(config_);
    if (auto allowed = deployer_.release.hooks.run(HookStage::pre_build, event(), progress_.detail_sink(), cancel_);
        !allowed)
      return allowed;
    auto built = build_image(build.path(), *app_config);
    if (!built) return std::unexpected(built.error());
    deployer_.release.hooks.run(HookStage::post_build, event(), progress_.detail_sink(), cancel_);
    return release(*app_config, *built);
  }

  std::map<std::string, std::string> event() const {
    return {{"app", target_.app}, {"env", target_.env}, {"deploy", std::to_string(target_.id)},
            {"commit", target_.update.new_sha}, {"ref", target_.update.ref}, {"pusher", target_.pusher},
            {"image", image_}};
  }

  Result<> check_cancelled() const {
    if (cancel_.cancelled()) return porter::fail("cancelled");
    return ok();
  }

  // The lock may have been waited for: the branch must still be where the
  // pusher saw it, or we would deploy a commit that is not the branch head.
  Result<> check_not_stale() const {
    const auto current = git::resolve_ref(target_.repo_dir, target_.update.ref);
    const auto expected = target_.update.is_create() ? std::string() : target_.update.old_sha;
    if (current == expected) return ok();
    return porter::fail("stale push: " + target_.update.short_name() + " moved to " + current.substr(0, 7) +
                        " while this push waited; run git fetch, rebase or merge, and push again");
  }

  Result<> checkout(const fs::path& dir) {
    fs::create_directories(dir);
    const auto started = std::chrono::steady_clock::now();
    if (auto done = git::checkout_commit(target_.repo_dir, target_.quarantine, target_.update.new_sha, dir,
                                         deployer_.config.max_checkout_mb);
        !done)
      return porter::fail("checkout failed: " + done.error().message);
    progress_.stage("Checked out " + target_.update.new_sha.substr(0, 7) + " (" + seconds_since(started) + ")");
    return ok();
  }

  // The tenant's file: read beneath the checkout, never through a symbolic
  // link, a regular file of bounded size.
  Result<config::AppConfig> read_app_config(const fs::path& dir) {
    auto text = util::read_beneath(dir, "porter.yaml", kPorterYamlMaxBytes);
    if (!text) return std::unexpected(text.error());
    if (!*text) return config::AppConfig{};
    auto parsed = config::parse_app_config(**text);
    if (parsed) progress_.stage("Read porter.yaml");
    return parsed;
  }

  Result<builders::Build> build_image(const fs::path& dir, const config::AppConfig& app_config) {
    if (auto go_on = check_cancelled(); !go_on) return std::unexpected(go_on.error());
    const auto& config = deployer_.config;
    const auto tag = target_.env + "-" + target_.update.new_sha.substr(0, 12);
    image_ = "localhost/porter/" + target_.app + ":" + tag;
    const auto cache_dir = config.cache_dir() / target_.app / target_.env;
    fs::create_directories(cache_dir);
    auto build_env = exposed_config(app_config);
    if (!build_env) return std::unexpected(build_env.error());
    // Every build process runs in the deploy's cgroup: ended together, also after a crash.
    auto cgroup = proc::JobCgroup::create(deployer_.jobs_cgroup, "deploy-" + std::to_string(target_.id));
    if (!cgroup) return std::unexpected(cgroup.error());
    builders::BuildRequest request{dir / "src", app_config, image_, config.timeouts.build, cache_dir, dir / "work",
                                   config.buildpacks_dir, *build_env, cgroup->dir(), config.buildpack_hosts};
    auto builder = deployer_.builders.choose(request);
    if (!builder) return std::unexpected(builder.error());
    progress_.stage("Building with " + (*builder)->description());
    const auto started = std::chrono::steady_clock::now();
    auto built = (*builder)->build(request, progress_.detail_sink(), cancel_);
    if (auto go_on = check_cancelled(); !go_on) return std::unexpected(go_on.error());
    if (!built) return built;
    fs::last_write_time(cache_dir, fs::file_time_type::clock::now());
    progress_.stage("Built " + image_ + " (" + seconds_since(started) + ")");
    evict_caches(config.cache_dir(), config.cache_budget_mb, cache_dir);
    if (auto published = publish(tag, dir); !published) return std::unexpected(published.error());
    return built;
  }

  // Only the config vars porter.yaml names reach the build.
  Result<std::map<std::string, std::string>> exposed_config(const config::AppConfig& app_config) const {
    std::map<std::string, std::string> env;
    for (const auto& name : app_config.build.config_vars) {
      auto it = config_.find(name);
      if (it == config_.end())
        return porter::fail("build.config_vars names '" + name + "', which is not set in " + target_.env);
      env[name] = it->second;
    }
    return env;
  }

  // The release runs from the registry its cluster pulls from, by digest:
  // what was built is what runs.
  Result<> publish(const std::string& tag, const fs::path& dir) {
    const auto& registry = deployer_.config.registry_for(target_.env);
    if (registry.empty()) return ok();
    if (auto go_on = check_cancelled(); !go_on) return go_on;
    const auto started = std::chrono::steady_clock::now();
    auto published =
        registry::publish(registry, image_, target_.app, tag, dir, progress_.detail_sink(), cancel_);
    if (auto go_on = check_cancelled(); !go_on) return go_on;
    if (!published) return std::unexpected(published.error());
    image_ = published->reference;
    deployer_.store.record_image(target_.id, image_, published->digest, published->size_bytes);
    progress_.stage("Image " + image_ + " (" + registry::human_size(published->size_bytes) + ", pushed in " +
                    seconds_since(started) + ")");
    return ok();
  }

  Result<> release(const config::AppConfig& app_config, const builders::Build& built) {
    if (auto go_on = check_cancelled(); !go_on) return go_on;
    auto plan = release::plan_release(app_config, built.processes, built.shell, built.image_has_command);
    if (!plan) return std::unexpected(plan.error());
    plan->app = target_.app;
    plan->env = target_.env;
    plan->image = image_;
    plan->config = config_;
    auto request = prepare_release(*plan,
                                   {.app = {}, .env = {}, .deploy_id = target_.id,
                                    .commit_sha = target_.update.new_sha, .image = {}, .plan_yaml = {},
                                    .description = "deploy #" + std::to_string(target_.id) + " of " +
                                                   target_.update.short_name(),
                                    .pusher = target_.pusher, .config = {}},
                                   deployer_.store);
    request.event["ref"] = target_.update.ref;
    const auto version = request.plan.version;
    auto url = run_release(std::move(request), progress_, deployer_.release);
    if (!url) return std::unexpected(url.error());
    deployer_.store.mark_deploy_live(target_.id, *url);
    log()->info("deploy live deploy={} app={} env={} version={}", target_.id, target_.app, target_.env, version);
    const auto where = url->empty() ? std::string("running (no web service)") : "live at " + *url;
    progress_.verdict(target_.env + " v" + std::to_string(version) + " is " + where + " (" + seconds_since(started_) +
                      ")");
    return ok();
  }

  // A failure's text may quote a build's output, and so a config var.
  void fail(const std::string& unmasked) {
    const auto message = progress_.masked(unmasked);
    const bool cancelled = cancel_.cancelled();
    auto failed = event();
    failed["error"] = message;
    deployer_.release.hooks.run(HookStage::on_failure, failed, progress_.detail_sink(), cancel_);
    deployer_.store.finish(target_.id, cancelled ? state::DeployStatus::cancelled : state::DeployStatus::failed,
                           message);
    log()->warn("deploy {} deploy={} app={} env={} reason={}", cancelled ? "cancelled" : "failed", target_.id,
                target_.app, target_.env, message);
    const auto still = previous_ ? "the previous release (v" + std::to_string(previous_->version) + ") is still serving"
                                 : std::string("nothing was running before, so nothing is serving");
    progress_.verdict("deploy #" + std::to_string(target_.id) + " to " + target_.env + " failed: " + message + "; " +
                      still);
  }

  const DeployTarget& target_;
  Progress& progress_;
  const Deployer& deployer_;
  const proc::CancelToken& cancel_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::optional<state::ReleaseRecord> previous_;
  state::ConfigVars config_;
  std::string image_;
};

}  // namespace

bool run_deploy(const DeployTarget& target, Progress& progress, const Deployer& deployer) {
  return DeployRun(target, progress, deployer).run();
}

fs::path build_dir(const config::GatewayConfig& config, std::int64_t deploy_id) {
  return config.builds_dir() / std::to_string(deploy_id);
}

}  // namespace porter::pipeline
