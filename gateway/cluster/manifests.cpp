#include "cluster/manifests.hpp"

#include <yaml-cpp/yaml.h>

namespace porter::cluster {
namespace {

void emit_labels(YAML::Emitter& out, const release::ReleasePlan& plan, const std::string& part) {
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "app.kubernetes.io/name" << YAML::Value << object_name(plan, part);
  out << YAML::Key << "porter.app" << YAML::Value << plan.app;
  out << YAML::Key << "porter.env" << YAML::Value << plan.env;
  out << YAML::Key << "porter.service" << YAML::Value << part;
  out << YAML::Key << "porter.release" << YAML::Value << ("v" + std::to_string(plan.version));
  out << YAML::EndMap;
}

void emit_env(YAML::Emitter& out, const release::ReleasePlan& plan, std::optional<int> port) {
  out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
  auto variable = [&](const std::string& name, const std::string& value) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key << "value" << YAML::Value
        << YAML::DoubleQuoted << value << YAML::EndMap;
  };
  for (const auto& [name, value] : plan.config)
    if (name != "PORT") variable(name, value);
  if (port) variable("PORT", std::to_string(*port));
  out << YAML::EndSeq;
}

// Kubernetes `command` replaces the entrypoint: the whole argv goes there.
void emit_container(YAML::Emitter& out, const release::ReleasePlan& plan, const std::string& name,
                    const std::vector<std::string>& argv, std::optional<int> port, std::optional<int> host_port,
                    const config::HealthCheck* probe) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << name;
  out << YAML::Key << "image" << YAML::Value << plan.image;
  out << YAML::Key << "imagePullPolicy" << YAML::Value << "IfNotPresent";
  if (!argv.empty()) out << YAML::Key << "command" << YAML::Value << YAML::Flow << argv;
  emit_env(out, plan, port);
  out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap << YAML::Key << "capabilities"
      << YAML::Value << YAML::BeginMap << YAML::Key << "drop" << YAML::Value << YAML::Flow << YAML::BeginSeq
      << "NET_RAW" << "SYS_CHROOT" << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  if (port) {
    out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    out << YAML::Key << "containerPort" << YAML::Value << *port;
    if (host_port) {
      out << YAML::Key << "hostPort" << YAML::Value << *host_port;
      out << YAML::Key << "hostIP" << YAML::Value << "127.0.0.1";
    }
    out << YAML::EndMap << YAML::EndSeq;
  }
  if (probe && port) {
    out << YAML::Key << "readinessProbe" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "httpGet" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value
        << probe->path << YAML::Key << "port" << YAML::Value << *port << YAML::EndMap;
    out << YAML::Key << "timeoutSeconds" << YAML::Value << probe->timeout.count();
    out << YAML::Key << "periodSeconds" << YAML::Value << 1;
    out << YAML::Key << "failureThreshold" << YAML::Value << probe->attempts;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

}  // namespace

std::string object_name(const release::ReleasePlan& plan, const std::string& part) {
  return plan.app + "-" + plan.env + "-" + part;
}

std::string render_deployment(const release::ReleasePlan& plan, const release::Service& service,
                              const Placement& placement) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "apps/v1";
  out << YAML::Key << "kind" << YAML::Value << "Deployment";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << placement.name;
  emit_labels(out, plan, service.name);
  out << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "replicas" << YAML::Value << placement.replicas;
  out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap << YAML::Key << "matchLabels" << YAML::Value
      << YAML::BeginMap << YAML::Key << "app.kubernetes.io/name" << YAML::Value << object_name(plan, service.name)
      << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  emit_labels(out, plan, service.name);
  out << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "hostUsers" << YAML::Value << false;
  out << YAML::Key << "restartPolicy" << YAML::Value << "Always";
  out << YAML::Key << "terminationGracePeriodSeconds" << YAML::Value << 5;
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq;
  emit_container(out, plan, service.name, service.argv, placement.port, placement.host_port,
                 service.is_web() ? &service.healthcheck : nullptr);
  out << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string render_predeploy_job(const release::ReleasePlan& plan) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "batch/v1";
  out << YAML::Key << "kind" << YAML::Value << "Job";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << object_name(plan, "predeploy-v" + std::to_string(plan.version));
  emit_labels(out, plan, "predeploy");
  out << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "backoffLimit" << YAML::Value << 0;
  out << YAML::Key << "activeDeadlineSeconds" << YAML::Value << plan.predeploy_timeout.count();
  out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;  // the network policy selects it
  emit_labels(out, plan, "predeploy");
  out << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "hostUsers" << YAML::Value << false;
  out << YAML::Key << "restartPolicy" << YAML::Value << "Never";
  out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq;
  emit_container(out, plan, "predeploy", plan.predeploy, std::nullopt, std::nullopt, nullptr);
  out << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string render_network_policy(const release::ReleasePlan& plan) {
  YAML::Emitter out;
  auto same_environment = [&] {
    out << YAML::BeginMap << YAML::Key << "matchLabels" << YAML::Value << YAML::BeginMap << YAML::Key << "porter.app"
        << YAML::Value << plan.app << YAML::Key << "porter.env" << YAML::Value << plan.env << YAML::EndMap
        << YAML::EndMap;
  };
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "networking.k8s.io/v1";
  out << YAML::Key << "kind" << YAML::Value << "NetworkPolicy";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << object_name(plan, "isolation");
  out << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "podSelector" << YAML::Value;
  same_environment();
  out << YAML::Key << "policyTypes" << YAML::Value << YAML::Flow << YAML::BeginSeq << "Ingress" << "Egress"
      << YAML::EndSeq;
  // In: the environment's own pods, and the ingress controller's namespace.
  out << YAML::Key << "ingress" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "from"
      << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "podSelector" << YAML::Value;
  same_environment();
  out << YAML::EndMap << YAML::BeginMap << YAML::Key << "namespaceSelector" << YAML::Value << YAML::BeginMap
      << YAML::Key << "matchLabels" << YAML::Value << YAML::BeginMap << YAML::Key << kIngressNamespaceLabel
      << YAML::Value << "true" << YAML::EndMap << YAML::EndMap << YAML::EndMap << YAML::EndSeq << YAML::EndMap
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
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string render_cluster_manifests(const release::ReleasePlan& plan) {
  std::string manifests = "---\n" + render_network_policy(plan);
  if (!plan.predeploy.empty()) manifests += "---\n" + render_predeploy_job(plan);
  for (const auto& service : plan.services) {
    Placement placement{object_name(plan, service.name), service.replicas, std::nullopt, std::nullopt};
    if (service.is_web()) placement.port = service.port.value_or(kDefaultContainerPort);
    manifests += "---\n" + render_deployment(plan, service, placement);
  }
  return manifests;
}

}  // namespace porter::cluster
