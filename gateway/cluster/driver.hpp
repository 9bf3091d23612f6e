#pragma once
// Runs releases on a cluster. `PodmanDriver` runs them on this host from the
// rendered Kubernetes manifests; a Kubernetes driver would apply the same
// renderer's cluster form (see manifests.hpp).
#include <string>
#include <vector>

#include "proc/process.hpp"
#include "release/release_plan.hpp"

namespace porter::cluster {

// One running copy of a service.
struct Replica {
  std::string service;
  int index = 0;
  std::string pod;
  int port = 0;  // host port the proxy sends traffic to (web only)
};

struct StartResult {
  bool ok = false;
  std::vector<Replica> replicas;
  std::string failure;
};

class Driver {
 public:
  virtual ~Driver() = default;
  // Runs the plan's predeploy once in the new image, with the environment's config.
  virtual proc::RunResult run_predeploy(const release::ReleasePlan& plan, const proc::LineSink& output,
                                        const proc::CancelToken& cancel) = 0;
  // Starts every replica of every service, beside whatever runs already.
  virtual StartResult start(const release::ReleasePlan& plan, const proc::LineSink& output,
                            const proc::CancelToken& cancel) = 0;
  virtual void stop(const std::vector<Replica>& replicas) = 0;
  virtual bool is_running(const Replica& replica) = 0;
  // Starts a replica again from its release's manifest (it was removed).
  virtual bool restore(const release::ReleasePlan& plan, const Replica& replica) = 0;
};

}  // namespace porter::cluster
