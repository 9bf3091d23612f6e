#include "dockerfile_builder.hpp"

namespace porter::builders {

bool DockerfileBuilder::detect(const BuildRequest& request) const {
  return std::filesystem::is_regular_file(request.source_dir / request.app_config.build.dockerfile);
}

BuildResult DockerfileBuilder::build(const BuildRequest& request, const proc::LineSink& output,
                                     const proc::CancelToken& cancel) const {
  const auto& settings = request.app_config.build;
  proc::Command command{
      .program = "buildah",
      .args = {"bud", "--isolation", "chroot", "--layers", "--pull=never", "--tag", request.image, "--file",
               (request.source_dir / settings.dockerfile).string(), (request.source_dir / settings.context).string()},
      .env = {{"BUILDAH_ISOLATION", "chroot"}},
      .dir = request.source_dir,
  };
  auto run = proc::run(command, output, cancel, request.timeout);
  BuildResult result{.ok = run.ok(), .failure = {}, .last_lines = run.last_lines};
  if (!run.error.empty())
    result.failure = run.error;
  else if (run.timed_out)
    result.failure = "build timed out after " + std::to_string(request.timeout.count()) + " s";
  else if (run.cancelled)
    result.failure = "build cancelled";
  else if (run.exit_code != 0)
    result.failure = "build failed (buildah exit " + std::to_string(run.exit_code) + ")";
  return result;
}

}  // namespace porter::builders
