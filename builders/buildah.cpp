#include "builders/buildah.hpp"

#include "proc/cgroup.hpp"
#include "sandbox/build_store.hpp"
#include "sandbox/network.hpp"

namespace porter::builders {
namespace {

namespace fs = std::filesystem;
// `buildah rm` waits for the storage lock, which a large commit holds for seconds.
constexpr std::chrono::seconds kRemoveTimeout{300};

std::vector<std::string> lines_of(const proc::Command& command) {
  return proc::output_of(command, kRemoveTimeout).value_or(std::vector<std::string>{});
}

proc::Command plain_buildah(std::vector<std::string> args) {
  auto all = sandbox::build_store_args();
  all.insert(all.end(), args.begin(), args.end());
  return {.program = "buildah", .args = std::move(all), .env = {}, .dir = {}};
}


}  // namespace

fs::path build_tag(const BuildRequest& request) { return request.work_dir / "buildah-mounts.conf"; }

proc::Command buildah_command(const BuildRequest& request, std::vector<std::string> args) {
  const auto tmp = request.work_dir / "tmp";
  fs::create_directories(tmp);
  const auto map = sandbox::build_id_map_args();
  args.insert(args.begin(), map.begin(), map.end());
  args.insert(args.begin(), {"--default-mounts-file", build_tag(request).string()});
  auto command = plain_buildah(std::move(args));
  command.env = {{"TMPDIR", tmp.string()}, {"BUILDAH_ISOLATION", "oci"}};
  command.dir = request.source_dir;
  command.cgroup = request.cgroup;
  return command;
}

std::vector<std::string> isolation_args(const BuildRequest& request) {
  std::vector<std::string> args = {"--pid", "private", "--ipc", "private", "--uts", "private",
                                   "--cgroupns", "private", "--cap-drop", "CAP_SYS_CHROOT", "--cap-drop",
                                   "CAP_NET_RAW", "--network", sandbox::kBuildNetwork};
  // runc takes the parent relative to the cgroup2 root; without it, it moves
  // the steps out of the build's cgroup.
  if (const auto root = proc::cgroup2_mount(); root && !request.cgroup.empty())
    args.insert(args.end(), {"--cgroup-parent", (request.cgroup.lexically_relative(*root) / "build").string()});
  return args;
}

int remove_tagged_containers(const std::function<bool(const fs::path& tag)>& matches) {
  int removed = 0;
  for (const auto& id : lines_of(plain_buildah({"containers", "--quiet", "--notruncate"}))) {
    const auto tag = lines_of(plain_buildah({"inspect", "--type", "container", "--format",
                                             "{{.DefaultMountsFilePath}}", id}));
    if (tag.empty() || !matches(tag.front())) continue;
    proc::CancelToken never;
    if (proc::run(plain_buildah({"rm", id}), [](const std::string&) {}, never, kRemoveTimeout).ok()) ++removed;
  }
  return removed;
}

BuildCleanup::BuildCleanup(const BuildRequest& request) : request_(request) {}

BuildCleanup::~BuildCleanup() {
  // Nothing of the build may still use a container when it is removed.
  if (!request_.cgroup.empty()) proc::end_cgroup_processes(request_.cgroup);
  const auto tag = build_tag(request_);
  remove_tagged_containers([&](const fs::path& found) { return found == tag; });
  sandbox::release_dead_build_leases();  // what a killed step still holds
}

}  // namespace porter::builders
