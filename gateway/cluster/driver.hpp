#pragma once
// Runs releases on a cluster. `LocalDriver` runs them on this host (podman
// behind nginx) from the rendered Kubernetes manifests; `KubernetesDriver`
// applies the same renderer's cluster form to a real cluster. A driver
// applies, waits and reports; the release flow is the caller's
// (pipeline/release_runner.hpp):
//   prepare -> run_predeploy -> start -> route -> retire the previous release
// and, when anything fails before the release is live, abandon.
#include <chrono>
#include <optional>
#include <cstdint>
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
  // `run`: its standard streams on these descriptors, raw bytes both ways
  // (the line sink stays silent). None: no stdin, output as lines.
  std::optional<proc::Stdio> stdio{};
  std::string term{};  // with a terminal: the client's TERM
};

// Where a driver reports as it works: a step starts, or a line inside one.
struct Output {
  proc::LineSink stage;
  proc::LineSink detail;
};

// One replica as `ps` shows it. CPU and memory come from the sampler
// (pipeline/metrics.hpp) on the local engine; a cluster without a metrics
// API has none.
struct ReplicaStatus {
  std::string name;        // "web.0"
  std::string state;       // "running", "restarting", "exited", "pending"...
  int restarts = 0;
  std::int64_t started_at = 0;  // Unix seconds; 0 if unknown
  std::string container;   // where the sampler finds its figures ("" if none)
};

// What `logs` asks for: the last `tail` lines of the live release's replicas
// (of one service, or all), then, when following, each new line as it comes.
struct LogRequest {
  std::string service;  // "" for all
  std::size_t tail = 100;
  bool follow = false;
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
  // Makes the live release run the plan's replica counts without
  // restarting what runs: new replicas pass their health check before they
  // get traffic, surplus ones leave the traffic before they stop. Returns
  // the replicas that now run.
  virtual Result<std::vector<release::Replica>> scale(const release::ReleasePlan& plan,
                                                      const std::vector<release::Replica>& current,
                                                      const Output& output, const proc::CancelToken& cancel) = 0;
  virtual std::vector<ReplicaStatus> status(const release::ReleasePlan& plan,
                                            const std::vector<release::Replica>& replicas) = 0;
  // The replicas' output, each line "TIME web.0: text"; returns when not
  // following, or when cancelled. Errors are one line.
  virtual Result<> logs(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                        const LogRequest& request, const proc::LineSink& output, const proc::CancelToken& cancel) = 0;
  // For the reconciler: which live replicas no longer run (one engine call
  // for all: it runs every few seconds), and starting one again from its
  // release's manifest when it was removed.
  virtual std::vector<release::Replica> missing(const std::vector<release::Replica>& replicas) = 0;
  virtual bool restore(const release::ReleasePlan& plan, const release::Replica& replica) = 0;
};

}  // namespace porter::cluster
