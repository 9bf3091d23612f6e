#pragma once
// How builders run buildah. Every buildah command of one build carries the
// build's tag: a --default-mounts-file path unique to it, which buildah
// records in every working container it makes (the intermediate ones of
// `bud` included), so that the containers a killed build leaves behind can be
// found and removed. buildah 1.28 cleans up by itself only when a RUN step is
// interrupted: killed while copying, committing or waiting on the storage
// lock, it leaves its working containers. The file is never created (no
// default mounts), and the tag does not affect the layer cache.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "builders/builder.hpp"

namespace porter::builders {

// The build's tag, under its work dir (so under <data>/builds/<deploy>/).
std::filesystem::path build_tag(const BuildRequest& request);

// A buildah command of the build: on the build store (sandbox/build_store.hpp),
// tagged, in the build's cgroup, with its temporary files in the build's work
// dir, its containers in the builds' user namespace.
proc::Command buildah_command(const BuildRequest& request, std::vector<std::string> args);

// What keeps the code a push brings from the host, for `bud` and `from`: its
// own user (see buildah_command), PID, IPC, UTS, mount and cgroup namespaces
// under runc, no CAP_SYS_CHROOT (the nested-chroot escape) nor CAP_NET_RAW,
// the build network (sandbox/network.hpp; the daemon makes it ready), and
// its containers' cgroups under the build's.
std::vector<std::string> isolation_args(const BuildRequest& request);

// Removes every buildah working container whose tag satisfies `matches`.
// Returns how many were removed.
int remove_tagged_containers(const std::function<bool(const std::filesystem::path& tag)>& matches);

// Held for the length of a build: when it goes, whatever the build left runs
// no more (its cgroup is emptied) and its working containers are removed,
// however the build ended.
class BuildCleanup {
 public:
  explicit BuildCleanup(const BuildRequest& request);
  ~BuildCleanup();
  BuildCleanup(const BuildCleanup&) = delete;
  BuildCleanup& operator=(const BuildCleanup&) = delete;

 private:
  const BuildRequest& request_;
};

}  // namespace porter::builders
