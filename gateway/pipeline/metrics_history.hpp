#pragma once
// The sampler's figures, kept in the store as well as in memory, so that
// charts and `ps` show the last hour right after a gateway restart.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cluster/metrics.hpp"
#include "state/store.hpp"

namespace porter::pipeline {

// As long as the in-memory history reaches back (Metrics::kKept at 5 s).
inline constexpr std::chrono::seconds kMetricsHistory{3600};

// Adds one sampling round, in one transaction, and forgets what is older than
// kMetricsHistory, beyond Metrics::kKept per container, or of containers no
// longer `running`.
void persist_metrics_round(state::Store& store, const std::vector<cluster::ContainerSample>& round,
                           const std::vector<std::string>& running, std::int64_t now);

// Puts the stored history of the last kMetricsHistory back into `metrics`;
// returns how many samples.
std::size_t restore_metrics_history(state::Store& store, cluster::Metrics& metrics, std::int64_t now);

}  // namespace porter::pipeline
