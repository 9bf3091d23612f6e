#include "git/repo_store.hpp"

#include <git2.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "porter/pre_receive_shim.hpp"
#include "util/file.hpp"

namespace porter::git {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using RepoPtr = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using OdbPtr = std::unique_ptr<git_odb, Deleter<git_odb, git_odb_free>>;
using CommitPtr = std::unique_ptr<git_commit, Deleter<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;

std::unexpected<Error> last_error(const std::string& what) {
  const git_error* error = git_error_last();
  return fail(what + ": " + (error && error->message ? error->message : "unknown libgit2 error"));
}

Result<> write_hook(const std::filesystem::path& repo_dir) {
  const auto hook = repo_dir / "hooks" / "pre-receive";
  std::filesystem::create_directories(hook.parent_path());
  if (util::read_file(hook) == hooks::pre_receive_shim) return ok();
  const auto temp = hook.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << hooks::pre_receive_shim;
    if (!out) return fail("cannot write " + temp);
  }
  std::filesystem::permissions(temp, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                         std::filesystem::perms::group_exec);
  std::filesystem::rename(temp, hook);  // atomic: a concurrent push never sees half a hook
  return ok();
}

// The size of every file in `tree`, read from the objects' headers (no
// content is read); stops counting once past `limit`.
std::uint64_t tree_bytes(git_odb* odb, git_tree* tree, std::uint64_t limit) {
  struct Walk {
    git_odb* odb;
    std::uint64_t limit;
    std::uint64_t total = 0;
  } walk{odb, limit};
  git_tree_walk(
      tree, GIT_TREEWALK_PRE,
      [](const char*, const git_tree_entry* entry, void* payload) -> int {
        auto& state = *static_cast<Walk*>(payload);
        if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
        std::size_t size = 0;
        git_object_t type{};
        if (git_odb_read_header(&size, &type, state.odb, git_tree_entry_id(entry)) == 0) state.total += size;
        return state.total > state.limit ? -1 : 0;  // -1 ends the walk
      },
      &walk);
  return walk.total;
}

}  // namespace

bool RepoStore::exists(const std::string& app) const { return std::filesystem::exists(path_for(app) / "HEAD"); }

Result<> RepoStore::ensure(const std::string& app) const {
  const auto dir = path_for(app);
  if (!exists(app)) {
    git_repository* raw = nullptr;
    git_repository_init_options options = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    options.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
    options.initial_head = "main";
    if (git_repository_init_ext(&raw, dir.c_str(), &options) != 0) return last_error("creating repository");
    RepoPtr repo(raw);
  }
  try {
    return write_hook(dir);
  } catch (const std::filesystem::filesystem_error& e) {
    return fail(std::string("installing hook: ") + e.what());
  }
}

std::string resolve_ref(const std::filesystem::path& repo_dir, const std::string& ref) {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, repo_dir.c_str()) != 0) return "";
  RepoPtr repo(raw);
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo.get(), ref.c_str()) != 0) return "";
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  return hex;
}

Result<> checkout_commit(const std::filesystem::path& repo_dir, const Quarantine& quarantine,
                         const std::string& commit, const std::filesystem::path& target, std::uint64_t max_mb) {
  git_repository* raw_repo = nullptr;
  if (git_repository_open_bare(&raw_repo, repo_dir.c_str()) != 0) return last_error("opening repository");
  RepoPtr repo(raw_repo);

  // The pushed objects are still in quarantine: read them through alternates.
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo.get()) != 0) return last_error("opening object database");
  OdbPtr odb(raw_odb);
  if (!quarantine.object_directory.empty() &&
      git_odb_add_disk_alternate(odb.get(), quarantine.object_directory.c_str()) != 0)
    return last_error("adding quarantine objects");

  git_oid oid;
  if (git_oid_fromstr(&oid, commit.c_str()) != 0) return last_error("parsing commit id");
  git_commit* raw_commit = nullptr;
  if (git_commit_lookup(&raw_commit, repo.get(), &oid) != 0) return last_error("reading commit");
  CommitPtr commit_obj(raw_commit);
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, commit_obj.get()) != 0) return last_error("reading tree");
  TreePtr tree(raw_tree);
  const std::uint64_t max_bytes = max_mb * 1024 * 1024;
  if (max_mb > 0 && tree_bytes(odb.get(), tree.get(), max_bytes) > max_bytes)
    return fail("the pushed tree's files add up to more than " + std::to_string(max_mb) + " MB (limits.checkout_mb)");

  git_checkout_options options = GIT_CHECKOUT_OPTIONS_INIT;
  options.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
  const auto target_text = target.string();
  options.target_directory = target_text.c_str();
  if (git_checkout_tree(repo.get(), reinterpret_cast<git_object*>(tree.get()), &options) != 0)
    return last_error("checking out");
  return ok();
}

}  // namespace porter::git
