#include "pipeline/reconciler.hpp"

#include <condition_variable>
#include <mutex>

#include "util/log.hpp"

namespace porter::pipeline {

void Reconciler::start(std::chrono::seconds interval) {
  thread_ = std::jthread([this, interval](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any tick;
    std::unique_lock lock(mutex);
    // Each wait ends after `interval`, or at once when the thread is stopped.
    while (!tick.wait_for(lock, stop, interval, [] { return false; }) && !stop.stop_requested()) {
      try {
        reconcile_once();
      } catch (const std::exception& e) {
        util::logger("pipeline")->error("reconcile failed: {}", e.what());
      }
    }
  });
}

int Reconciler::reconcile_once() {
  int restored = 0;
  for (const auto& release : store_.live_releases()) {
    // A deploy in progress owns its environment's pods.
    if (locks_.is_held(lock_key(release.app, release.env))) continue;
    release::ReleasePlan plan;
    plan.app = release.app;
    plan.env = release.env;
    plan.version = release.version;
    auto& driver = drivers_.for_env(release.env);
    for (const auto& replica : driver.missing(release.replicas)) {
      util::logger("pipeline")->warn("replica missing, restoring app={} env={} pod={}", release.app, release.env,
                                     replica.pod);
      if (driver.restore(plan, replica)) ++restored;
    }
  }
  return restored;
}

}  // namespace porter::pipeline
