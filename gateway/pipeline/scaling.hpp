#pragma once
// Replica counts changed on a live release, in place (no new release, no
// restart of what runs): by `ps:scale`, and by the local engine's
// autoscaler, which samples the replicas' CPU and memory and scales
// autoscaled services between their min and max.
#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <thread>

#include "cluster/metrics.hpp"
#include "config/gateway_config.hpp"
#include "pipeline/env_locks.hpp"
#include "pipeline/release_runner.hpp"

namespace porter::pipeline {

// Makes the environment's live release run `counts` (service -> replicas);
// the caller holds the environment's lock. Errors are one line.
Result<> scale_live(const Releaser& releaser, const std::string& app, const std::string& env,
                    const std::map<std::string, int>& counts, const cluster::Output& output,
                    const proc::CancelToken& cancel);

// How many replicas an autoscaled service wants, as Kubernetes' HPA decides:
// ceil(current x usage / target) for each target set, the larger, within
// [min, max]. `cpu_percent` and `memory_percent` are the replicas' average
// use of what they declared (of one CPU without resources.cpu).
int wanted_replicas(int current, const config::Autoscaling& policy, double cpu_percent,
                    std::optional<double> memory_percent);

// Scale-up at once, scale-down only when every recommendation within the
// window wanted no more (no flapping on a passing dip).
class Stabilizer {
 public:
  explicit Stabilizer(std::chrono::seconds down_window) : down_window_(down_window) {}
  int decide(int current, int wanted, std::chrono::steady_clock::time_point now);

 private:
  std::chrono::seconds down_window_;
  std::optional<std::chrono::steady_clock::time_point> watching_since_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, int>> recent_;
};

// Samples the local engine's live replicas every interval into `metrics`
// and scales the autoscaled services.
class Autoscaler {
 public:
  Autoscaler(Releaser releaser, EnvLocks& locks, cluster::Metrics& metrics, config::AutoscalerSettings settings)
      : releaser_(releaser), locks_(locks), metrics_(metrics), settings_(settings) {}
  void start();
  void run_once();

 private:
  void autoscale(const state::ReleaseRecord& live, const release::ReleasePlan& plan);

  Releaser releaser_;
  EnvLocks& locks_;
  cluster::Metrics& metrics_;
  config::AutoscalerSettings settings_;
  std::map<std::string, Stabilizer> stabilizers_;  // by app/env/service
  std::jthread thread_;  // last: stopped before what it uses goes
};

}  // namespace porter::pipeline
