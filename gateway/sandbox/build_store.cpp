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

// The id of `image` in one store; empty if the store has no such image.
std::string image_id(std::vector<std::string> store, const std::string& image) {
  store.insert(store.end(), {"inspect", "--type", "image", "--format", "{{.FromImageID}}", image});
  std::string id;
  proc::CancelToken never;
  auto run = proc::run({.program = "buildah", .args = std::move(store), .env = {}, .dir = {}},
                       [&](const std::string& line) { id = line; }, never, std::chrono::seconds(60));
  return run.ok() ? id : std::string();
}

// "driver@graphroot+runroot" of the engine's store, as containers-storage: names stores.
std::string engine_store() {
  std::string store;
  proc::CancelToken never;
  proc::run({.program = "podman",
             .args = {"info", "--format", "{{.Store.GraphDriverName}}@{{.Store.GraphRoot}}+{{.Store.RunRoot}}"},
             .env = {},
             .dir = {}},
            [&](const std::string& line) { store = line; }, never, std::chrono::seconds(60));
  return store;
}

Result<> copy_image(const std::string& image) {
  auto args = build_store_args();
  args.insert(args.end(), {"pull", "--quiet", "containers-storage:[" + engine_store() + "]" + image});
  std::string last;
  proc::CancelToken never;
  auto run = proc::run({.program = "buildah", .args = std::move(args), .env = {}, .dir = {}},
                       [&](const std::string& line) { last = line; }, never, kCopyTimeout);
  if (!run.ok()) return fail("cannot copy " + image + " into the build store: " + last);
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
