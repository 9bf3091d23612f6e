#include "pipeline/deploy.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "pipeline/build_cache.hpp"
#include "registry/registry.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/release_runner.hpp"
#include "util/file.hpp"

namespace porter::pipeline {
namespace {

// A stage failed: the message is one line for the verdict.
struct StageFailure {
  std::string message;
};

// Removes the build directory however the deploy ends.
class BuildDir {
 public:
  explicit BuildDir(std::filesystem::path path) : path_(std::move(path)) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~BuildDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class DeployRun {
 public:
  DeployRun(const DeployTarget& target, const proc::CancelToken& cancel, Progress& progress, Services& services)
      : target_(target), cancel_(cancel), progress_(progress), services_(services) {}

  bool run() {
    services_.store.set_status(target_.id, state::DeployStatus::running);
    previous_ = services_.store.live_release(target_.app, target_.env);
    try {
      check_not_stale();
      BuildDir build_dir(services_.config.builds_dir() / std::to_string(target_.id));
      checkout(build_dir.path() / "src");
      auto app_config = read_app_config(build_dir.path() / "src");
      config_ = services_.store.config_vars(target_.app, target_.env);
      progress_.mask(config_);
      hook("pre-build");
      auto built = build(build_dir.path(), app_config);
      services_.hooks.run("post-build", event(), progress_.detail_sink(), cancel_);
      release(app_config, built);
      return true;
    } catch (const StageFailure& failure) {
      fail(failure.message);
    } catch (const std::exception& e) {
      spdlog::error("deploy crashed deploy={} error={}", target_.id, e.what());
      fail("internal error (see the gateway log)");
    }
    return false;
  }

 private:
  std::map<std::string, std::string> event() const {
    return {{"app", target_.app}, {"env", target_.env}, {"deploy", std::to_string(target_.id)},
            {"commit", target_.update.new_sha}, {"ref", target_.update.ref}, {"pusher", target_.pusher},
            {"image", image_}};
  }

  void hook(const std::string& stage) {
    if (auto refusal = services_.hooks.run(stage, event(), progress_.detail_sink(), cancel_)) throw StageFailure{*refusal};
  }

  void check_cancelled() {
    if (cancel_.cancelled()) throw StageFailure{"cancelled"};
  }

  // The lock may have been waited for: the branch must still be where the
  // pusher saw it, or we would deploy a commit that is not the branch head.
  void check_not_stale() {
    const auto current = git::resolve_ref(target_.repo_dir, target_.update.ref);
    const auto expected = target_.update.is_create() ? std::string() : target_.update.old_sha;
    if (current != expected)
      throw StageFailure{"stale push: " + target_.update.short_name() + " moved to " + current.substr(0, 7) +
                         " while this push waited; run git fetch, rebase or merge, and push again"};
  }

  void checkout(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    auto started = std::chrono::steady_clock::now();
    if (auto error = git::checkout_commit(target_.repo_dir, target_.quarantine, target_.update.new_sha, dir))
      throw StageFailure{"checkout failed: " + *error};
    progress_.stage("Checked out " + target_.update.new_sha.substr(0, 7) + " (" + seconds_since(started) + ")");
  }

  config::AppConfig read_app_config(const std::filesystem::path& dir) {
    const auto file = dir / "porter.yaml";
    if (!std::filesystem::exists(file)) return {};
    auto parsed = config::parse_app_config(util::read_file(file));
    if (auto* error = std::get_if<config::AppConfigError>(&parsed)) throw StageFailure{error->message};
    progress_.stage("Read porter.yaml");
    return std::get<config::AppConfig>(parsed);
  }

  builders::BuildResult build(const std::filesystem::path& dir, const config::AppConfig& app_config) {
    check_cancelled();
    const auto tag = target_.env + "-" + target_.update.new_sha.substr(0, 12);
    image_ = "localhost/porter/" + target_.app + ":" + tag;
    const auto cache_dir = services_.config.cache_dir() / target_.app / target_.env;
    std::filesystem::create_directories(cache_dir);
    builders::BuildRequest request{dir / "src", app_config, image_,
                                   services_.config.timeouts.build, cache_dir, dir / "work",
                                   services_.config.buildpacks_dir, build_env(app_config)};
    std::string error;
    const auto* builder = services_.builders.choose(request, error);
    if (!builder) throw StageFailure{error};
    progress_.stage("Building with " + builder->description());
    auto started = std::chrono::steady_clock::now();
    auto result = builder->build(request, progress_.detail_sink(), cancel_);
    check_cancelled();
    if (!result.ok) throw StageFailure{result.failure};
    std::filesystem::last_write_time(cache_dir, std::filesystem::file_time_type::clock::now());
    progress_.stage("Built " + image_ + " (" + seconds_since(started) + ")");
    evict_caches(services_.config.cache_dir(), services_.config.cache_budget_mb, cache_dir);
    publish(tag, dir);
    return result;
  }

  // Only the config vars porter.yaml names reach the build.
  std::map<std::string, std::string> build_env(const config::AppConfig& app_config) {
    std::map<std::string, std::string> env;
    for (const auto& name : app_config.build.config_vars) {
      auto it = config_.find(name);
      if (it == config_.end()) throw StageFailure{"build.config_vars names '" + name + "', which is not set in " + target_.env};
      env[name] = it->second;
    }
    return env;
  }

  void release(const config::AppConfig& app_config, const builders::BuildResult& built) {
    check_cancelled();
    auto planned = release::plan_release(app_config, built.processes, built.shell, built.image_has_command);
    if (auto* error = std::get_if<std::string>(&planned)) throw StageFailure{*error};
    auto plan = std::get<release::ReleasePlan>(planned);
    plan.app = target_.app;
    plan.env = target_.env;
    plan.image = image_;
    plan.config = config_;
    auto request = prepare_release(plan, {.app = {}, .env = {}, .deploy_id = target_.id,
                                          .commit_sha = target_.update.new_sha, .image = {}, .plan_yaml = {},
                                          .description = "deploy #" + std::to_string(target_.id) + " of " +
                                                         target_.update.short_name(),
                                          .pusher = target_.pusher, .config = {}},
                                   services_);
    request.event["ref"] = target_.update.ref;
    const auto version = request.plan.version;
    auto outcome = run_release(std::move(request), progress_, services_);
    if (!outcome.ok) throw StageFailure{outcome.failure};
    services_.store.mark_deploy_live(target_.id, outcome.url);
    spdlog::info("deploy live deploy={} app={} env={} version={}", target_.id, target_.app, target_.env, version);
    const auto where = outcome.url.empty() ? std::string("running (no web service)") : "live at " + outcome.url;
    progress_.verdict(target_.env + " v" + std::to_string(version) + " is " + where + " (" + seconds_since(started_) + ")");
  }

  // The release runs from the registry, by digest: what was built is what runs.
  void publish(const std::string& tag, const std::filesystem::path& dir) {
    if (services_.config.registry.empty()) return;
    check_cancelled();
    const auto started = std::chrono::steady_clock::now();
    auto published = registry::publish(services_.config.registry, image_, target_.app, tag, dir,
                                       progress_.detail_sink(), cancel_);
    check_cancelled();
    if (!published.ok) throw StageFailure{published.failure};
    image_ = published.image.reference;
    services_.store.record_image(target_.id, image_, published.image.digest, published.image.size_bytes);
    progress_.stage("Image " + image_ + " (" + registry::human_size(published.image.size_bytes) + ", pushed in " +
                    seconds_since(started) + ")");
  }

  void fail(const std::string& message) {
    const bool cancelled = cancel_.cancelled();
    auto failed = event();
    failed["error"] = message;
    services_.hooks.run("on-failure", failed, progress_.detail_sink(), cancel_);
    services_.store.finish(target_.id, cancelled ? state::DeployStatus::cancelled : state::DeployStatus::failed,
                           message);
    spdlog::warn("deploy {} deploy={} app={} env={} reason={}", cancelled ? "cancelled" : "failed", target_.id,
                 target_.app, target_.env, message);
    const auto still = previous_ ? "the previous release (v" + std::to_string(previous_->version) + ") is still serving"
                                 : std::string("nothing was running before, so nothing is serving");
    progress_.verdict("deploy #" + std::to_string(target_.id) + " to " + target_.env + " failed: " + message + "; " +
                      still);
  }

  const DeployTarget& target_;
  const proc::CancelToken& cancel_;
  Progress& progress_;
  Services& services_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::optional<state::ReleaseRecord> previous_;
  state::ConfigVars config_;
  std::string image_;
};

}  // namespace

bool run_deploy(const DeployTarget& target, const proc::CancelToken& cancel, Progress& progress, Services& services) {
  return DeployRun(target, cancel, progress, services).run();
}

}  // namespace porter::pipeline
