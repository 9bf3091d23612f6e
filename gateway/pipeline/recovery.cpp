#include "pipeline/recovery.hpp"

#include "builders/buildah.hpp"
#include "proc/cgroup.hpp"
#include "util/log.hpp"

namespace porter::pipeline {

Recovered recover_interrupted_deploys(const config::GatewayConfig& config, const std::filesystem::path& jobs_cgroup,
                                      state::Store& store) {
  Recovered recovered;
  // Processes first: nothing may still write into what is removed next.
  recovered.process_trees = proc::end_leftover_jobs(jobs_cgroup);
  // Builds are tagged with a path in their build dir (builders/buildah.hpp).
  const auto builds = config.builds_dir().string() + "/";
  recovered.containers = builders::remove_tagged_containers(
      [&](const std::filesystem::path& tag) { return tag.string().starts_with(builds); });
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(config.builds_dir(), ec)) {
    std::filesystem::remove_all(entry.path(), ec);
    ++recovered.build_dirs;
  }
  recovered.deploys = store.mark_unfinished_interrupted();
  if (recovered.process_trees || recovered.containers || recovered.build_dirs || recovered.deploys)
    util::logger("pipeline")->warn(
        "cleaned up after the previous run: deploys_interrupted={} process_trees={} containers={} build_dirs={}",
        recovered.deploys, recovered.process_trees, recovered.containers, recovered.build_dirs);
  return recovered;
}

}  // namespace porter::pipeline
