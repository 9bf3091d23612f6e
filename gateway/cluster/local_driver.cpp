#include "cluster/podman_driver.hpp"

#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "cluster/manifests.hpp"
#include "http/probe.hpp"

namespace porter::cluster {
namespace {

namespace fs = std::filesystem;
constexpr std::chrono::seconds kPodmanTimeout{600};  // kube play may pull a large image from the registry

// Manifests and env files hold config vars: owner-only, from creation on.
void write_private(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  const mode_t old_mask = ::umask(0077);
  std::ofstream(file, std::ios::trunc) << text;
  ::umask(old_mask);
}

proc::RunResult podman(std::vector<std::string> args, const proc::LineSink& output, const proc::CancelToken& cancel) {
  return proc::run({.program = "podman", .args = std::move(args), .env = {}, .dir = {}}, output, cancel,
                   kPodmanTimeout);
}

const proc::LineSink quiet = [](const std::string&) {};

}  // namespace

fs::path PodmanDriver::release_dir(const release::ReleasePlan& plan) const {
  return releases_dir_ / plan.app / plan.env / ("v" + std::to_string(plan.version));
}

fs::path PodmanDriver::manifest_file(const release::ReleasePlan& plan, const Replica& replica) const {
  return release_dir(plan) / (replica.service + "-" + std::to_string(replica.index) + ".yaml");
}

Placement PodmanDriver::placement(const release::ReleasePlan& plan, const release::Service& service,
                                  const Replica& replica) const {
  Placement placement{object_name(plan, "v" + std::to_string(plan.version) + "-" + service.name + "-" +
                                            std::to_string(replica.index)),
                      1, true, std::nullopt, std::nullopt};
  if (!service.is_web()) return placement;
  if (service.port) {  // a fixed port: own network namespace, published on a host port
    placement.host_network = false;
    placement.port = service.port;
    placement.host_port = replica.port;
  } else {
    placement.port = replica.port;
  }
  return placement;
}

// podman's own chatter (ids) stays out of the progress; its error lines do not.
bool PodmanDriver::play(const fs::path& manifest, const proc::LineSink& output, const proc::CancelToken& cancel) {
  auto result = podman({"kube", "play", "--quiet", manifest.string()}, quiet, cancel);
  if (!result.ok())
    for (const auto& line : result.last_lines) output(line);
  return result.ok();
}

proc::RunResult PodmanDriver::run_predeploy(const release::ReleasePlan& plan, const proc::LineSink& output,
                                            const proc::CancelToken& cancel) {
  const auto name = object_name(plan, "v" + std::to_string(plan.version) + "-predeploy");
  write_private(release_dir(plan) / "predeploy.yaml", render_predeploy_job(plan));
  std::string env_file;
  for (const auto& [key, value] : plan.config) env_file += key + "=" + value + "\n";
  const auto env_path = release_dir(plan) / "predeploy.env";
  write_private(env_path, env_file);
  // podman has no local Job runner: run the Job's container as a one-off.
  std::vector<std::string> args = {"run", "--rm", "--name", name, "--network", "host", "--env-file", env_path.string(),
                                   "--entrypoint", plan.predeploy.front(), plan.image};
  args.insert(args.end(), plan.predeploy.begin() + 1, plan.predeploy.end());
  auto result = proc::run({.program = "podman", .args = args, .env = {}, .dir = {}}, output, cancel,
                          plan.predeploy_timeout);
  fs::remove(env_path);
  if (!result.ok()) {
    proc::CancelToken never;
    podman({"rm", "--force", "--time", "0", name}, quiet, never);  // a killed client leaves the container
  }
  return result;
}

StartResult PodmanDriver::start(const release::ReleasePlan& plan, const proc::LineSink& output,
                                const proc::CancelToken& cancel) {
  StartResult result;
  write_private(release_dir(plan) / "kubernetes.yaml", render_cluster_manifests(plan));
  for (const auto& service : plan.services) {
    for (int index = 0; index < service.replicas; ++index) {
      Replica replica{service.name, index, "", service.is_web() ? http::free_port() : 0};
      const auto spec = placement(plan, service, replica);
      replica.pod = spec.name + "-pod-0";  // podman's name for a Deployment's pod
      const auto manifest = manifest_file(plan, replica);
      write_private(manifest, render_deployment(plan, service, spec));
      if (!play(manifest, output, cancel)) {
        stop(result.replicas);
        stop({replica});
        result.failure = cancel.cancelled() ? "cancelled" : "starting " + replica.pod + " failed";
        return result;
      }
      result.replicas.push_back(replica);
    }
  }
  result.ok = true;
  return result;
}

void PodmanDriver::stop(const std::vector<Replica>& replicas) {
  // Traffic has already moved away (the proxy drained), so a short grace will
  // do. `pod stop` then `pod rm` is far faster than `pod rm --force --time`,
  // and podman stops the pods one after the other: one podman per pod.
  std::vector<std::thread> stoppers;
  for (const auto& replica : replicas)
    stoppers.emplace_back([pod = replica.pod] {
      proc::CancelToken never;
      podman({"pod", "stop", "--ignore", "--time", "2", pod}, quiet, never);
      podman({"pod", "rm", "--force", "--ignore", pod}, quiet, never);
    });
  for (auto& stopper : stoppers) stopper.join();
}

bool PodmanDriver::is_running(const Replica& replica) {
  std::string state;
  proc::CancelToken never;
  podman({"pod", "inspect", "--format", "{{.State}}", replica.pod}, [&](const std::string& line) { state = line; },
         never);
  return state == "Running" || state == "Degraded";
}

bool PodmanDriver::restore(const release::ReleasePlan& plan, const Replica& replica) {
  proc::CancelToken never;
  stop({replica});
  return play(manifest_file(plan, replica), quiet, never);
}

}  // namespace porter::cluster
