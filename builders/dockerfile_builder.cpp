#include "dockerfile_builder.hpp"
#include "util/file.hpp"

#include <fstream>
#include <sstream>

namespace porter::builders {
namespace {

// buildah 1.28 fails a --layers build when another process removes an image
// at that moment ("layer not known", containers/buildah#5674, fixed upstream
// later). The build itself is fine: one retry is enough.
bool lost_a_layer(const proc::RunResult& run) {
  if (run.ok() || run.cancelled || run.timed_out) return false;
  for (const auto& line : run.last_lines)
    if (line.find("layer not known") != std::string::npos) return true;
  return false;
}

}  // namespace

bool DockerfileBuilder::detect(const BuildRequest& request) const {
  return std::filesystem::is_regular_file(request.source_dir / request.app_config.build.dockerfile);
}

BuildResult DockerfileBuilder::build(const BuildRequest& request, const proc::LineSink& output,
                                     const proc::CancelToken& cancel) const {
  BuildResult result;
  const auto procfile = request.source_dir / "Procfile";
  if (std::filesystem::exists(procfile)) {
    auto parsed = parse_procfile(util::read_file(procfile));
    if (auto* error = std::get_if<ParseError>(&parsed)) {
      result.failure = error->message;
      return result;
    }
    result.processes = std::get<ProcessTypes>(parsed);
  }
  result.shell = {"/bin/sh", "-c"};
  result.image_has_command = true;

  const auto& settings = request.app_config.build;
  // --force-rm: a failed or killed build must not leave its working container.
  std::vector<std::string> args = {"bud", "--isolation", "chroot", "--layers", "--force-rm", "--pull=never",
                                   "--tag", request.image,
                                   "--file", (request.source_dir / settings.dockerfile).string()};
  // Values come from porter.yaml, then from the environment's exposed config vars.
  for (const auto& [name, value] : settings.args) args.insert(args.end(), {"--build-arg", name + "=" + value});
  for (const auto& [name, value] : request.build_env) args.insert(args.end(), {"--build-arg", name + "=" + value});
  args.push_back((request.source_dir / settings.context).string());
  const proc::Command command{.program = "buildah", .args = args, .env = {}, .dir = request.source_dir};
  auto run = proc::run(command, output, cancel, request.timeout);
  if (lost_a_layer(run)) {
    output("-----> buildah lost a cached layer to a concurrent image removal; building again");
    run = proc::run(command, output, cancel, request.timeout);
  }
  result.ok = run.ok();
  result.last_lines = run.last_lines;
  if (!run.error.empty())
    result.failure = run.error;
  else if (run.timed_out)
    result.failure = "build timed out after " + std::to_string(request.timeout.count()) + " s";
  else if (run.cancelled)
    result.failure = "build cancelled";
  else if (run.exit_code != 0)
    // buildah's last line names the failing step: Error: building at STEP "RUN ...": exit status 1
    result.failure = run.last_lines.empty() ? "build failed (buildah exit " + std::to_string(run.exit_code) + ")"
                                            : "build failed: " + run.last_lines.back();
  return result;
}

}  // namespace porter::builders
