#include "cluster/manifests.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "config/quantities.hpp"

namespace porter::cluster {
namespace {

using release::ReleasePlan;

constexpr int kWebServicePort = 80;            // the web Service's port, whatever the pods listen on
constexpr int kMinProgressDeadlineSeconds = 30;
constexpr int kOtherProgressDeadlineSeconds = 120;
constexpr int kRevisionHistoryLimit = 5;       // rollback reach without piling up ReplicaSets
constexpr int kFinishedJobTtlSeconds = 86400;  // a finished predeploy's logs stay a day

std::string version_label(const ReleasePlan& plan) { return "v" + std::to_string(plan.version); }

// Config vars come from a Secret only on a cluster: that is what tells the two forms apart.
bool on_cluster(const Placement& placement) { return !placement.config_secret.empty(); }

// An object's metadata.
struct Meta {
  std::string name{};            // empty: none (a pod template)
  std::string namespace_name{};  // empty: none (the local engine; the Namespace itself)
  std::string part{};            // porter.service; empty: environment-wide, no service or release labels
  bool managed = false;          // cluster objects: app.kubernetes.io/managed-by: porter
  std::map<std::string, std::string> annotations{};
};

void emit_labels(YAML::Emitter& out, const ReleasePlan& plan, const Meta& meta) {
  const bool of_release = !meta.part.empty();
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
  if (of_release) out << YAML::Key << "app.kubernetes.io/name" << YAML::Value << object_name(plan, meta.part);
  out << YAML::Key << "porter.app" << YAML::Value << plan.app;
  out << YAML::Key << "porter.env" << YAML::Value << plan.env;
  if (of_release) {
    out << YAML::Key << "porter.service" << YAML::Value << meta.part;
    out << YAML::Key << "porter.release" << YAML::Value << version_label(plan);
  }
  if (meta.managed) out << YAML::Key << "app.kubernetes.io/managed-by" << YAML::Value << "porter";
  out << YAML::EndMap;
}

void emit_metadata(YAML::Emitter& out, const ReleasePlan& plan, const Meta& meta) {
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  if (!meta.name.empty()) out << YAML::Key << "name" << YAML::Value << meta.name;
  if (!meta.namespace_name.empty()) out << YAML::Key << "namespace" << YAML::Value << meta.namespace_name;
  emit_labels(out, plan, meta);
  if (!meta.annotations.empty()) {
    out << YAML::Key << "annotations" << YAML::Value << YAML::BeginMap;
    for (const auto& [key, value] : meta.annotations)
      out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;  // always strings, even "60"
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

// Opens an object: apiVersion, kind and metadata; end_object closes it.
void begin_object(YAML::Emitter& out, const char* api_version, const char* kind, const ReleasePlan& plan,
                  const Meta& meta) {
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << api_version;
  out << YAML::Key << "kind" << YAML::Value << kind;
  emit_metadata(out, plan, meta);
}

std::string end_object(YAML::Emitter& out) {
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

// One object of a multi-document stream.
std::string document(const std::string& object) { return "---\n" + object; }

// Locally the config vars are inline. On a cluster they stay in the
// release's Secret, out of the Deployment and Job that more people may read;
// only PORT, which is not a secret, is inline.
void emit_env(YAML::Emitter& out, const ReleasePlan& plan, const Placement& placement) {
  auto variable = [&](const std::string& name, const std::string& value) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key << "value" << YAML::Value
        << YAML::DoubleQuoted << value << YAML::EndMap;
  };
  const bool inline_config = !on_cluster(placement);
  if (inline_config || placement.port) {
    out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
    if (inline_config)
      for (const auto& [name, value] : plan.config)
        if (name != "PORT") variable(name, value);
    if (placement.port) variable("PORT", std::to_string(*placement.port));
    out << YAML::EndSeq;
  }
  if (!inline_config)
    out << YAML::Key << "envFrom" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "secretRef"
        << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << placement.config_secret
        << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
}

// What a pod runs: one container, and how it restarts.
struct Pod {
  std::string container;
  const std::vector<std::string>& argv;  // empty: the image's own entrypoint and command
  const config::HealthCheck* probe;      // web only
  const char* restart_policy;
  std::optional<int> grace_seconds;
  const release::Service* service = nullptr;  // its resources and disk; none for jobs
};

// The same for requests and limits: what is declared is what is reserved.
void emit_resources(YAML::Emitter& out, const config::Resources& resources) {
  if (!resources.millicpu && !resources.memory_bytes) return;
  out << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
  for (const char* kind : {"requests", "limits"}) {
    out << YAML::Key << kind << YAML::Value << YAML::BeginMap;
    if (resources.millicpu) out << YAML::Key << "cpu" << YAML::Value << config::kube_cpu(*resources.millicpu);
    if (resources.memory_bytes)
      out << YAML::Key << "memory" << YAML::Value << config::kube_memory(*resources.memory_bytes);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

const char* kDiskVolume = "disk";

// Kubernetes `command` replaces the entrypoint: the whole argv goes there.
void emit_container(YAML::Emitter& out, const ReleasePlan& plan, const Pod& pod, const Placement& placement) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << pod.container;
  out << YAML::Key << "image" << YAML::Value << plan.image;
  out << YAML::Key << "imagePullPolicy" << YAML::Value << "IfNotPresent";
  if (!pod.argv.empty()) out << YAML::Key << "command" << YAML::Value << YAML::Flow << pod.argv;
  emit_env(out, plan, placement);
  if (pod.service) emit_resources(out, pod.service->resources);
  if (pod.service && pod.service->disk)
    out << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "name"
        << YAML::Value << kDiskVolume << YAML::Key << "mountPath" << YAML::Value << pod.service->disk->path
        << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap << YAML::Key << "capabilities"
      << YAML::Value << YAML::BeginMap << YAML::Key << "drop" << YAML::Value << YAML::Flow << YAML::BeginSeq
      << "NET_RAW" << "SYS_CHROOT" << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  const auto port = placement.port;
  if (port) {
    out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    out << YAML::Key << "containerPort" << YAML::Value << *port;
    if (placement.host_port) {
      out << YAML::Key << "hostPort" << YAML::Value << *placement.host_port;
      out << YAML::Key << "hostIP" << YAML::Value << "127.0.0.1";
    }
    out << YAML::EndMap << YAML::EndSeq;
  }
  if (pod.probe && port) {
    out << YAML::Key << "readinessProbe" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "httpGet" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value
        << pod.probe->path << YAML::Key << "port" << YAML::Value << *port << YAML::EndMap;
    out << YAML::Key << "timeoutSeconds" << YAML::Value << pod.probe->timeout.count();
    out << YAML::Key << "periodSeconds" << YAML::Value << 1;
    out << YAML::Key << "failureThreshold" << YAML::Value << pod.probe->attempts;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

// The pod template carries the object's labels: the network policy selects
// pods by them, and a new porter.release rolls the pods even when only the
// config changed.
void emit_pod_template(YAML::Emitter& out, const ReleasePlan& plan, const Meta& object, const Pod& pod,
                       const Placement& placement) {
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  emit_metadata(out, plan, {.part = object.part, .managed = object.managed});
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  if (placement.user_namespace) out << YAML::Key << "hostUsers" << YAML::Value << false;
  // The pod's pause process is PID 1: it reaps orphans, and the app gets the
  // default SIGTERM action (an app that is PID 1 ignores SIGTERM unless it
  // handles it, so every stop would wait out the grace period).
  out << YAML::Key << "shareProcessNamespace" << YAML::Value << true;
  out << YAML::Key << "restartPolicy" << YAML::Value << pod.restart_policy;
  if (pod.grace_seconds) out << YAML::Key << "terminationGracePeriodSeconds" << YAML::Value << *pod.grace_seconds;
  if (!placement.image_pull_secret.empty())
    out << YAML::Key << "imagePullSecrets" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
        << "name" << YAML::Value << placement.image_pull_secret << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq;
  emit_container(out, plan, pod, placement);
  out << YAML::EndSeq;
  if (pod.service && pod.service->disk)
    out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "name"
        << YAML::Value << kDiskVolume << YAML::Key << "persistentVolumeClaim" << YAML::Value << YAML::BeginMap
        << YAML::Key << "claimName" << YAML::Value << disk_name(plan, *pod.service) << YAML::EndMap << YAML::EndMap
        << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap;
}

// A rollout never goes below the declared replicas (old pods serve until new
// ones are ready), and Kubernetes marks it failed once it stalls this long.
void emit_rollout(YAML::Emitter& out, const Placement& placement) {
  out << YAML::Key << "strategy" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << "RollingUpdate";
  out << YAML::Key << "rollingUpdate" << YAML::Value << YAML::BeginMap << YAML::Key << "maxUnavailable"
      << YAML::Value << 0 << YAML::Key << "maxSurge" << YAML::Value << 1 << YAML::EndMap;
  out << YAML::EndMap;
  if (placement.progress_deadline_seconds)
    out << YAML::Key << "progressDeadlineSeconds" << YAML::Value << *placement.progress_deadline_seconds;
  out << YAML::Key << "revisionHistoryLimit" << YAML::Value << kRevisionHistoryLimit;
}


// A command run once, never retried, within its time: the predeploy or a one-off (`run`).
struct JobCommand {
  std::string part;  // porter.service and the container's name
  const std::vector<std::string>& argv;
  std::chrono::seconds timeout;
};

std::string render_job(const ReleasePlan& plan, const Placement& placement, const JobCommand& command) {
  const Meta meta{.name = placement.name, .namespace_name = placement.namespace_name, .part = command.part,
                  .managed = on_cluster(placement)};
  YAML::Emitter out;
  begin_object(out, "batch/v1", "Job", plan, meta);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "backoffLimit" << YAML::Value << 0;
  out << YAML::Key << "activeDeadlineSeconds" << YAML::Value << command.timeout.count();
  if (on_cluster(placement)) out << YAML::Key << "ttlSecondsAfterFinished" << YAML::Value << kFinishedJobTtlSeconds;
  emit_pod_template(out, plan, meta, {command.part, command.argv, nullptr, "Never", std::nullopt}, placement);
  out << YAML::EndMap;
  return end_object(out);
}

std::string render_job(const ReleasePlan& plan, const Placement& placement) {
  return render_job(plan, placement, {"predeploy", plan.predeploy, plan.predeploy_timeout});
}

// A pod on the cluster: in the site's namespace, with config from the release's Secret.
Placement cluster_placement(const ReleasePlan& plan, const ClusterSite& site, std::string name) {
  return {.name = std::move(name), .config_secret = config_secret_name(plan),
          .image_pull_secret = site.image_pull_secret, .namespace_name = site.namespace_name,
          .user_namespace = site.user_namespaces};
}

// How long a rollout may go without a new pod becoming ready: for web, what
// its health check may take (never under 30s: pulling the image counts too).
int progress_deadline_seconds(const release::Service& service) {
  if (!service.is_web()) return kOtherProgressDeadlineSeconds;
  const auto& check = service.healthcheck;
  const auto budget = std::chrono::ceil<std::chrono::seconds>(check.timeout * check.attempts);
  return std::max(kMinProgressDeadlineSeconds, static_cast<int>(budget.count()));
}

Placement service_placement(const ReleasePlan& plan, const release::Service& service, const ClusterSite& site) {
  auto placement = cluster_placement(plan, site, object_name(plan, service.name));
  placement.replicas = service.replicas;
  if (service.is_web()) placement.port = service.port.value_or(kDefaultContainerPort);
  placement.progress_deadline_seconds = progress_deadline_seconds(service);
  return placement;
}

// A cluster object of the release, labelled like its pods.
Meta cluster_meta(const ClusterSite& site, const std::string& part, std::string name) {
  return {.name = std::move(name), .namespace_name = site.namespace_name, .part = part, .managed = true};
}

// It outlives releases: labelled with the environment only.
std::string render_namespace(const ReleasePlan& plan, const ClusterSite& site) {
  YAML::Emitter out;
  begin_object(out, "v1", "Namespace", plan, {.name = site.namespace_name, .managed = true});
  return end_object(out);
}

// Every config var but PORT, which the gateway sets (as on the local engine).
std::string render_config_secret(const ReleasePlan& plan, const ClusterSite& site) {
  YAML::Emitter out;
  begin_object(out, "v1", "Secret", plan, cluster_meta(site, "config", config_secret_name(plan)));
  out << YAML::Key << "type" << YAML::Value << "Opaque";
  out << YAML::Key << "stringData" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, value] : plan.config)
    if (name != "PORT") out << YAML::Key << name << YAML::Value << YAML::DoubleQuoted << value;
  out << YAML::EndMap;
  return end_object(out);
}

// The web pods behind one cluster address, on port 80.
std::string render_web_service(const ReleasePlan& plan, const ClusterSite& site, int container_port) {
  const auto web = object_name(plan, "web");
  YAML::Emitter out;
  begin_object(out, "v1", "Service", plan, cluster_meta(site, "web", web));
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap << YAML::Key << "app.kubernetes.io/name"
      << YAML::Value << web << YAML::EndMap;
  out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "port" << YAML::Value << kWebServicePort;
  out << YAML::Key << "targetPort" << YAML::Value << container_port;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap;
  return end_object(out);
}

// <env>.<app>.<domain> to the web Service, with the app's proxy timeouts
// (ingress-nginx reads them as strings of seconds).
std::string render_ingress(const ReleasePlan& plan, const release::Service& web, const ClusterSite& site) {
  const auto name = object_name(plan, "web");
  auto meta = cluster_meta(site, "web", name);
  auto seconds = [](std::chrono::seconds timeout) { return std::to_string(timeout.count()); };
  meta.annotations = {{"nginx.ingress.kubernetes.io/proxy-connect-timeout", seconds(web.timeouts.connect)},
                      {"nginx.ingress.kubernetes.io/proxy-send-timeout", seconds(web.timeouts.send)},
                      {"nginx.ingress.kubernetes.io/proxy-read-timeout", seconds(web.timeouts.read)}};
  YAML::Emitter out;
  begin_object(out, "networking.k8s.io/v1", "Ingress", plan, meta);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "host" << YAML::Value << plan.env + "." + plan.app + "." + site.domain;
  out << YAML::Key << "http" << YAML::Value << YAML::BeginMap << YAML::Key << "paths" << YAML::Value
      << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "path" << YAML::Value << "/";
  out << YAML::Key << "pathType" << YAML::Value << "Prefix";
  out << YAML::Key << "backend" << YAML::Value << YAML::BeginMap << YAML::Key << "service" << YAML::Value
      << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key << "port" << YAML::Value
      << YAML::BeginMap << YAML::Key << "number" << YAML::Value << kWebServicePort << YAML::EndMap << YAML::EndMap
      << YAML::EndMap;
  out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::EndMap;
  return end_object(out);
}

// The service's disk: claimed once, kept across releases and rollbacks
// (nothing Porter deletes selects it).
std::string render_disk_claim(const ReleasePlan& plan, const release::Service& service, const ClusterSite& site) {
  YAML::Emitter out;
  begin_object(out, "v1", "PersistentVolumeClaim", plan, cluster_meta(site, service.name, disk_name(plan, service)));
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "accessModes" << YAML::Value << YAML::Flow << YAML::BeginSeq << "ReadWriteOnce" << YAML::EndSeq;
  out << YAML::Key << "resources" << YAML::Value << YAML::BeginMap << YAML::Key << "requests" << YAML::Value
      << YAML::BeginMap << YAML::Key << "storage" << YAML::Value << config::kube_memory(service.disk->size_bytes)
      << YAML::EndMap << YAML::EndMap;
  out << YAML::EndMap;
  return end_object(out);
}

void emit_utilization(YAML::Emitter& out, const char* resource, int percent) {
  out << YAML::BeginMap << YAML::Key << "type" << YAML::Value << "Resource" << YAML::Key << "resource" << YAML::Value
      << YAML::BeginMap << YAML::Key << "name" << YAML::Value << resource << YAML::Key << "target" << YAML::Value
      << YAML::BeginMap << YAML::Key << "type" << YAML::Value << "Utilization" << YAML::Key << "averageUtilization"
      << YAML::Value << percent << YAML::EndMap << YAML::EndMap << YAML::EndMap;
}

std::string render_autoscaler(const ReleasePlan& plan, const release::Service& service, const ClusterSite& site) {
  const auto& scaling = *service.autoscaling;
  const auto name = object_name(plan, service.name);
  YAML::Emitter out;
  begin_object(out, "autoscaling/v2", "HorizontalPodAutoscaler", plan, cluster_meta(site, service.name, name));
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "scaleTargetRef" << YAML::Value << YAML::BeginMap << YAML::Key << "apiVersion" << YAML::Value
      << "apps/v1" << YAML::Key << "kind" << YAML::Value << "Deployment" << YAML::Key << "name" << YAML::Value << name
      << YAML::EndMap;
  out << YAML::Key << "minReplicas" << YAML::Value << scaling.min;
  out << YAML::Key << "maxReplicas" << YAML::Value << scaling.max;
  out << YAML::Key << "metrics" << YAML::Value << YAML::BeginSeq;
  if (scaling.cpu_percent) emit_utilization(out, "cpu", *scaling.cpu_percent);
  if (scaling.memory_percent) emit_utilization(out, "memory", *scaling.memory_percent);
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return end_object(out);
}

// A porter.yaml job on its schedule (UTC), never two runs at once.
std::string render_cron_job(const ReleasePlan& plan, const release::ScheduledJob& job, const ClusterSite& site) {
  const auto placement = cluster_placement(plan, site, cron_job_name(plan, job));
  const Meta meta = cluster_meta(site, "job-" + job.name, placement.name);
  YAML::Emitter out;
  begin_object(out, "batch/v1", "CronJob", plan, meta);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "schedule" << YAML::Value << job.schedule;
  out << YAML::Key << "timeZone" << YAML::Value << "Etc/UTC";
  out << YAML::Key << "concurrencyPolicy" << YAML::Value << "Forbid";
  out << YAML::Key << "jobTemplate" << YAML::Value << YAML::BeginMap << YAML::Key << "spec" << YAML::Value
      << YAML::BeginMap;
  out << YAML::Key << "backoffLimit" << YAML::Value << 0;
  out << YAML::Key << "activeDeadlineSeconds" << YAML::Value << job.timeout.count();
  emit_pod_template(out, plan, meta, {job.name, job.argv, nullptr, "Never", std::nullopt}, placement);
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::EndMap;
  return end_object(out);
}

}  // namespace

std::string disk_name(const ReleasePlan& plan, const release::Service& service) {
  return object_name(plan, service.name + "-disk");
}

std::string cron_job_name(const ReleasePlan& plan, const release::ScheduledJob& job) {
  return object_name(plan, "job-" + job.name);
}

std::string object_name(const ReleasePlan& plan, const std::string& part) {
  return plan.app + "-" + plan.env + "-" + part;
}

std::string default_namespace(const ReleasePlan& plan) { return plan.app + "-" + plan.env; }

std::string predeploy_job_name(const ReleasePlan& plan) {
  return object_name(plan, "predeploy-" + version_label(plan));
}

std::string config_secret_name(const ReleasePlan& plan) { return object_name(plan, "config-" + version_label(plan)); }

std::string render_deployment(const ReleasePlan& plan, const release::Service& service,
                              const Placement& placement) {
  const Meta meta{.name = placement.name, .namespace_name = placement.namespace_name, .part = service.name,
                  .managed = on_cluster(placement)};
  YAML::Emitter out;
  begin_object(out, "apps/v1", "Deployment", plan, meta);
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  // An autoscaler owns the count on a cluster: applying one would undo its work.
  if (!(on_cluster(placement) && service.autoscaling))
    out << YAML::Key << "replicas" << YAML::Value << placement.replicas;
  if (on_cluster(placement)) emit_rollout(out, placement);
  out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap << YAML::Key << "matchLabels" << YAML::Value
      << YAML::BeginMap << YAML::Key << "app.kubernetes.io/name" << YAML::Value << object_name(plan, service.name)
      << YAML::EndMap << YAML::EndMap;
  const Pod pod{service.name, service.argv, service.is_web() ? &service.healthcheck : nullptr, "Always", 5, &service};
  emit_pod_template(out, plan, meta, pod, placement);
  out << YAML::EndMap;
  return end_object(out);
}

std::string render_predeploy_job(const ReleasePlan& plan) {
  return render_job(plan, {.name = predeploy_job_name(plan)});
}

std::string render_predeploy_job(const ReleasePlan& plan, const ClusterSite& site) {
  return render_job(plan, cluster_placement(plan, site, predeploy_job_name(plan)));
}

std::string one_off_job_name(const ReleasePlan& plan, const std::string& name) {
  return object_name(plan, version_label(plan) + "-" + name);
}

std::string render_one_off_job(const ReleasePlan& plan, const ClusterSite& site, const std::string& name,
                               const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  return render_job(plan, cluster_placement(plan, site, one_off_job_name(plan, name)), {"run", argv, timeout});
}

std::string render_network_policy(const ReleasePlan& plan, const ClusterSite& site) {
  YAML::Emitter out;
  auto same_environment = [&] {
    out << YAML::BeginMap << YAML::Key << "matchLabels" << YAML::Value << YAML::BeginMap << YAML::Key << "porter.app"
        << YAML::Value << plan.app << YAML::Key << "porter.env" << YAML::Value << plan.env << YAML::EndMap
        << YAML::EndMap;
  };
  begin_object(out, "networking.k8s.io/v1", "NetworkPolicy", plan,
               cluster_meta(site, "isolation", object_name(plan, "isolation")));
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "podSelector" << YAML::Value;
  same_environment();
  out << YAML::Key << "policyTypes" << YAML::Value << YAML::Flow << YAML::BeginSeq << "Ingress" << "Egress"
      << YAML::EndSeq;
  // In: the environment's own pods, and the ingress controller's namespace
  // (its label value quoted: a bare true is a boolean, which kubectl refuses).
  out << YAML::Key << "ingress" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "from"
      << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "podSelector" << YAML::Value;
  same_environment();
  out << YAML::EndMap << YAML::BeginMap << YAML::Key << "namespaceSelector" << YAML::Value << YAML::BeginMap
      << YAML::Key << "matchLabels" << YAML::Value << YAML::BeginMap << YAML::Key << kIngressNamespaceLabel
      << YAML::Value << YAML::DoubleQuoted << "true" << YAML::EndMap << YAML::EndMap << YAML::EndMap << YAML::EndSeq << YAML::EndMap
      << YAML::EndSeq;
  // Out: the environment's own pods, cluster DNS, and the internet; not
  // private ranges (other tenants, the nodes) nor cloud metadata.
  out << YAML::Key << "egress" << YAML::Value << YAML::BeginSeq;
  out << YAML::BeginMap << YAML::Key << "to" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
      << "podSelector" << YAML::Value;
  same_environment();
  out << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  out << YAML::BeginMap << YAML::Key << "to" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
      << "namespaceSelector" << YAML::Value << YAML::BeginMap << YAML::EndMap << YAML::Key << "podSelector"
      << YAML::Value << YAML::BeginMap << YAML::Key << "matchLabels" << YAML::Value << YAML::BeginMap << YAML::Key
      << "k8s-app" << YAML::Value << "kube-dns" << YAML::EndMap << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq;
  for (const char* protocol : {"UDP", "TCP"})
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "protocol" << YAML::Value << protocol << YAML::Key << "port"
        << YAML::Value << 53 << YAML::EndMap;
  out << YAML::EndSeq << YAML::EndMap;
  out << YAML::BeginMap << YAML::Key << "to" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
      << "ipBlock" << YAML::Value << YAML::BeginMap << YAML::Key << "cidr" << YAML::Value << "0.0.0.0/0" << YAML::Key
      << "except" << YAML::Value << YAML::Flow << YAML::BeginSeq << "10.0.0.0/8" << "172.16.0.0/12"
      << "192.168.0.0/16" << "169.254.0.0/16" << YAML::EndSeq << YAML::EndMap << YAML::EndMap << YAML::EndSeq
      << YAML::EndMap;
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return end_object(out);
}

std::string render_release_setup(const ReleasePlan& plan, const ClusterSite& site) {
  return document(render_namespace(plan, site)) + document(render_network_policy(plan, site)) +
         document(render_config_secret(plan, site));
}

std::string render_release_services(const ReleasePlan& plan, const ClusterSite& site) {
  std::string manifests;
  for (const auto& service : plan.services) {
    const auto placement = service_placement(plan, service, site);
    if (service.disk) manifests += document(render_disk_claim(plan, service, site));
    manifests += document(render_deployment(plan, service, placement));
    if (service.autoscaling) manifests += document(render_autoscaler(plan, service, site));
    if (!service.is_web()) continue;
    manifests += document(render_web_service(plan, site, *placement.port));
    if (!site.domain.empty()) manifests += document(render_ingress(plan, service, site));
  }
  for (const auto& job : plan.jobs) manifests += document(render_cron_job(plan, job, site));
  return manifests;
}

std::string render_cluster_manifests(const ReleasePlan& plan, const ClusterSite& site) {
  std::string manifests = render_release_setup(plan, site);
  if (!plan.predeploy.empty()) manifests += document(render_predeploy_job(plan, site));
  return manifests + render_release_services(plan, site);
}

std::string render_cluster_manifests(const ReleasePlan& plan) {
  return render_cluster_manifests(plan, {.namespace_name = default_namespace(plan)});
}

}  // namespace porter::cluster
