#include "pipeline/release_runner.hpp"

#include <algorithm>

#include "pipeline/progress.hpp"
#include "util/log.hpp"

namespace porter::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

// The command line a user wrote, without the image's shell prefix.
std::string shown_command(const std::vector<std::string>& argv) { return argv.empty() ? "" : argv.back(); }

class ReleaseRun {
 public:
  ReleaseRun(ReleaseRequest& request, Progress& progress, const Releaser& releaser)
      : request_(request), plan_(request.plan), progress_(progress), releaser_(releaser),
        driver_(releaser.drivers.for_env(plan_.env)),
        output_{[this](const std::string& text) { progress_.stage(text); }, progress_.detail_sink()} {}

  Result<std::string> run() {
    auto previous = previous_release();
    auto url = previous ? go_live() : std::unexpected(previous.error());
    if (!url) {
      if (previous_checked_) driver_.abandon(plan_, replicas_, previous_plan_ ? &*previous_plan_ : nullptr);
      releaser_.store.set_release_status(request_.record.id, state::ReleaseStatus::failed);
      return url;
    }
    releaser_.hooks.run(HookStage::post_release, event("live"), progress_.detail_sink(), progress_.cancel());
    return url;
  }

 private:
  // What serves now: abandoning this release brings it back, going live retires it.
  Result<> previous_release() {
    previous_ = releaser_.store.live_release(plan_.app, plan_.env);
    if (previous_) {
      auto plan = plan_of(*previous_);
      if (!plan) return fail("the live release v" + std::to_string(previous_->version) + " " + plan.error().message);
      previous_plan_ = std::move(*plan);
    }
    previous_checked_ = true;
    return ok();
  }

  Result<std::string> go_live() {
    if (auto refused = releaser_.hooks.run(HookStage::pre_release, event("running"), progress_.detail_sink(),
                                           progress_.cancel());
        !refused)
      return std::unexpected(refused.error());
    if (auto prepared = driver_.prepare(plan_, output_, progress_.cancel()); !prepared)
      return std::unexpected(prepared.error());
    if (auto done = predeploy(); !done) return std::unexpected(done.error());
    if (auto started = start(); !started) return std::unexpected(started.error());
    return switch_traffic();
  }

  std::map<std::string, std::string> event(const std::string& status) const {
    auto fields = request_.event;
    fields["release"] = "v" + std::to_string(plan_.version);
    fields["image"] = plan_.image;
    fields["status"] = status;
    return fields;
  }

  Result<> predeploy() {
    if (plan_.predeploy.empty() || !request_.run_predeploy) return ok();
    if (progress_.cancel().cancelled()) return fail("cancelled");
    progress_.stage("Running predeploy: " + shown_command(plan_.predeploy));
    const auto started = Clock::now();
    auto result = driver_.run_predeploy(plan_, progress_.detail_sink(), progress_.cancel());
    if (progress_.cancel().cancelled()) return fail("cancelled");
    if (!result.error.empty())
      return fail("predeploy '" + shown_command(plan_.predeploy) + "' could not run: " + result.error +
                  "; nothing was released");
    if (result.timed_out)
      return fail("predeploy timed out after " + std::to_string(plan_.predeploy_timeout.count()) +
                  " s; nothing was released");
    if (!result.ok())
      return fail("predeploy '" + shown_command(plan_.predeploy) + "' failed (exit " +
                  std::to_string(result.exit_code) + "); nothing was released");
    progress_.detail("predeploy done in " + seconds_since(started));
    return ok();
  }

  Result<> start() {
    if (progress_.cancel().cancelled()) return fail("cancelled");
    progress_.stage("Releasing v" + std::to_string(plan_.version) + " to cluster " + driver_.name() + ": " +
                    release::describe_services(plan_));
    auto started = driver_.start(plan_, output_, progress_.cancel());
    if (!started) return std::unexpected(started.error());
    replicas_ = std::move(*started);
    return ok();
  }

  Result<std::string> switch_traffic() {
    if (progress_.cancel().cancelled()) return fail("cancelled");
    auto url = driver_.route(plan_, replicas_, output_);
    if (!url) return url;
    releaser_.store.mark_release_live(request_.record.id, replicas_);
    if (previous_plan_) {
      driver_.retire(*previous_plan_, previous_->replicas, plan_);
      progress_.detail("stopped v" + std::to_string(previous_->version));
    }
    util::logger("pipeline")->info("release live app={} env={} version={} image={}", plan_.app, plan_.env,
                                   plan_.version, plan_.image);
    return url;
  }

  ReleaseRequest& request_;
  const release::ReleasePlan& plan_;
  Progress& progress_;
  const Releaser& releaser_;
  cluster::Driver& driver_;
  const cluster::Output output_;
  std::vector<release::Replica> replicas_;
  bool previous_checked_ = false;
  std::optional<state::ReleaseRecord> previous_;
  std::optional<release::ReleasePlan> previous_plan_;
};

}  // namespace

Result<release::ReleasePlan> plan_of(const state::ReleaseRecord& record) {
  auto plan = release::from_yaml(record.plan_yaml);
  if (!plan) return fail("has an unreadable plan");
  plan->app = record.app;
  plan->env = record.env;
  plan->version = record.version;
  plan->image = record.image;
  plan->config = record.config;
  return plan;
}

namespace {

// What ps:scale and ps:resize set outlasts releases, over porter.yaml and
// the Procfile. An autoscaled service keeps the count it has now, within
// its bounds.
void apply_formation(release::ReleasePlan& plan, const state::Formation& formation,
                     const std::vector<release::Replica>& running) {
  for (auto& service : plan.services) {
    if (service.autoscaling) {
      const int now = static_cast<int>(std::ranges::count(running, service.name, &release::Replica::service));
      service.replicas = std::clamp(now, service.autoscaling->min, service.autoscaling->max);
    }
    const auto set = formation.find(service.name);
    if (set == formation.end()) continue;
    if (set->second.replicas && !service.autoscaling) service.replicas = *set->second.replicas;
    if (set->second.millicpu) service.resources.millicpu = set->second.millicpu;
    if (set->second.memory_bytes) service.resources.memory_bytes = set->second.memory_bytes;
  }
}

}  // namespace

ReleaseRequest prepare_release(release::ReleasePlan plan, state::NewRelease record, state::Store& store) {
  const auto live = store.live_release(plan.app, plan.env);
  apply_formation(plan, store.formation(plan.app, plan.env), live ? live->replicas : std::vector<release::Replica>{});
  record.app = plan.app;
  record.env = plan.env;
  record.image = plan.image;
  record.plan_yaml = release::to_yaml(plan);
  record.config = plan.config;
  ReleaseRequest request{plan, store.create_release(record), true, {}};
  request.plan.version = request.record.version;
  request.event = {{"app", plan.app}, {"env", plan.env}, {"deploy", std::to_string(record.deploy_id)},
                   {"commit", record.commit_sha}, {"pusher", record.pusher}, {"description", record.description}};
  return request;
}

Result<std::string> run_release(ReleaseRequest request, Progress& progress, const Releaser& releaser) {
  return ReleaseRun(request, progress, releaser).run();
}

}  // namespace porter::pipeline
