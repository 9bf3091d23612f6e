#pragma once
// Test support: a bare repository made with the git CLI, and commits written
// either into it or into a separate object directory, the way receive-pack
// keeps a push in quarantine until its pre-receive hook accepts it.
#include <atomic>
#include <filesystem>
#include <map>
#include <string>

#include "support/temp_dir.hpp"

namespace porter::test {

struct File {
  std::string content;
  bool executable = false;
};
using Files = std::map<std::string, File>;  // path in the tree -> file

// The environment every fixture git command runs with: no user or system
// config, a fixed identity.
inline std::string git_env() {
  return "GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME=Porter GIT_AUTHOR_EMAIL=porter@test "
         "GIT_COMMITTER_NAME=Porter GIT_COMMITTER_EMAIL=porter@test ";
}

class BareRepo {
 public:
  explicit BareRepo(fs::path dir) : dir_(std::move(dir)) {
    shell_ok(git_env() + "git init -q --bare -b main " + quote(dir_.string()));
  }

  const fs::path& dir() const { return dir_; }
  fs::path objects() const { return dir_ / "objects"; }

  // An empty object directory inside the repository's, named like git's own
  // quarantine; what is written there is not in the repository.
  fs::path new_quarantine(const std::string& name = "incoming-test") const {
    auto dir = objects() / ("tmp_objdir-" + name);
    fs::create_directories(dir);
    return dir;
  }

  // Commits exactly `files` (on top of `parent` if given) and returns the
  // commit's sha. Its new objects go to `object_dir`, by default the
  // repository's own; the repository's objects stay readable either way.
  std::string commit(const Files& files, const std::string& parent = "", const fs::path& object_dir = {},
                     const std::string& message = "test commit") const {
    static std::atomic<int> counter{0};
    const auto n = std::to_string(counter++);
    const fs::path work = dir_.string() + ".work-" + n;
    const fs::path index = dir_.string() + ".index-" + n;
    fs::remove_all(work);
    fs::create_directories(work);
    for (const auto& [path, file] : files) write_file(work / path, file.content, file.executable);
    std::string env = git_env() + "GIT_DIR=" + quote(dir_.string()) + " GIT_WORK_TREE=" + quote(work.string()) +
                      " GIT_INDEX_FILE=" + quote(index.string()) + " ";
    if (!object_dir.empty())
      env += "GIT_OBJECT_DIRECTORY=" + quote(object_dir.string()) +
             " GIT_ALTERNATE_OBJECT_DIRECTORIES=" + quote(objects().string()) + " ";
    const auto parent_arg = parent.empty() ? std::string() : " -p " + parent;
    const auto sha = shell_ok("cd " + quote(work.string()) + " && " + env + "git add -A && tree=$(" + env +
                              "git write-tree) && " + env + "git commit-tree \"$tree\"" + parent_arg + " -m " +
                              quote(message));
    fs::remove_all(work);
    fs::remove(index);
    return sha;
  }

  void set_ref(const std::string& ref, const std::string& sha) const {
    shell_ok(git_env() + "git --git-dir=" + quote(dir_.string()) + " update-ref " + ref + " " + sha);
  }

  // Whether the repository itself (without any quarantine) has the object.
  bool has_object(const std::string& sha) const {
    return shell(git_env() + "git --git-dir=" + quote(dir_.string()) + " cat-file -e " + sha).exit_code == 0;
  }

 private:
  fs::path dir_;
};

inline const std::string kZeroSha(40, '0');

}  // namespace porter::test
