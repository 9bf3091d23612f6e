#include "pipeline/release_runner.hpp"

#include <spdlog/spdlog.h>

#include <thread>

#include "http/probe.hpp"
#include "pipeline/progress.hpp"

namespace porter::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kAttemptInterval{500};

struct ReleaseFailure {
  std::string message;
};

// The command line a user wrote, without the image's shell prefix.
std::string shown_command(const std::vector<std::string>& argv) { return argv.empty() ? "" : argv.back(); }

class ReleaseRun {
 public:
  ReleaseRun(ReleaseRequest& request, Progress& progress, Services& services)
      : request_(request), plan_(request.plan), progress_(progress), services_(services) {}

  ReleaseOutcome run() {
    ReleaseOutcome outcome;
    try {
      hook("pre-release");
      predeploy();
      start();
      health_check();
      outcome.url = switch_traffic();
      outcome.ok = true;
      services_.hooks.run("post-release", event("live"), progress_.detail_sink(), progress_.cancel());
    } catch (const ReleaseFailure& failure) {
      services_.driver.stop(replicas_);
      services_.store.set_release_status(request_.record.id, state::ReleaseStatus::failed);
      outcome.failure = failure.message;
    }
    return outcome;
  }

 private:
  std::map<std::string, std::string> event(const std::string& status) const {
    auto fields = request_.event;
    fields["release"] = "v" + std::to_string(plan_.version);
    fields["image"] = plan_.image;
    fields["status"] = status;
    return fields;
  }

  void check_cancelled() {
    if (progress_.cancel().cancelled()) throw ReleaseFailure{"cancelled"};
  }

  void hook(const std::string& stage) {
    if (auto refusal = services_.hooks.run(stage, event("running"), progress_.detail_sink(), progress_.cancel()))
      throw ReleaseFailure{*refusal};
  }

  void predeploy() {
    if (plan_.predeploy.empty() || !request_.run_predeploy) return;
    check_cancelled();
    progress_.stage("Running predeploy: " + shown_command(plan_.predeploy));
    const auto started = Clock::now();
    auto result = services_.driver.run_predeploy(plan_, progress_.detail_sink(), progress_.cancel());
    check_cancelled();
    if (result.timed_out)
      throw ReleaseFailure{"predeploy timed out after " + std::to_string(plan_.predeploy_timeout.count()) +
                           " s; nothing was released"};
    if (!result.ok())
      throw ReleaseFailure{"predeploy '" + shown_command(plan_.predeploy) + "' failed (exit " +
                           std::to_string(result.exit_code) + "); nothing was released"};
    progress_.detail("predeploy done in " + seconds_since(started));
  }

  void start() {
    check_cancelled();
    progress_.stage("Releasing v" + std::to_string(plan_.version) + " to cluster local: " +
                    release::describe_services(plan_));
    auto started = services_.driver.start(plan_, progress_.detail_sink(), progress_.cancel());
    replicas_ = started.replicas;
    if (!started.ok) throw ReleaseFailure{started.failure};
  }

  // Every web replica must answer 2xx/3xx on the health path before any traffic moves.
  void health_check() {
    const auto* web = plan_.web();
    if (!web || web->replicas == 0) return;
    const auto& check = web->healthcheck;
    progress_.stage("Health check GET " + check.path + " on web x" + std::to_string(web->replicas));
    const auto started = Clock::now();
    for (const auto& replica : replicas_) {
      if (replica.service != "web") continue;
      std::optional<int> status;
      for (int attempt = 1; attempt <= check.attempts; ++attempt) {
        check_cancelled();
        const auto attempt_started = Clock::now();
        status = http::get_status("127.0.0.1", replica.port, check.path, check.timeout);
        if (status && *status >= 200 && *status < 400) break;
        // Attempts are spaced: a refused connection returns at once.
        std::this_thread::sleep_until(attempt_started + kAttemptInterval);
      }
      if (!status || *status < 200 || *status >= 400)
        throw ReleaseFailure{"release v" + std::to_string(plan_.version) + " never became healthy: GET " + check.path +
                             " on web." + std::to_string(replica.index) + " " +
                             (status ? "answered " + std::to_string(*status) : "did not answer") + " after " +
                             std::to_string(check.attempts) + " attempts; rolled back"};
    }
    progress_.detail("ok: all web replicas healthy after " + seconds_since(started));
  }

  std::string switch_traffic() {
    check_cancelled();
    const auto previous = services_.store.live_release(plan_.app, plan_.env);
    std::string url;
    if (const auto* web = plan_.web(); web && web->replicas > 0) {
      std::vector<int> ports;
      for (const auto& replica : replicas_)
        if (replica.service == "web") ports.push_back(replica.port);
      const auto started = Clock::now();
      if (auto error = services_.proxy.route(plan_.app, plan_.env, ports, web->timeouts))
        throw ReleaseFailure{"switching traffic failed: " + *error};
      progress_.detail("traffic switched to v" + std::to_string(plan_.version) + " in " + seconds_since(started));
      url = services_.proxy.url(plan_.app, plan_.env);
    }
    std::vector<state::ReplicaRecord> records;
    for (const auto& replica : replicas_) records.push_back({replica.service, replica.index, replica.pod, replica.port});
    services_.store.mark_release_live(request_.record.id, records);
    if (previous) {
      std::vector<cluster::Replica> old;
      for (const auto& replica : previous->replicas) old.push_back({replica.service, replica.index, replica.pod, replica.port});
      services_.driver.stop(old);
      progress_.detail("stopped v" + std::to_string(previous->version));
    }
    spdlog::info("release live app={} env={} version={} image={}", plan_.app, plan_.env, plan_.version, plan_.image);
    return url;
  }

  ReleaseRequest& request_;
  const release::ReleasePlan& plan_;
  Progress& progress_;
  Services& services_;
  std::vector<cluster::Replica> replicas_;
};

}  // namespace

ReleaseRequest prepare_release(release::ReleasePlan plan, state::NewRelease record, Services& services) {
  record.app = plan.app;
  record.env = plan.env;
  record.image = plan.image;
  record.plan_yaml = release::to_yaml(plan);
  record.config = plan.config;
  ReleaseRequest request{plan, services.store.create_release(record), true, {}};
  request.plan.version = request.record.version;
  request.event = {{"app", plan.app}, {"env", plan.env}, {"deploy", std::to_string(record.deploy_id)},
                   {"commit", record.commit_sha}, {"pusher", record.pusher}, {"description", record.description}};
  return request;
}

ReleaseOutcome run_release(ReleaseRequest request, Progress& progress, Services& services) {
  return ReleaseRun(request, progress, services).run();
}

}  // namespace porter::pipeline
