#pragma once
// The local engine, the embedded default: one host. Each replica is a pod
// played by `podman kube play` from a single-replica Deployment, in a user
// namespace mapped to its environment's own range of subordinate ids, on
// its environment's network
// (sandbox/network.hpp); a web replica's port is published on 127.0.0.1, and
// nginx sends each environment's traffic to its web replicas. Manifests are
// kept under <data>/releases/<app>/<env>/v<N>/, with the cluster form beside
// them.
#include <filesystem>
#include <functional>

#include "cluster/driver.hpp"
#include "cluster/manifests.hpp"
#include "proxy/nginx_proxy.hpp"

namespace porter::cluster {

class LocalDriver final : public Driver {
 public:
  // The environment's slot of subordinate ids (state::Store::uid_slot).
  using UidSlots = std::function<int(const std::string& app, const std::string& env)>;

  // Where replicas' output is kept (cluster/replica_logs.hpp), and within
  // what: the oldest releases' go first, never a live one's.
  struct ReplicaLogs {
    std::filesystem::path dir;
    std::uintmax_t budget_bytes = 0;
    std::function<bool(const std::string& app, const std::string& env, int version)> is_live;
  };

  // `host_ports`: the host services apps may reach (gateway.yaml host_services).
  LocalDriver(std::filesystem::path releases_dir, ReplicaLogs logs, proxy::NginxProxy& proxy,
              std::vector<int> host_ports, UidSlots uid_slots)
      : releases_dir_(std::move(releases_dir)), logs_(std::move(logs)), proxy_(proxy),
        host_ports_(std::move(host_ports)), uid_slots_(std::move(uid_slots)) {}

  // The replica's app container, by podman's name for it: <pod>-<service>.
  static std::string container_of(const release::Replica& replica) { return replica.pod + "-" + replica.service; }

  std::string name() const override { return "local"; }
  Result<> prepare(const release::ReleasePlan&, const Output&, const proc::CancelToken&) override { return ok(); }
  proc::RunResult run_predeploy(const release::ReleasePlan& plan, const proc::LineSink& output,
                                const proc::CancelToken& cancel) override;
  proc::RunResult run_once(const release::ReleasePlan& plan, const OneOff& job, const proc::LineSink& output,
                           const proc::CancelToken& cancel) override;
  Result<std::vector<release::Replica>> start(const release::ReleasePlan& plan, const Output& output,
                                              const proc::CancelToken& cancel) override;
  Result<std::string> route(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                            const Output& output) override;
  void abandon(const release::ReleasePlan&, const std::vector<release::Replica>& started,
               const release::ReleasePlan*) override {
    stop(started);
  }
  void retire(const release::ReleasePlan& previous, const std::vector<release::Replica>& replicas,
              const release::ReleasePlan& live) override;
  Result<std::vector<release::Replica>> scale(const release::ReleasePlan& plan,
                                              const std::vector<release::Replica>& current, const Output& output,
                                              const proc::CancelToken& cancel) override;
  std::vector<ReplicaStatus> status(const release::ReleasePlan& plan,
                                    const std::vector<release::Replica>& replicas) override;
  Result<> logs(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                const LogRequest& request, const proc::LineSink& output, const proc::CancelToken& cancel) override;
  std::vector<release::Replica> missing(const std::vector<release::Replica>& replicas) override;
  bool restore(const release::ReleasePlan& plan, const release::Replica& replica) override;

 private:
  void stop(const std::vector<release::Replica>& replicas);
  std::filesystem::path release_dir(const release::ReleasePlan& plan) const;
  std::filesystem::path manifest_file(const release::ReleasePlan& plan, const release::Replica& replica) const;
  Placement placement(const release::ReleasePlan& plan, const release::Service& service,
                      const release::Replica& replica) const;
  Result<std::string> network(const release::ReleasePlan& plan);
  Result<std::string> user_namespace(const release::ReleasePlan& plan) const;
  std::filesystem::path log_file(const release::ReleasePlan& plan, const release::Replica& replica) const;
  bool play(const release::ReleasePlan& plan, const release::Replica& replica, const proc::LineSink& output,
            const proc::CancelToken& cancel);
  Result<release::Replica> play_replica(const release::ReleasePlan& plan, const release::Service& service, int index,
                                        const Output& output, const proc::CancelToken& cancel);
  Result<std::vector<release::Replica>> play_all(const release::ReleasePlan& plan, const Output& output,
                                                 const proc::CancelToken& cancel);
  Result<> wait_healthy(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                        const Output& output, const proc::CancelToken& cancel);
  Result<> wait_web_healthy(const release::ReleasePlan& plan, const std::vector<release::Replica>& replicas,
                            const Output& output, const proc::CancelToken& cancel);

  std::filesystem::path releases_dir_;
  ReplicaLogs logs_;
  proxy::NginxProxy& proxy_;
  std::vector<int> host_ports_;
  UidSlots uid_slots_;
};

}  // namespace porter::cluster
