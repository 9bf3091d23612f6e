#pragma once
// Puts a release live with zero downtime, whoever asked for it (a push, a
// config change, a rollback):
//   pre-release hook -> predeploy -> start the new replicas beside the old
//   ones and wait until they are ready -> move traffic -> record -> stop the
//   old ones -> post-release hook
// Any failure before traffic moves stops the new replicas; the previous
// release never stopped serving. The caller reports failures (and runs on-failure).
#include <map>
#include <string>

#include "cluster/driver.hpp"
#include "pipeline/lifecycle_hooks.hpp"
#include "release/release_plan.hpp"
#include "state/store.hpp"
#include "util/result.hpp"

namespace porter::pipeline {

class Progress;

// What releasing needs.
struct Releaser {
  state::Store& store;
  cluster::Driver& driver;
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

// Returns the URL where the release answers ("" without a web service).
Result<std::string> run_release(ReleaseRequest request, Progress& progress, const Releaser& releaser);

}  // namespace porter::pipeline
