#pragma once
// The local engine, the embedded default: one host. Each replica is a pod
// played by `podman kube play` from a single-replica Deployment, on the host
// network with its own $PORT (or on a bridge with its own published port when
// the service has a fixed port); nginx sends each environment's traffic to
// its web replicas. Manifests are kept under <data>/releases/<app>/<env>/v<N>/,
// with the cluster form beside them.
#include <filesystem>

#include "cluster/driver.hpp"
#include "cluster/manifests.hpp"
#include "proxy/nginx_proxy.hpp"

namespace porter::cluster {

class LocalDriver final : public Driver {
 public:
  LocalDriver(std::filesystem::path releases_dir, proxy::NginxProxy& proxy)
      : releases_dir_(std::move(releases_dir)), proxy_(proxy) {}

  std::string name() const override { return "local"; }
  proc::RunResult run_predeploy(const release::ReleasePlan& plan, const proc::LineSink& output,
                                const proc::CancelToken& cancel) override;
  Result<std::vector<release::Replica>> start(const release::ReleasePlan& plan, const Output& output,
                                              const proc::CancelToken& cancel) override;
  Result<std::string> route(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                            const Output& output) override;
  void stop(const std::vector<release::Replica>& replicas) override;
  bool is_running(const release::Replica& replica) override;
  bool restore(const release::ReleasePlan& plan, const release::Replica& replica) override;

 private:
  std::filesystem::path release_dir(const release::ReleasePlan& plan) const;
  std::filesystem::path manifest_file(const release::ReleasePlan& plan, const release::Replica& replica) const;
  Placement placement(const release::ReleasePlan& plan, const release::Service& service,
                      const release::Replica& replica) const;
  bool play(const std::filesystem::path& manifest, const proc::LineSink& output, const proc::CancelToken& cancel);
  Result<std::vector<release::Replica>> play_all(const release::ReleasePlan& plan, const Output& output,
                                                 const proc::CancelToken& cancel);
  Result<> wait_healthy(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                        const Output& output, const proc::CancelToken& cancel);

  std::filesystem::path releases_dir_;
  proxy::NginxProxy& proxy_;
};

}  // namespace porter::cluster
