#pragma once
// The stages of one deploy of one ref to one environment:
//   stale check -> checkout -> porter.yaml -> pre-build hook -> build ->
//   publish -> post-build hook -> release (see release_runner.hpp)
// On any failure the previous release keeps serving and the record says why.
#include "pipeline/push_job.hpp"

namespace porter::pipeline {

class Progress;

struct DeployTarget {
  std::int64_t id;
  std::string app, env;
  RefUpdate update;
  std::filesystem::path repo_dir;
  git::Quarantine quarantine;
  std::string pusher;
};

// True when the release is live. Prints the verdict line either way.
bool run_deploy(const DeployTarget& target, const proc::CancelToken& cancel, Progress& progress, Services& services);

}  // namespace porter::pipeline
