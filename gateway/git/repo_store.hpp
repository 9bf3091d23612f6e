#pragma once
// One bare repository per app under <data>/repos, each with the porter
// pre-receive shim installed.
#include <cstdint>
#include <filesystem>
#include <string>

#include "util/result.hpp"

namespace porter::git {

class RepoStore {
 public:
  explicit RepoStore(std::filesystem::path root) : root_(std::move(root)) {}

  std::filesystem::path path_for(const std::string& app) const { return root_ / (app + ".git"); }
  bool exists(const std::string& app) const;
  // Creates the bare repo if needed and (re)writes its hook.
  Result<> ensure(const std::string& app) const;

 private:
  std::filesystem::path root_;
};

// The sha a ref points to now ("" if it does not exist).
std::string resolve_ref(const std::filesystem::path& repo_dir, const std::string& ref);

// Where a push's objects are while pre-receive runs (GIT_OBJECT_DIRECTORY);
// the repository's own objects are its alternate.
struct Quarantine {
  std::string object_directory;
};

// Writes the tree of `commit` into `target` (which must exist and be empty),
// unless its files add up to more than `max_mb` MiB (0: no limit): a pushed
// tree must not fill the disk, and is measured before anything is written.
Result<> checkout_commit(const std::filesystem::path& repo_dir, const Quarantine& quarantine,
                         const std::string& commit, const std::filesystem::path& target, std::uint64_t max_mb);

}  // namespace porter::git
