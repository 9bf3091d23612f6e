#include "pipeline/metrics_history.hpp"

namespace porter::pipeline {

void persist_metrics_round(state::Store& store, const std::vector<cluster::ContainerSample>& round,
                           const std::vector<std::string>& running, std::int64_t now) {
  std::vector<state::MetricSample> rows;
  rows.reserve(round.size());
  for (const auto& [container, sample] : round)
    rows.push_back({container, sample.at, sample.cpu_percent, sample.memory_bytes, sample.memory_limit});
  store.save_metrics_round(rows, running, {now - kMetricsHistory.count(), cluster::Metrics::kKept});
}

std::size_t restore_metrics_history(state::Store& store, cluster::Metrics& metrics, std::int64_t now) {
  const auto rows = store.metric_samples(now - kMetricsHistory.count());
  for (const auto& row : rows)
    metrics.restore({row.container, {row.at, row.cpu_percent, row.memory_bytes, row.memory_limit}});
  return rows.size();
}

}  // namespace porter::pipeline
