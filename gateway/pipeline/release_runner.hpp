#pragma once
// Puts a release live with zero downtime, whoever asked for it (a push, a
// config change, a rollback):
//   pre-release hook -> predeploy -> start new replicas beside the old ones ->
//   health check every web replica -> switch the proxy -> stop the old ones ->
//   record -> post-release hook
// Any failure before the switch stops the new replicas; the previous release
// never stopped serving. The caller reports failures (and runs on-failure).
#include <map>
#include <string>

#include "pipeline/services.hpp"
#include "release/release_plan.hpp"
#include "state/store.hpp"

namespace porter::pipeline {

class Progress;

struct ReleaseRequest {
  release::ReleasePlan plan;  // version and config filled from `record`
  state::ReleaseRecord record;
  bool run_predeploy = true;
  std::map<std::string, std::string> event;  // what lifecycle hooks are told
};

struct ReleaseOutcome {
  bool ok = false;
  std::string failure;  // one line
  std::string url;      // empty when the release has no web service
};

ReleaseOutcome run_release(ReleaseRequest request, Progress& progress, Services& services);

// Creates the release record for `plan` (next version, config snapshot).
ReleaseRequest prepare_release(release::ReleasePlan plan, state::NewRelease record, Services& services);

}  // namespace porter::pipeline
