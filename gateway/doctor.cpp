#include "doctor.hpp"

#include <unistd.h>

#include <fstream>
#include <iostream>

#include "http/probe.hpp"
#include "proc/cgroup.hpp"
#include "proc/process.hpp"

namespace porter {
namespace {

constexpr auto kToolTimeout = std::chrono::seconds(20);

// The first line a command prints, or nothing if it failed.
std::optional<std::string> first_line(const std::string& program, std::vector<std::string> args) {
  std::string line;
  proc::CancelToken never;
  auto run = proc::run({.program = program, .args = std::move(args), .env = {}, .dir = {}},
                       [&](const std::string& text) { if (line.empty()) line = text; }, never, kToolTimeout);
  if (!run.ok()) return std::nullopt;
  return line;
}

Check tool(const std::string& name, std::vector<std::string> version_args, const std::string& fix) {
  auto version = first_line(name, std::move(version_args));
  return {name, version.has_value(), true, version ? *version : fix};
}

Check image(const std::string& name) {
  const bool found = first_line("buildah", {"inspect", "--type", "image", "--format", "{{.FromImageID}}", name}).has_value();
  return {std::string("image ") + name, found, true, found ? "present" : "missing: run scripts/setup"};
}

// podman looks for catatonit (the pause process of pods) beside its helpers and on PATH.
Check catatonit() {
  for (const char* path : {"/usr/libexec/podman/catatonit", "/usr/lib/podman/catatonit", "/usr/bin/catatonit"})
    if (::access(path, X_OK) == 0) return {"catatonit", true, true, path};
  return {"catatonit", false, true, "missing: apt-get install catatonit"};
}

Check registry(const config::GatewayConfig& config) {
  const auto& address = config.registry;
  if (address.empty()) return {"registry", true, false, "none configured: images stay local"};
  const auto host_port = config::parse_host_port(address);
  const auto status = host_port ? http::get_status(host_port->first, host_port->second, "/v2/", std::chrono::seconds(3))
                                : fail("not HOST:PORT");
  const auto url = "http://" + address + "/v2/";
  if (!status || *status >= 500)
    return {"registry", false, true, "nothing answers at " + url + ": start one (scripts/run does) or set registry: \"\""};
  if (*status != 401) return {"registry", true, true, url + " answers, without authentication"};
  if (std::filesystem::exists(config.registry_auth()))
    return {"registry", true, true, url + " answers; credentials in " + config.registry_auth().string()};
  return {"registry", false, true,
          url + " requires credentials: put them in " + config.registry_auth().string() + " (scripts/run does)"};
}

Check cgroups() {
  auto mount = proc::cgroup2_mount();
  if (!mount) return {"cgroup2", false, true, "no cgroup2 hierarchy mounted: builds could not be ended as a whole"};
  const bool hybrid = mount->string() != "/sys/fs/cgroup";
  return {"cgroup2", true, true, mount->string() + (hybrid ? " (hybrid host: cgroup v1 controllers)" : " (unified)")};
}

// Subordinate ids for user-namespaced containers (--userns=auto).
Check subuid() {
  for (const char* file : {"/etc/subuid", "/etc/subgid"}) {
    std::ifstream in(file);
    bool found = false;
    for (std::string line; std::getline(in, line);) found = found || line.starts_with("containers:");
    if (!found) return {"subuid", false, false, std::string("no 'containers' range in ") + file + ": run scripts/setup"};
  }
  return {"subuid", true, false, "containers ranges in /etc/subuid and /etc/subgid"};
}

// An environment released to Kubernetes: its cluster should answer through
// kubectl. Not essential: the other environments can deploy meanwhile.
Check cluster(const config::GatewayConfig& config, const std::string& env, const config::ClusterTarget& target) {
  std::vector<std::string> args = {"--kubeconfig", target.kubeconfig.string()};
  if (!target.context.empty()) args.insert(args.end(), {"--context", target.context});
  args.insert(args.end(), {"version", "--request-timeout=5s"});
  const auto name = "cluster of " + env;
  const auto lines =
      proc::output_of({.program = config.kubectl.string(), .args = args, .env = {}, .dir = {}}, kToolTimeout);
  if (lines)
    for (const auto& line : *lines)
      if (line.starts_with("Server Version: ")) return {name, true, false, "Kubernetes " + line.substr(16)};
  return {name, false, false,
          "no answer through " + config.kubectl.string() + " --kubeconfig " + target.kubeconfig.string() +
              ": pushes to " + env + " will fail until it answers"};
}

std::vector<Check> cluster_checks(const config::GatewayConfig& config) {
  std::vector<Check> checks;
  for (const auto& [env, target] : config.environments) {
    if (target.kind != config::ClusterTarget::Kind::kubernetes) continue;
    if (checks.empty())
      checks.push_back(tool(config.kubectl.string(), {"version", "--client"},
                            "missing: set kubectl: in gateway.yaml (scripts/test-cluster build makes one)"));
    checks.push_back(cluster(config, env, target));
  }
  return checks;
}

// What the local engine and every build need.
std::vector<Check> local_checks(const config::GatewayConfig& config) {
  return {tool("git", {"--version"}, "missing: apt-get install git"),
          tool("buildah", {"--version"}, "missing: apt-get install buildah"),
          tool("podman", {"--version"}, "missing: apt-get install podman"),
          tool("runc", {"--version"}, "missing: apt-get install runc (podman's runtime here)"),
          tool("iptables", {"--version"}, "missing: apt-get install iptables (keeps tenants off the host)"),
          catatonit(),
          tool("nginx", {"-v"}, "missing: apt-get install nginx-light"),
          registry(config),
          image(kBaseImages[0]),
          image(kBaseImages[2]),
          cgroups(),
          subuid()};
}

}  // namespace

std::vector<Check> run_checks(const config::GatewayConfig& config) {
  auto checks = local_checks(config);
  auto clusters = cluster_checks(config);
  checks.insert(checks.end(), clusters.begin(), clusters.end());
  return checks;
}

int run_doctor(const config::GatewayConfig& config) {
  int missing = 0;
  for (const auto& check : run_checks(config)) {
    const char* mark = check.ok ? "ok  " : check.essential ? "FAIL" : "warn";
    std::cout << mark << "  " << check.name << ": " << check.detail << "\n";
    if (!check.ok && check.essential) ++missing;
  }
  std::cout << (missing ? std::to_string(missing) + " essential part(s) missing\n" : "all essential parts present\n");
  return missing ? 1 : 0;
}

}  // namespace porter
