#include "builders/dockerfile_builder.hpp"

#include "builders/buildah.hpp"
#include "util/file.hpp"

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

// The one line that says how `buildah bud` ended.
Result<> outcome(const proc::RunResult& run, std::chrono::seconds timeout) {
  if (!run.error.empty()) return fail(run.error);
  if (run.timed_out) return fail("build timed out after " + std::to_string(timeout.count()) + " s");
  if (run.cancelled) return fail("build cancelled");
  if (run.exit_code != 0)
    // buildah's last line names the failing step: Error: building at STEP "RUN ...": exit status 1
    return fail(run.last_lines.empty() ? "build failed (buildah exit " + std::to_string(run.exit_code) + ")"
                                       : "build failed: " + run.last_lines.back());
  return ok();
}

// Config vars exposed to the build are secrets: each is a private file that
// buildah mounts at /run/secrets/NAME into the RUN steps that ask for it
// (RUN --mount=type=secret,id=NAME), never on a command line (/proc/*/cmdline)
// and never in a layer or the image's history.
Result<std::vector<std::string>> secret_args(const BuildRequest& request) {
  std::vector<std::string> args;
  for (const auto& [name, value] : request.build_env) {
    const auto file = request.work_dir / "secrets" / name;
    if (!util::write_private_file(file, value)) return fail("cannot write the build secret " + name);
    args.insert(args.end(), {"--secret", "id=" + name + ",src=" + file.string()});
  }
  return args;
}

Result<proc::Command> buildah_bud(const BuildRequest& request) {
  const auto& settings = request.app_config.build;
  std::vector<std::string> args = {"bud", "--isolation", "chroot", "--layers", "--force-rm", "--pull=never",
                                   "--tag", request.image,
                                   "--file", (request.source_dir / settings.dockerfile).string()};
  // porter.yaml's build args are part of the repository, not secrets.
  for (const auto& [name, value] : settings.args) args.insert(args.end(), {"--build-arg", name + "=" + value});
  auto secrets = secret_args(request);
  if (!secrets) return std::unexpected(secrets.error());
  args.insert(args.end(), secrets->begin(), secrets->end());
  args.push_back((request.source_dir / settings.context).string());
  return buildah_command(request, std::move(args));
}

}  // namespace

bool DockerfileBuilder::detect(const BuildRequest& request) const {
  return std::filesystem::is_regular_file(request.source_dir / request.app_config.build.dockerfile);
}

Result<Build> DockerfileBuilder::build(const BuildRequest& request, const proc::LineSink& output,
                                       const proc::CancelToken& cancel) const {
  Build build{.processes = {}, .shell = {"/bin/sh", "-c"}, .image_has_command = true};
  const auto procfile = request.source_dir / "Procfile";
  if (std::filesystem::exists(procfile)) {
    auto parsed = parse_procfile(util::read_file(procfile));
    if (!parsed) return std::unexpected(parsed.error());
    build.processes = std::move(*parsed);
  }

  const BuildCleanup cleanup(request);
  const auto command = buildah_bud(request);
  if (!command) return std::unexpected(command.error());
  auto run = proc::run(*command, output, cancel, request.timeout);
  if (lost_a_layer(run)) {
    output("-----> buildah lost a cached layer to a concurrent image removal; building again");
    run = proc::run(*command, output, cancel, request.timeout);
  }
  if (auto built = outcome(run, request.timeout); !built) return std::unexpected(built.error());
  return build;
}

}  // namespace porter::builders
