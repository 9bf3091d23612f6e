#pragma once
// Job cgroups on the cgroup2 hierarchy (/sys/fs/cgroup/unified on these
// hybrid hosts). A job's processes run in its cgroup whatever process groups
// or sessions they make, so the whole tree can be ended at once
// (cgroup.kill) and waited for (cgroup.events), also by the next gateway
// after a crash: each gateway keeps its jobs under a directory of its own.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "util/result.hpp"

namespace porter::proc {

// Where cgroup2 is mounted, if anywhere.
std::optional<std::filesystem::path> cgroup2_mount();

// The parent of every job cgroup of the gateway whose data lives in
// `data_dir`: <mount>/porter/<hash of data_dir>. Created if needed.
Result<std::filesystem::path> jobs_cgroup_root(const std::filesystem::path& data_dir);

// Kills every process in the cgroup and its children.
void kill_cgroup(const std::filesystem::path& cgroup);

// Kills what runs in the cgroup, if anything, and waits (bounded) until it is gone.
void end_cgroup_processes(const std::filesystem::path& cgroup);

// One job's cgroup: created empty, and on destruction its processes are
// killed, waited for and the cgroup removed.
class JobCgroup {
 public:
  static Result<JobCgroup> create(const std::filesystem::path& root, const std::string& name);
  JobCgroup(JobCgroup&& other) noexcept : dir_(std::exchange(other.dir_, {})) {}
  JobCgroup& operator=(JobCgroup&&) = delete;
  ~JobCgroup();

  const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit JobCgroup(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

// Kills and removes every job cgroup under `root` (what a crashed gateway
// left running). Returns how many held processes.
int end_leftover_jobs(const std::filesystem::path& root);

}  // namespace porter::proc
