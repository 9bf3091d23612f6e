#pragma once
// Releases to a Kubernetes cluster (gateway.yaml `environments: ENV:
// {cluster: kubernetes, ...}`), from the renderer's cluster form:
//   prepare: namespace, network policy and the release's config Secret
//   predeploy: a Job (backoffLimit 0), its pod's log streamed live
//   run_once (`run`): a Job of its own, followed the same way, then deleted;
//          no stdin and no terminal there (a terminal is refused)
//   start: Deployments (RollingUpdate, maxUnavailable 0), Service, Ingress;
//          waits for the rollout, reporting "web 2/3 ready", and fails on
//          the first reason a pod gives (CrashLoopBackOff, ImagePullBackOff,
//          a readiness probe failing past the progress deadline)
//   abandon: the previous release's objects applied again (its Secret is
//          kept), the failed release's Secret and Job deleted
// Traffic moves with the rollout itself: route() only says where it answers.
// The rendered files stay under <data>/releases/<app>/<env>/v<N>/ (mode 0600).
#include <filesystem>

#include "cluster/driver.hpp"
#include "cluster/kubectl.hpp"
#include "cluster/manifests.hpp"
#include "config/gateway_config.hpp"

namespace porter::cluster {

class KubernetesDriver final : public Driver {
 public:
  KubernetesDriver(config::ClusterTarget target, std::filesystem::path kubectl, std::filesystem::path releases_dir)
      : target_(std::move(target)), kubectl_(std::move(kubectl)), releases_dir_(std::move(releases_dir)) {}

  std::string name() const override;
  Result<> prepare(const release::ReleasePlan& plan, const Output& output, const proc::CancelToken& cancel) override;
  proc::RunResult run_predeploy(const release::ReleasePlan& plan, const proc::LineSink& output,
                                const proc::CancelToken& cancel) override;
  proc::RunResult run_once(const release::ReleasePlan& plan, const OneOff& job, const proc::LineSink& output,
                           const proc::CancelToken& cancel) override;
  Result<std::vector<release::Replica>> start(const release::ReleasePlan& plan, const Output& output,
                                              const proc::CancelToken& cancel) override;
  Result<std::string> route(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                            const Output& output) override;
  void abandon(const release::ReleasePlan& plan, const std::vector<release::Replica>& started,
               const release::ReleasePlan* previous) override;
  void retire(const release::ReleasePlan& previous, const std::vector<release::Replica>& replicas,
              const release::ReleasePlan& live) override;
  Result<std::vector<release::Replica>> scale(const release::ReleasePlan& plan,
                                              const std::vector<release::Replica>& current, const Output& output,
                                              const proc::CancelToken& cancel) override;
  std::vector<ReplicaStatus> status(const release::ReleasePlan& plan,
                                    const std::vector<release::Replica>& replicas) override;
  Result<> logs(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                const LogRequest& request, const proc::LineSink& output, const proc::CancelToken& cancel) override;
  // Kubernetes keeps Deployments at their replica count itself.
  std::vector<release::Replica> missing(const std::vector<release::Replica>&) override { return {}; }
  bool restore(const release::ReleasePlan&, const release::Replica&) override { return true; }

 private:
  ClusterSite site(const release::ReleasePlan& plan) const;
  Kubectl kubectl(const release::ReleasePlan& plan) const;
  std::filesystem::path release_dir(const release::ReleasePlan& plan) const;
  Result<> apply(const release::ReleasePlan& plan, const std::string& file, const std::string& manifests) const;
  void prune(const release::ReleasePlan& kept) const;
  Result<> wait_rollout(const release::ReleasePlan& plan, const Output& output, const proc::CancelToken& cancel) const;

  config::ClusterTarget target_;
  std::filesystem::path kubectl_;
  std::filesystem::path releases_dir_;
};

}  // namespace porter::cluster
