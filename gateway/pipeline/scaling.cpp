#include "pipeline/scaling.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>

#include "cluster/local_driver.hpp"
#include "pipeline/metrics_history.hpp"
#include "util/log.hpp"

namespace porter::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The replicas' average use of what they declared, in percent, over the
// last `window`; nullopt when some replica has no figures yet.
struct Usage {
  double cpu_percent = 0;
  std::optional<double> memory_percent;
};

std::optional<Usage> usage_of(const cluster::Metrics& metrics, const release::Service& service,
                              const std::vector<release::Replica>& replicas, std::chrono::seconds window) {
  const auto since = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch() - window).count();
  const double cpu_share = service.resources.millicpu.value_or(1000) / 10.0;  // percent of one CPU
  double cpu = 0, memory = 0;
  int counted = 0;
  for (const auto& replica : replicas) {
    if (replica.service != service.name) continue;
    const auto samples = metrics.history(cluster::LocalDriver::container_of(replica), since);
    if (samples.empty()) return std::nullopt;
    double replica_cpu = 0, replica_memory = 0;
    for (const auto& sample : samples) {
      replica_cpu += sample.cpu_percent;
      replica_memory += static_cast<double>(sample.memory_bytes);
    }
    cpu += replica_cpu / static_cast<double>(samples.size());
    memory += replica_memory / static_cast<double>(samples.size());
    ++counted;
  }
  if (counted == 0) return std::nullopt;
  Usage usage{cpu / counted / cpu_share * 100, std::nullopt};
  if (service.resources.memory_bytes)
    usage.memory_percent = memory / counted / static_cast<double>(*service.resources.memory_bytes) * 100;
  return usage;
}

}  // namespace

Result<> scale_live(const Releaser& releaser, const std::string& app, const std::string& env,
                    const std::map<std::string, int>& counts, const cluster::Output& output,
                    const proc::CancelToken& cancel) {
  const auto live = releaser.store.live_release(app, env);
  if (!live) return fail("nothing runs in " + app + " (" + env + ") yet: push first");
  auto plan = plan_of(*live);
  if (!plan) return fail("release v" + std::to_string(live->version) + " " + plan.error().message);
  for (auto& service : plan->services)
    if (auto count = counts.find(service.name); count != counts.end()) service.replicas = count->second;
  auto replicas = releaser.drivers.for_env(env).scale(*plan, live->replicas, output, cancel);
  if (!replicas) return std::unexpected(replicas.error());
  releaser.store.mark_release_live(live->id, *replicas);
  return ok();
}

int wanted_replicas(int current, const config::Autoscaling& policy, double cpu_percent,
                    std::optional<double> memory_percent) {
  int wanted = policy.min;
  const auto by = [&](double usage, int target) {
    return static_cast<int>(std::ceil(current * usage / target - 1e-9));
  };
  if (policy.cpu_percent) wanted = std::max(wanted, by(cpu_percent, *policy.cpu_percent));
  if (policy.memory_percent && memory_percent) wanted = std::max(wanted, by(*memory_percent, *policy.memory_percent));
  return std::clamp(wanted, policy.min, policy.max);
}

int Stabilizer::decide(int current, int wanted, Clock::time_point now) {
  if (!watching_since_) watching_since_ = now;
  recent_.emplace_back(now, wanted);
  while (recent_.front().first < now - down_window_) recent_.pop_front();
  if (wanted >= current) return wanted;
  // Down only once a whole window has been seen, and only as far as the
  // highest recommendation in it.
  if (now - *watching_since_ < down_window_) return current;
  int highest = 0;
  for (const auto& [at, count] : recent_) highest = std::max(highest, count);
  return std::min(highest, current);
}

void Autoscaler::start() {
  // Before the first round: a restarted gateway's charts and `ps` go on from
  // the stored history, not from nothing.
  const auto restored = restore_metrics_history(releaser_.store, metrics_, unix_now());
  util::logger("pipeline")->info("metrics history: {} sample(s) restored", restored);
  thread_ = std::jthread([this](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any tick;
    std::unique_lock lock(mutex);
    while (!tick.wait_for(lock, stop, settings_.interval, [] { return false; }) && !stop.stop_requested()) {
      try {
        run_once();
      } catch (const std::exception& e) {
        util::logger("pipeline")->error("autoscaler failed: {}", e.what());
      }
    }
  });
}

void Autoscaler::run_once() {
  std::vector<std::pair<state::ReleaseRecord, release::ReleasePlan>> local;
  std::vector<std::string> containers;
  for (auto& live : releaser_.store.live_releases()) {
    if (releaser_.drivers.for_env(live.env).name() != "local") continue;
    auto plan = plan_of(live);
    if (!plan) continue;
    for (const auto& replica : live.replicas) containers.push_back(cluster::LocalDriver::container_of(replica));
    local.emplace_back(std::move(live), std::move(*plan));
  }
  const auto round = cluster::sample_containers(containers, metrics_);
  metrics_.keep_only(containers);
  persist_metrics_round(releaser_.store, round, containers, unix_now());
  for (const auto& [live, plan] : local) autoscale(live, plan);
}

void Autoscaler::autoscale(const state::ReleaseRecord& live, const release::ReleasePlan& plan) {
  const auto key = lock_key(live.app, live.env);
  std::map<std::string, int> counts;
  for (const auto& service : plan.services) {
    if (!service.autoscaling) continue;
    const int current = static_cast<int>(std::ranges::count(live.replicas, service.name, &release::Replica::service));
    const auto usage = usage_of(metrics_, service, live.replicas, settings_.interval * 3);
    if (!usage) continue;
    auto& stabilizer = stabilizers_.try_emplace(key + "/" + service.name, settings_.scale_down_window).first->second;
    const int decided = stabilizer.decide(
        current, wanted_replicas(current, *service.autoscaling, usage->cpu_percent, usage->memory_percent),
        Clock::now());
    if (decided == current) continue;
    util::logger("pipeline")->info("autoscaling app={} env={} service={} from={} to={} cpu={:.0f}% memory={}",
                                   live.app, live.env, service.name, current, decided, usage->cpu_percent,
                                   usage->memory_percent ? std::to_string(static_cast<int>(*usage->memory_percent)) + "%"
                                                         : std::string("-"));
    counts[service.name] = decided;
  }
  if (counts.empty() || locks_.is_held(key)) return;  // a deploy owns the environment now: next time
  proc::CancelToken never;
  auto lease = locks_.acquire(key, "the autoscaler", [](const std::string&) {}, never);
  const auto quiet = [](const std::string&) {};
  if (auto scaled = scale_live(releaser_, live.app, live.env, counts, {quiet, quiet}, never); !scaled)
    util::logger("pipeline")->warn("autoscaling failed app={} env={}: {}", live.app, live.env,
                                   scaled.error().message);
}

}  // namespace porter::pipeline
