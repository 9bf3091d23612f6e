#include "pipeline/deploy.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "http/probe.hpp"
#include "pipeline/build_cache.hpp"
#include "registry/registry.hpp"
#include "pipeline/progress.hpp"

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
      build(build_dir.path(), app_config);
      start_release();
      health_check(app_config);
      switch_traffic();
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
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = config::parse_app_config(text.str());
    if (auto* error = std::get_if<config::AppConfigError>(&parsed)) throw StageFailure{error->message};
    progress_.stage("Read porter.yaml");
    return std::get<config::AppConfig>(parsed);
  }

  void build(const std::filesystem::path& dir, const config::AppConfig& app_config) {
    check_cancelled();
    const auto tag = target_.env + "-" + target_.update.new_sha.substr(0, 12);
    image_ = "localhost/porter/" + target_.app + ":" + tag;
    const auto cache_dir = services_.config.cache_dir() / target_.app / target_.env;
    std::filesystem::create_directories(cache_dir);
    builders::BuildRequest request{std::to_string(target_.id), dir / "src", app_config, image_,
                                   services_.config.timeouts.build, cache_dir, dir / "work",
                                   services_.config.buildpacks_dir, {}};
    std::string error;
    const auto* builder = services_.builders.choose(request, error);
    if (!builder) throw StageFailure{error};
    progress_.stage("Building with " + builder->description());
    auto started = std::chrono::steady_clock::now();
    auto result = builder->build(request, progress_.detail_sink(), cancel_);
    check_cancelled();
    if (!result.ok) throw StageFailure{result.failure};
    processes_ = result.processes;
    std::filesystem::last_write_time(cache_dir, std::filesystem::file_time_type::clock::now());
    progress_.stage("Built " + image_ + " (" + seconds_since(started) + ")");
    evict_caches(services_.config.cache_dir(), services_.config.cache_budget_mb, cache_dir);
    publish(tag, dir);
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

  void start_release() {
    check_cancelled();
    auto web = processes_.find("web");
    if (web == processes_.end()) throw StageFailure{"no web process: add 'web: <command>' to the Procfile"};
    spec_ = cluster::ReleaseSpec{target_.app, target_.env, target_.id, image_, web->second, http::free_port()};
    progress_.stage("Starting web on port " + std::to_string(spec_.port));
    auto started = services_.driver.start(spec_, progress_.detail_sink(), cancel_);
    if (!started.ok) throw StageFailure{started.failure};
    container_ = started.container;
  }

  void health_check(const config::AppConfig& app_config) {
    const auto& check = app_config.web.healthcheck;
    const auto timeout = check.timeout.value_or(services_.config.timeouts.health);
    progress_.stage("Health check GET " + check.path + " on port " + std::to_string(spec_.port));
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      check_cancelled();
      auto status = http::get_status("127.0.0.1", spec_.port, check.path, std::chrono::seconds(2));
      if (status && *status < 500) {
        progress_.detail("HTTP " + std::to_string(*status) + " after " + seconds_since(started));
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));  // poll interval, bounded by the deadline
    }
    throw StageFailure{"health check failed: no HTTP answer below 500 on GET " + check.path + " within " +
                       std::to_string(timeout.count()) + " s"};
  }

  void switch_traffic() {
    check_cancelled();
    const auto url = "http://" + services_.config.public_host + ":" + std::to_string(spec_.port);
    services_.store.mark_live(target_.id, {target_.id, image_, container_, url, target_.update.new_sha, spec_.port});
    if (previous_) services_.driver.stop(previous_->container, [](const std::string&) {});
    spdlog::info("deploy live deploy={} app={} env={} url={}", target_.id, target_.app, target_.env, url);
    progress_.verdict(target_.env + " is live at " + url + " (" + seconds_since(started_) + ")");
  }

  void fail(const std::string& message) {
    if (!container_.empty()) services_.driver.stop(container_, [](const std::string&) {});
    const bool cancelled = cancel_.cancelled();
    services_.store.finish(target_.id, cancelled ? state::DeployStatus::cancelled : state::DeployStatus::failed,
                           message);
    spdlog::warn("deploy {} deploy={} app={} env={} reason={}", cancelled ? "cancelled" : "failed", target_.id,
                 target_.app, target_.env, message);
    const auto still = previous_ ? "the previous release is still serving at " + previous_->url
                                 : std::string("nothing was running before, so nothing is serving");
    progress_.verdict("deploy #" + std::to_string(target_.id) + " to " + target_.env + " failed: " + message + "; " +
                      still);
  }

  const DeployTarget& target_;
  const proc::CancelToken& cancel_;
  Progress& progress_;
  Services& services_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::optional<state::LiveRelease> previous_;
  std::string image_;
  builders::ProcessArgv processes_;
  cluster::ReleaseSpec spec_;
  std::string container_;
};

}  // namespace

bool run_deploy(const DeployTarget& target, const proc::CancelToken& cancel, Progress& progress, Services& services) {
  return DeployRun(target, cancel, progress, services).run();
}

}  // namespace porter::pipeline
