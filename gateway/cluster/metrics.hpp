#pragma once
// CPU and memory of the local engine's replicas, sampled from `podman stats`
// at a fixed interval into a bounded history per container: what `ps`
// shows, what the autoscaler decides on, and what charts draw.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace porter::cluster {

struct Sample {
  std::int64_t at = 0;        // Unix seconds
  double cpu_percent = 0;     // of one CPU, over the interval since the previous sample
  std::uint64_t memory_bytes = 0;
  std::uint64_t memory_limit = 0;  // 0: none below the host's
};

// A sample and whose it is: what one sampling round adds.
struct ContainerSample {
  std::string container;
  Sample sample;
};

// One line of `podman stats --no-stream --format` with kStatsFormat.
struct RawStats {
  std::string container;
  std::uint64_t cpu_nanos = 0;     // CPU time used so far
  std::int64_t system_nanos = 0;   // when, in Unix nanoseconds
  std::uint64_t memory_bytes = 0;
  std::uint64_t memory_limit = 0;
};
inline constexpr const char* kStatsFormat =
    "{{.Name}} {{.CPUNano}} {{.SystemNano}} {{.ContainerStats.MemUsage}} {{.MemLimit}}";
std::optional<RawStats> parse_stats_line(std::string_view line);

class Metrics {
 public:
  static constexpr std::size_t kKept = 720;  // an hour at 5 s

  // A container's first reading only sets the base its CPU is measured from;
  // returns the sample it added, if any.
  std::optional<Sample> record(const RawStats& stats);
  // Puts back a sample kept from before a restart (oldest first): history
  // only, the next reading is still a new base.
  void restore(const ContainerSample& kept);
  std::optional<Sample> latest(const std::string& container) const;
  // Samples newer than `since` (Unix seconds), oldest first.
  std::vector<Sample> history(const std::string& container, std::int64_t since) const;
  // Drops what is kept of containers not in `running`.
  void keep_only(const std::vector<std::string>& running);

 private:
  void keep(const std::string& container, const Sample& sample);  // expects mutex_ held

  mutable std::mutex mutex_;
  std::map<std::string, std::deque<Sample>> samples_;
  std::map<std::string, RawStats> last_;
};

// Reads every container's counters in one `podman stats` call, into
// `metrics`; returns the samples this round added.
std::vector<ContainerSample> sample_containers(const std::vector<std::string>& containers, Metrics& metrics);

}  // namespace porter::cluster
