#pragma once
// Renders releases as Kubernetes manifests: an apps/v1 Deployment per service
// and a batch/v1 Job for the predeploy. The same renderer feeds a real cluster
// (replicas as declared) and the local podman engine (`podman kube play`, one
// single-replica Deployment per replica, each web one with its own host port).
// Pods run without CAP_NET_RAW and CAP_SYS_CHROOT and never share the host's
// user namespace (`hostUsers: false`), unless a cluster's runtime cannot give
// them one (gateway.yaml `user_namespaces: false`).
//
// On a cluster a release is applied (`kubectl apply --server-side`) as:
// its setup (Namespace, NetworkPolicy, config Secret), the predeploy Job,
// then its services (Deployments, the web Service and Ingress). Every object
// is labelled porter.app, porter.env and app.kubernetes.io/managed-by: porter,
// so `kubectl get ... -l porter.app=A,porter.env=E` finds them all.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "release/release_plan.hpp"

namespace porter::cluster {

// Where a release goes on a Kubernetes cluster (gateway.yaml environments:).
struct ClusterSite {
  std::string namespace_name{};     // every object's namespace
  std::string domain{};             // Ingress host <env>.<app>.<domain>; empty: no Ingress
  std::string image_pull_secret{};  // imagePullSecrets entry; empty: none
  bool user_namespaces = true;      // hostUsers: false (containerd 2 / CRI-O 1.25 and later)
};

// <app>-<env>: the namespace when gateway.yaml names none.
std::string default_namespace(const release::ReleasePlan& plan);
// Name of the Secret holding release vN's config vars: <app>-<env>-config-v<N>.
std::string config_secret_name(const release::ReleasePlan& plan);
// A service's disk (PersistentVolumeClaim; a podman volume locally): <app>-<env>-<service>-disk.
std::string disk_name(const release::ReleasePlan& plan, const release::Service& service);
// A porter.yaml job's CronJob: <app>-<env>-job-<name>.
std::string cron_job_name(const release::ReleasePlan& plan, const release::ScheduledJob& job);
// Name of release vN's predeploy Job: <app>-<env>-predeploy-v<N>.
std::string predeploy_job_name(const release::ReleasePlan& plan);

// Where and how many: the only things that differ between a cluster and one
// host. The defaults are the local engine's. (Members default to {} so that
// initializers naming only the first few stay free of -Wextra warnings.)
struct Placement {
  std::string name;                // Deployment name
  int replicas = 1;
  std::optional<int> host_port{};  // published on 127.0.0.1 (local engine only)
  std::optional<int> port{};       // $PORT and the container port; web only
  // Cluster: config vars come from this Secret (envFrom); empty: inline env (local engine).
  std::string config_secret{};
  std::string image_pull_secret{};
  std::string namespace_name{};    // empty: no metadata.namespace
  std::optional<int> progress_deadline_seconds{};  // cluster Deployments
  bool user_namespace = true;      // hostUsers: false
};

std::string render_deployment(const release::ReleasePlan& plan, const release::Service& service,
                              const Placement& placement);

// The predeploy Job: with its config vars inline (the local engine's
// reference copy), or on a cluster, from the release's Secret.
std::string render_predeploy_job(const release::ReleasePlan& plan);
std::string render_predeploy_job(const release::ReleasePlan& plan, const ClusterSite& site);

// A one-off command (`run`) on a cluster: a Job (backoffLimit 0, within
// `timeout`) in release vN's image with its config Secret, its container
// named "run", labelled porter.service: run. Named <app>-<env>-v<N>-<name>.
std::string one_off_job_name(const release::ReleasePlan& plan, const std::string& name);
std::string render_one_off_job(const release::ReleasePlan& plan, const ClusterSite& site, const std::string& name,
                               const std::vector<std::string>& argv, std::chrono::seconds timeout);

// What an environment's pods may reach on a cluster: each other, cluster
// DNS and the internet, not private ranges or cloud metadata; they are
// reached by each other and the ingress controller's namespace (labelled
// kIngressNamespaceLabel: "true").
std::string render_network_policy(const release::ReleasePlan& plan, const ClusterSite& site);
inline constexpr const char* kIngressNamespaceLabel = "porter.io/ingress";

// The cluster form, each a multi-document YAML stream for kubectl apply.
// Before the predeploy: the Namespace, the NetworkPolicy and the release's
// config Secret.
std::string render_release_setup(const release::ReleasePlan& plan, const ClusterSite& site);
// After it: a Deployment per service; for web, its Service and (with a
// domain) its Ingress.
std::string render_release_services(const release::ReleasePlan& plan, const ClusterSite& site);
// All of it: setup, predeploy Job (if any), services.
std::string render_cluster_manifests(const release::ReleasePlan& plan, const ClusterSite& site);
// The same in the default namespace, without Ingress (written beside local
// releases for reference).
std::string render_cluster_manifests(const release::ReleasePlan& plan);

// Base name of a release's objects: <app>-<env>-<service>
std::string object_name(const release::ReleasePlan& plan, const std::string& part);

// Kubernetes cluster defaults: web listens on this port inside its pod.
inline constexpr int kDefaultContainerPort = 5000;

}  // namespace porter::cluster
