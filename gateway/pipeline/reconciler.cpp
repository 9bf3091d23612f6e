#include "pipeline/reconciler.hpp"

#include <spdlog/spdlog.h>

namespace porter::pipeline {

void Reconciler::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      try {
        reconcile_once();
      } catch (const std::exception& e) {
        spdlog::error("reconcile failed: {}", e.what());
      }
      lock.lock();
    }
  });
}

void Reconciler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int Reconciler::reconcile_once() {
  int restored = 0;
  for (const auto& release : services_.store.live_releases()) {
    // A deploy in progress owns its environment's pods.
    if (services_.locks.is_held(lock_key(release.app, release.env))) continue;
    release::ReleasePlan plan;
    plan.app = release.app;
    plan.env = release.env;
    plan.version = release.version;
    for (const auto& record : release.replicas) {
      cluster::Replica replica{record.service, record.index, record.pod, record.port};
      if (services_.driver.is_running(replica)) continue;
      spdlog::warn("replica missing, restoring app={} env={} pod={}", release.app, release.env, record.pod);
      if (services_.driver.restore(plan, replica)) ++restored;
    }
  }
  return restored;
}

}  // namespace porter::pipeline
