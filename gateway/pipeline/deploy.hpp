#pragma once
// The stages of one deploy of one ref to one environment:
//   stale check -> checkout -> porter.yaml -> pre-build hook -> build ->
//   publish -> post-build hook -> release (see release_runner.hpp)
// On any failure the previous release keeps serving and the record says why.
#include <cstdint>
#include <filesystem>
#include <string>

#include "builders/builder.hpp"
#include "config/gateway_config.hpp"
#include "git/repo_store.hpp"
#include "pipeline/push_plan.hpp"
#include "pipeline/release_runner.hpp"

namespace porter::pipeline {

class Progress;

// What a deploy needs.
struct Deployer {
  const config::GatewayConfig& config;  // build dirs, caches, timeouts, registry, buildpacks
  state::Store& store;
  const builders::BuilderRegistry& builders;
  Releaser release;
  std::filesystem::path jobs_cgroup;    // builds run in a cgroup under it, one per deploy
};

struct DeployTarget {
  std::int64_t id;
  std::string app, env;
  RefUpdate update;
  std::filesystem::path repo_dir;
  git::Quarantine quarantine;
  std::string pusher;
};

// True when the release is live. Prints the verdict line either way.
bool run_deploy(const DeployTarget& target, Progress& progress, const Deployer& deployer);

// Where a deploy builds: <builds_dir>/<deploy id>; removed when the deploy
// ends, or by the next start after a crash.
std::filesystem::path build_dir(const config::GatewayConfig& config, std::int64_t deploy_id);

}  // namespace porter::pipeline
