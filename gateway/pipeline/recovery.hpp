#pragma once
// What a gateway that was killed mid-deploy left behind, ended and removed
// before the next one takes pushes: the builds' processes (still running in
// their deploy cgroups), their buildah working containers, the build trees
// under <data>/builds, and the deploy records, marked interrupted.
#include <filesystem>

#include "config/gateway_config.hpp"
#include "state/store.hpp"

namespace porter::pipeline {

struct Recovered {
  int process_trees = 0;  // deploy cgroups that still held processes
  int containers = 0;     // buildah working containers removed
  int build_dirs = 0;
  int deploys = 0;        // records marked interrupted
};

Recovered recover_interrupted_deploys(const config::GatewayConfig& config, const std::filesystem::path& jobs_cgroup,
                                      state::Store& store);

}  // namespace porter::pipeline
