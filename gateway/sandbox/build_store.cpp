#include "sandbox/build_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "proc/process.hpp"

namespace porter::sandbox {
namespace {

namespace fs = std::filesystem;

const fs::path kGraphRoot = "/var/lib/porter/build-store";
const fs::path kRunRoot = "/run/porter/build-store";  // a tmpfs: emptied at boot
constexpr std::chrono::seconds kCopyTimeout{600};

// The last line `program` prints, or nothing if it failed.
std::optional<std::string> last_line(const std::string& program, std::vector<std::string> args,
                                     std::chrono::seconds timeout) {
  auto lines = proc::output_of({.program = program, .args = std::move(args), .env = {}, .dir = {}}, timeout);
  if (!lines || lines->empty()) return std::nullopt;
  return lines->back();
}

// The id of `image` in one store; empty if the store has no such image.
std::string image_id(std::vector<std::string> store, const std::string& image) {
  store.insert(store.end(), {"inspect", "--type", "image", "--format", "{{.FromImageID}}", image});
  return last_line("buildah", std::move(store), std::chrono::seconds(60)).value_or("");
}

Result<> copy_image(const std::string& image) {
  // "driver@graphroot+runroot" of the engine's store, as containers-storage: names stores.
  const auto engine = last_line(
      "podman", {"info", "--format", "{{.Store.GraphDriverName}}@{{.Store.GraphRoot}}+{{.Store.RunRoot}}"},
      std::chrono::seconds(60));
  auto args = build_store_args();
  const auto map = build_id_map_args();
  args.insert(args.end(), map.begin(), map.end());
  args.insert(args.end(), {"pull", "--quiet", "containers-storage:[" + engine.value_or("") + "]" + image});
  if (!proc::output_of({.program = "buildah", .args = std::move(args), .env = {}, .dir = {}}, kCopyTimeout))
    return fail("cannot copy " + image + " into the build store");
  return ok();
}

}  // namespace

Result<> prepare_sandbox_dir(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  for (auto parent = dir.parent_path(); !error && parent != parent.root_path(); parent = parent.parent_path())
    fs::permissions(parent, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, error);
  if (error || ::chown(dir.c_str(), 0, kBuildIdBase) != 0 || ::chmod(dir.c_str(), 02710) != 0)
    return fail("cannot prepare " + dir.string() + " for builds");
  return ok();
}

std::vector<std::string> build_store_args() {
  return {"--root", kGraphRoot.string(), "--runroot", kRunRoot.string(), "--storage-driver", "overlay"};
}

std::vector<std::string> build_id_map_args() {
  const auto map = "0:" + std::to_string(kBuildIdBase) + ":" + std::to_string(kBuildIdCount);
  return {"--userns-uid-map", map, "--userns-gid-map", map};
}

Result<std::vector<std::string>> prepare_build_store(const std::vector<std::string>& images) {
  // c/storage caches its probe of the kernel here; the answer must be "no".
  std::error_code error;
  fs::create_directories(kRunRoot / "overlay", error);
  std::ofstream(kRunRoot / "overlay" / "idmapped-lower-dir-false");
  if (!fs::exists(kRunRoot / "overlay" / "idmapped-lower-dir-false"))
    return fail("cannot prepare the build store under " + kRunRoot.string());
  std::vector<std::string> copied;
  for (const auto& image : images) {
    const auto wanted = image_id({}, image);
    if (wanted.empty() || image_id(build_store_args(), image) == wanted) continue;
    if (auto done = copy_image(image); !done) return std::unexpected(done.error());
    copied.push_back(image);
  }
  return copied;
}

}  // namespace porter::sandbox
