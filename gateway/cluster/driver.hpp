#pragma once
// Runs releases on a cluster. `LocalDriver` runs them on this host (podman
// behind nginx) from the rendered Kubernetes manifests; `KubernetesDriver`
// applies the same renderer's cluster form to a real cluster. A driver
// applies, waits and reports; the release flow is the caller's
// (pipeline/release_runner.hpp):
//   prepare -> run_predeploy -> start -> route -> retire the previous release
// and, when anything fails before the release is live, abandon.
#include <chrono>
#include <string>
#include <vector>

#include "proc/process.hpp"
#include "release/release_plan.hpp"
#include "release/replica.hpp"
#include "util/result.hpp"

namespace porter::cluster {

// A command run once in a release's image with its config: the predeploy, or `run`.
struct OneOff {
  std::string name;               // part of the container's name: "predeploy", "run-..."
  std::vector<std::string> argv;  // the whole command; argv[0] replaces the image's entrypoint
  std::chrono::seconds timeout;
};

// Where a driver reports as it works: a step starts, or a line inside one.
struct Output {
  proc::LineSink stage;
  proc::LineSink detail;
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string name() const = 0;  // "local", as shown to the pusher
  // Makes the release's configuration known to the cluster before anything
  // of it runs; nothing that serves changes. Errors are one line.
  virtual Result<> prepare(const release::ReleasePlan& plan, const Output& output,
                           const proc::CancelToken& cancel) = 0;
  // Runs the plan's predeploy once in the new image, with the environment's config.
  virtual proc::RunResult run_predeploy(const release::ReleasePlan& plan, const proc::LineSink& output,
                                        const proc::CancelToken& cancel) = 0;
  // Runs `job` once in the plan's image with its config, isolated as a
  // replica is, not inside one; ended when cancelled.
  virtual proc::RunResult run_once(const release::ReleasePlan& plan, const OneOff& job, const proc::LineSink& output,
                                   const proc::CancelToken& cancel) = 0;
  // Starts every replica of every service and waits until they are ready
  // (web replicas pass their health check), while the previous release
  // keeps serving. On failure the caller abandons the release.
  virtual Result<std::vector<release::Replica>> start(const release::ReleasePlan& plan, const Output& output,
                                                      const proc::CancelToken& cancel) = 0;
  // Sends the environment's traffic to `replicas`; returns the URL where it
  // answers ("" when the release has no web service).
  virtual Result<std::string> route(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                                    const Output& output) = 0;
  // Takes back a release that did not go live: what it `started` stops, and
  // `previous` (nullptr: nothing was live) serves as before.
  virtual void abandon(const release::ReleasePlan& plan, const std::vector<release::Replica>& started,
                       const release::ReleasePlan* previous) = 0;
  // Ends the release that served before `live` went live.
  virtual void retire(const release::ReleasePlan& previous, const std::vector<release::Replica>& replicas,
                      const release::ReleasePlan& live) = 0;
  // For the reconciler: whether a live replica still runs, and starting it
  // again from its release's manifest when it was removed.
  virtual bool is_running(const release::Replica& replica) = 0;
  virtual bool restore(const release::ReleasePlan& plan, const release::Replica& replica) = 0;
};

}  // namespace porter::cluster
