#include "proc/cgroup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "proc/fd.hpp"
#include "util/clock.hpp"
#include "util/log.hpp"

namespace porter::proc {
namespace {

namespace fs = std::filesystem;
constexpr std::chrono::seconds kDrainTimeout{10};

bool is_cgroup2(const fs::path& dir) {
  struct statfs info {};
  return ::statfs(dir.c_str(), &info) == 0 && info.f_type == CGROUP2_SUPER_MAGIC;
}

bool populated(const fs::path& cgroup) {
  std::ifstream events(cgroup / "cgroup.events");
  for (std::string key, value; events >> key >> value;)
    if (key == "populated") return value == "1";
  return false;
}

// cgroup.events signals every change with POLLPRI: wait for "populated 0".
void wait_empty(const fs::path& cgroup, std::chrono::seconds timeout) {
  Fd events(::open((cgroup / "cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (events && populated(cgroup)) {
    const int left_ms = util::milliseconds_until(deadline);
    if (left_ms == 0) return;
    pollfd watch{events.get(), POLLPRI, 0};
    ::poll(&watch, 1, left_ms);
  }
}

// Children first: a cgroup with children cannot be removed.
void remove_tree(const fs::path& cgroup) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cgroup, ec))
    if (entry.is_directory()) remove_tree(entry.path());
  ::rmdir(cgroup.c_str());
}

}  // namespace

std::optional<fs::path> cgroup2_mount() {
  for (const fs::path candidate : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"})
    if (is_cgroup2(candidate)) return candidate;
  return std::nullopt;
}

Result<fs::path> jobs_cgroup_root(const fs::path& data_dir) {
  const auto mount = cgroup2_mount();
  if (!mount) return fail("no cgroup2 hierarchy is mounted (looked at /sys/fs/cgroup/unified and /sys/fs/cgroup)");
  std::ostringstream name;
  name << std::hex << std::hash<std::string>{}(fs::weakly_canonical(data_dir).string());
  const auto root = *mount / "porter" / name.str();
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return fail("cannot create the cgroup " + root.string() + ": " + ec.message());
  return root;
}

void kill_cgroup(const fs::path& cgroup) { std::ofstream(cgroup / "cgroup.kill") << "1"; }

void end_cgroup_processes(const fs::path& cgroup) {
  if (!populated(cgroup)) return;
  kill_cgroup(cgroup);
  wait_empty(cgroup, kDrainTimeout);
}

Result<JobCgroup> JobCgroup::create(const fs::path& root, const std::string& name) {
  const auto dir = root / name;
  remove_tree(dir);  // a leftover of the same name would be empty or killed already
  if (::mkdir(dir.c_str(), 0755) != 0)
    return fail("cannot create the cgroup " + dir.string() + ": " + std::strerror(errno));
  return JobCgroup(dir);
}

JobCgroup::~JobCgroup() {
  if (dir_.empty()) return;
  end_cgroup_processes(dir_);
  remove_tree(dir_);
}

int end_leftover_jobs(const fs::path& root) {
  int ended = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    if (populated(entry.path())) {
      util::logger("proc")->warn("ending processes left by a previous run cgroup={}", entry.path().string());
      end_cgroup_processes(entry.path());
      ++ended;
    }
    remove_tree(entry.path());
  }
  return ended;
}

}  // namespace porter::proc
