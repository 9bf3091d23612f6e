#pragma once
// Builds run in a container store of Porter's own, apart from the engine's
// (where podman keeps the images apps run from). On the engine's store
// c/storage uses idmapped lower layers, which runc 1.1.5 cannot map: under a
// user namespace `/` would not be writable. This store is told, before its
// first use, that the kernel has no idmapped lower layers, and then keeps a
// copy of each base image owned by the builds' uid range.
//
// scripts/make-base-image and make-stack-image make the base images in the
// engine's store; the gateway copies them here when it starts.
// A build's root is host uid kBuildIdBase.
#include <filesystem>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace porter::sandbox {

// Root in a build is this host uid (and gid), its 65536 ids those above it.
// One range for every build (see build_id_map_args). It lies outside the
// `containers` subordinate ids podman hands out.
inline constexpr long kBuildIdBase = 2'000'000'000;
inline constexpr long kBuildIdCount = 65'536;

// Makes `dir` a place for builds' files: the mounts a build container gets
// must be reachable by its root, a host uid that reaches nothing else. `dir`
// is root's, with the builds' group and mode 2710 (what is made in it
// inherits the group); its parents are searchable.
Result<> prepare_sandbox_dir(const std::filesystem::path& dir);

// Global buildah/podman flags that select the build store.
std::vector<std::string> build_store_args();

// Global buildah flags that map a build's ids to kBuildIdBase and up. The
// store keeps its layers in that mapping (on disk they belong to
// kBuildIdBase...), so a step's container needs no chowned copy of its
// image: every buildah call that writes the store gives them.
std::vector<std::string> build_id_map_args();

// Readies the store and copies into it each of `images` (names in the
// engine's store) that it lacks or holds an older version of. Returns the
// names copied.
Result<std::vector<std::string>> prepare_build_store(const std::vector<std::string>& images);

}  // namespace porter::sandbox
