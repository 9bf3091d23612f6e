#include "cluster/podman_driver.hpp"

namespace porter::cluster {
namespace {

constexpr std::chrono::seconds kPodmanTimeout{120};

}  // namespace

std::string container_name(const ReleaseSpec& spec) {
  return "porter-" + spec.app + "-" + spec.env + "-" + std::to_string(spec.deploy_id);
}

StartResult PodmanDriver::start(const ReleaseSpec& spec, const proc::LineSink& output,
                                const proc::CancelToken& cancel) {
  const auto name = container_name(spec);
  proc::Command command{
      .program = "podman",
      .args = {"run", "--detach", "--name", name, "--network", "host", "--label", "porter.app=" + spec.app,
               "--label", "porter.env=" + spec.env, "--label", "porter.deploy=" + std::to_string(spec.deploy_id),
               "--env", "PORT=" + std::to_string(spec.port), "--restart", "on-failure"},
      .env = {},
      .dir = {},
  };
  if (!spec.command.empty()) command.args.insert(command.args.end(), {"--entrypoint", spec.command.front()});
  command.args.push_back(spec.image);
  if (!spec.command.empty()) command.args.insert(command.args.end(), spec.command.begin() + 1, spec.command.end());
  auto run = proc::run(command, output, cancel, kPodmanTimeout);
  if (run.ok()) return StartResult{true, name, ""};
  stop(name, [](const std::string&) {});  // a half-created container must not linger
  auto detail = run.last_lines.empty() ? run.error : run.last_lines.back();
  return StartResult{false, "", "starting the container failed: " + detail};
}

void PodmanDriver::stop(const std::string& container, const proc::LineSink& output) {
  proc::CancelToken never;
  proc::run({.program = "podman", .args = {"rm", "--force", "--time", "5", container}, .env = {}, .dir = {}},
            output, never, kPodmanTimeout);
}

}  // namespace porter::cluster
