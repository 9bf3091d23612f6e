#pragma once
// Puts a release live with zero downtime, whoever asked for it (a push, a
// config change, a rollback):
//   pre-release hook -> prepare the cluster -> predeploy -> start the new
//   replicas beside the old ones and wait until they are ready -> move
//   traffic -> record -> retire the old ones -> post-release hook
// on the environment's cluster driver. Any failure before the release is
// recorded live abandons it: the previous release keeps (or goes back to)
// serving. The caller reports failures (and runs on-failure).
#include <map>
#include <string>

#include "cluster/drivers.hpp"
#include "pipeline/lifecycle_hooks.hpp"
#include "release/release_plan.hpp"
#include "state/store.hpp"
#include "util/result.hpp"

namespace porter::pipeline {

class Progress;

// What releasing needs.
struct Releaser {
  state::Store& store;
  const cluster::Drivers& drivers;
  const LifecycleHooks& hooks;
};

struct ReleaseRequest {
  release::ReleasePlan plan;  // version and config filled from `record`
  state::ReleaseRecord record;
  bool run_predeploy = true;
  std::map<std::string, std::string> event;  // what lifecycle hooks are told
};

// Creates the release record for `plan` (next version, config snapshot).
ReleaseRequest prepare_release(release::ReleasePlan plan, state::NewRelease record, state::Store& store);

// The plan a release record ran (config vars and version included).
Result<release::ReleasePlan> plan_of(const state::ReleaseRecord& record);

// Returns the URL where the release answers ("" without a web service).
Result<std::string> run_release(ReleaseRequest request, Progress& progress, const Releaser& releaser);

}  // namespace porter::pipeline
