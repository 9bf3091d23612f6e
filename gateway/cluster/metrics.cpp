#include "cluster/metrics.hpp"

#include <algorithm>
#include <sstream>

#include "proc/process.hpp"

namespace porter::cluster {

std::optional<RawStats> parse_stats_line(std::string_view line) {
  RawStats stats;
  std::istringstream in{std::string(line)};
  if (!(in >> stats.container >> stats.cpu_nanos >> stats.system_nanos >> stats.memory_bytes >> stats.memory_limit))
    return std::nullopt;
  return stats;
}

std::optional<Sample> Metrics::record(const RawStats& stats) {
  std::lock_guard lock(mutex_);
  std::optional<Sample> added;
  auto previous = last_.find(stats.container);
  if (previous != last_.end() && stats.system_nanos > previous->second.system_nanos &&
      stats.cpu_nanos >= previous->second.cpu_nanos) {
    const auto cpu = static_cast<double>(stats.cpu_nanos - previous->second.cpu_nanos);
    const auto wall = static_cast<double>(stats.system_nanos - previous->second.system_nanos);
    added = Sample{stats.system_nanos / 1'000'000'000, 100.0 * cpu / wall, stats.memory_bytes, stats.memory_limit};
    keep(stats.container, *added);
  }
  last_[stats.container] = stats;
  return added;
}

void Metrics::restore(const ContainerSample& kept) {
  std::lock_guard lock(mutex_);
  keep(kept.container, kept.sample);
}

void Metrics::keep(const std::string& container, const Sample& sample) {
  auto& kept = samples_[container];
  kept.push_back(sample);
  if (kept.size() > kKept) kept.pop_front();
}

std::optional<Sample> Metrics::latest(const std::string& container) const {
  std::lock_guard lock(mutex_);
  auto it = samples_.find(container);
  if (it == samples_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<Sample> Metrics::history(const std::string& container, std::int64_t since) const {
  std::lock_guard lock(mutex_);
  std::vector<Sample> found;
  if (auto it = samples_.find(container); it != samples_.end())
    std::ranges::copy_if(it->second, std::back_inserter(found), [&](const Sample& s) { return s.at > since; });
  return found;
}

void Metrics::keep_only(const std::vector<std::string>& running) {
  std::lock_guard lock(mutex_);
  const auto gone = [&](const auto& entry) { return std::ranges::find(running, entry.first) == running.end(); };
  std::erase_if(samples_, gone);
  std::erase_if(last_, gone);
}

std::vector<ContainerSample> sample_containers(const std::vector<std::string>& containers, Metrics& metrics) {
  std::vector<ContainerSample> round;
  if (containers.empty()) return round;
  std::vector<std::string> args = {"stats", "--no-stream", "--format", kStatsFormat};
  args.insert(args.end(), containers.begin(), containers.end());
  // A container that just went away fails the call for all: sampled again next time.
  const auto lines = proc::output_of({.program = "podman", .args = args, .env = {}, .dir = {}}, std::chrono::seconds(30));
  for (const auto& line : lines.value_or(std::vector<std::string>{}))
    if (auto stats = parse_stats_line(line))
      if (auto added = metrics.record(*stats)) round.push_back({stats->container, *added});
  return round;
}

}  // namespace porter::cluster
