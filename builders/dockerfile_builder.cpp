#include "builders/dockerfile_builder.hpp"

#include "builders/buildah.hpp"
#include "util/beneath.hpp"
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
  std::vector<std::string> args = {"bud", "--layers", "--force-rm", "--pull=never", "--tag", request.image,
                                   "--file", (request.source_dir / settings.dockerfile).string()};
  const auto isolation = isolation_args(request);
  args.insert(args.end(), isolation.begin(), isolation.end());
  // porter.yaml's build args are part of the repository, not secrets.
  for (const auto& [name, value] : settings.args) args.insert(args.end(), {"--build-arg", name + "=" + value});
  auto secrets = secret_args(request);
  if (!secrets) return std::unexpected(secrets.error());
  args.insert(args.end(), secrets->begin(), secrets->end());
  args.push_back((request.source_dir / settings.context).string());
  return buildah_command(request, std::move(args));
}

// A file buildah reads by itself if present (an ignore file): a regular file
// or nothing.
Result<> check_optional_file(const std::filesystem::path& root, const std::filesystem::path& relative) {
  auto kind = util::entry_kind_beneath(root, relative);
  if (!kind) return std::unexpected(kind.error());
  if (*kind == util::EntryKind::missing) return ok();
  return util::check_regular_file_beneath(root, relative);
}

// What buildah reads is the checkout's own: the Dockerfile and the context
// are reached through no symbolic link (a `ctx -> /` would hand it the host),
// and no .in Dockerfile reaches the host's preprocessor.
Result<> check_sources(const BuildRequest& request) {
  const auto& settings = request.app_config.build;
  if (settings.dockerfile.ends_with(".in"))
    return fail(settings.dockerfile + " is not supported: buildah would run the host's C preprocessor on it");
  if (auto file = util::check_regular_file_beneath(request.source_dir, settings.dockerfile); !file) return file;
  if (auto context = util::check_directory_beneath(request.source_dir, settings.context); !context)
    return fail("build.context: " + context.error().message);
  for (const char* ignore : {".containerignore", ".dockerignore"})
    if (auto checked = check_optional_file(request.source_dir, std::filesystem::path(settings.context) / ignore);
        !checked)
      return checked;
  return ok();
}

}  // namespace

// Anything named like the Dockerfile but a directory is ours, so that build()
// refuses it with its line: a symlinked Dockerfile never falls back to buildpacks.
bool DockerfileBuilder::detect(const BuildRequest& request) const {
  auto kind = util::entry_kind_beneath(request.source_dir, request.app_config.build.dockerfile);
  return !kind || (*kind != util::EntryKind::missing && *kind != util::EntryKind::directory);
}

Result<Build> DockerfileBuilder::build(const BuildRequest& request, const proc::LineSink& output,
                                       const proc::CancelToken& cancel) const {
  if (auto checked = check_sources(request); !checked) return std::unexpected(checked.error());
  auto processes = read_procfile(request.source_dir);
  if (!processes) return std::unexpected(processes.error());
  Build build{.processes = std::move(*processes), .shell = {"/bin/sh", "-c"}, .image_has_command = true};

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
