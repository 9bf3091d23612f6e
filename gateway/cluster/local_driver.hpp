#pragma once
// One host: each replica is a pod played by `podman kube play` from a
// single-replica Deployment, on the host network with its own $PORT (or on a
// bridge with its own published port when the service has a fixed port).
// Manifests are kept under <data>/releases/<app>/<env>/v<N>/, with the
// cluster form beside them.
#include <filesystem>

#include "cluster/driver.hpp"
#include "cluster/manifests.hpp"

namespace porter::cluster {

class PodmanDriver final : public Driver {
 public:
  explicit PodmanDriver(std::filesystem::path releases_dir) : releases_dir_(std::move(releases_dir)) {}

  proc::RunResult run_predeploy(const release::ReleasePlan& plan, const proc::LineSink& output,
                                const proc::CancelToken& cancel) override;
  StartResult start(const release::ReleasePlan& plan, const proc::LineSink& output,
                    const proc::CancelToken& cancel) override;
  void stop(const std::vector<Replica>& replicas) override;
  bool is_running(const Replica& replica) override;
  bool restore(const release::ReleasePlan& plan, const Replica& replica) override;

 private:
  std::filesystem::path release_dir(const release::ReleasePlan& plan) const;
  std::filesystem::path manifest_file(const release::ReleasePlan& plan, const Replica& replica) const;
  Placement placement(const release::ReleasePlan& plan, const release::Service& service, const Replica& replica) const;
  bool play(const std::filesystem::path& manifest, const proc::LineSink& output, const proc::CancelToken& cancel);

  std::filesystem::path releases_dir_;
};

}  // namespace porter::cluster
