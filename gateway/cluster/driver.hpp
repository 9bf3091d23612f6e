#pragma once
// Runs releases on a cluster. `LocalDriver` runs them on this host (podman
// behind nginx) from the rendered Kubernetes manifests; a Kubernetes driver
// applies the same renderer's cluster form (see manifests.hpp). A driver
// applies, waits and reports; the release flow is the caller's.
#include <string>
#include <vector>

#include "proc/process.hpp"
#include "release/release_plan.hpp"
#include "release/replica.hpp"
#include "util/result.hpp"

namespace porter::cluster {

// Where a driver reports as it works: a step starts, or a line inside one.
struct Output {
  proc::LineSink stage;
  proc::LineSink detail;
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string name() const = 0;  // "local", as shown to the pusher
  // Runs the plan's predeploy once in the new image, with the environment's config.
  virtual proc::RunResult run_predeploy(const release::ReleasePlan& plan, const proc::LineSink& output,
                                        const proc::CancelToken& cancel) = 0;
  // Starts every replica of every service beside whatever runs already, and
  // waits until they are ready (web replicas pass their health check). On
  // failure nothing of the new release is left running.
  virtual Result<std::vector<release::Replica>> start(const release::ReleasePlan& plan, const Output& output,
                                                      const proc::CancelToken& cancel) = 0;
  // Sends the environment's traffic to `replicas`; returns the URL where it
  // answers ("" when the release has no web service).
  virtual Result<std::string> route(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                                    const Output& output) = 0;
  virtual void stop(const std::vector<release::Replica>& replicas) = 0;
  virtual bool is_running(const release::Replica& replica) = 0;
  // Starts a replica again from its release's manifest (it was removed).
  virtual bool restore(const release::ReleasePlan& plan, const release::Replica& replica) = 0;
};

}  // namespace porter::cluster
