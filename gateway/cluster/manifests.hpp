#pragma once
// Renders releases as Kubernetes manifests: an apps/v1 Deployment per service
// and a batch/v1 Job for the predeploy. The same renderer feeds a real cluster
// (replicas as declared) and the local podman engine (`podman kube play`, one
// single-replica Deployment per replica, each web one with its own host port).
// Pods never share the host's user namespace (`hostUsers: false`) and run
// without CAP_NET_RAW and CAP_SYS_CHROOT.
#include <optional>
#include <string>

#include "release/release_plan.hpp"

namespace porter::cluster {

// Where and how many: the only things that differ between a cluster and one host.
struct Placement {
  std::string name;              // Deployment name
  int replicas = 1;
  std::optional<int> host_port;  // published on 127.0.0.1 (local engine only)
  std::optional<int> port;       // $PORT and the container port; web only
};

std::string render_deployment(const release::ReleasePlan& plan, const release::Service& service,
                              const Placement& placement);
std::string render_predeploy_job(const release::ReleasePlan& plan);

// What an environment's pods may reach on a cluster: each other, cluster
// DNS and the internet, not private ranges or cloud metadata; they are
// reached by each other and the ingress controller's namespace (labelled
// kIngressNamespaceLabel: "true").
std::string render_network_policy(const release::ReleasePlan& plan);
inline constexpr const char* kIngressNamespaceLabel = "porter.io/ingress";

// The release for a Kubernetes cluster (multi-document YAML, for kubectl
// apply): its network policy, predeploy Job and Deployments.
std::string render_cluster_manifests(const release::ReleasePlan& plan);

// Base name of a release's objects: <app>-<env>-<service>
std::string object_name(const release::ReleasePlan& plan, const std::string& part);

// Kubernetes cluster defaults: web listens on this port inside its pod.
inline constexpr int kDefaultContainerPort = 5000;

}  // namespace porter::cluster
