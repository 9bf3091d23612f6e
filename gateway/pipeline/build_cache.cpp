#include "pipeline/build_cache.hpp"

#include <algorithm>
#include <vector>

#include "util/log.hpp"

namespace porter::pipeline {
namespace fs = std::filesystem;
namespace {

std::uint64_t tree_size(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!ec && it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  }
  return total;
}

struct CacheEntry {
  fs::path dir;
  fs::file_time_type last_used;
  std::uint64_t size;
};

}  // namespace

int evict_caches(const fs::path& root, std::uint64_t budget_mb, const fs::path& in_use) {
  std::vector<CacheEntry> caches;
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& app : fs::directory_iterator(root, ec)) {
    for (const auto& env : fs::directory_iterator(app.path(), ec)) {
      auto size = tree_size(env.path());
      caches.push_back({env.path(), fs::last_write_time(env.path(), ec), size});
      total += size;
    }
  }
  std::sort(caches.begin(), caches.end(), [](const auto& a, const auto& b) { return a.last_used < b.last_used; });
  const std::uint64_t budget = budget_mb * 1024 * 1024;
  int evicted = 0;
  for (const auto& cache : caches) {
    if (total <= budget) break;
    if (cache.dir == in_use) continue;
    fs::remove_all(cache.dir, ec);
    total -= cache.size;
    ++evicted;
    util::logger("pipeline")->info("build cache evicted dir={} bytes={}", cache.dir.string(), cache.size);
  }
  return evicted;
}

int evict_deploy_logs(const fs::path& logs_dir, std::uint64_t budget_mb) {
  std::vector<std::pair<long long, fs::path>> logs;  // (deploy id, file)
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(logs_dir, ec)) {
    const auto& file = entry.path();
    if (file.extension() != ".log" || !entry.is_regular_file(ec)) continue;
    try {
      logs.emplace_back(std::stoll(file.stem().string()), file);
    } catch (const std::exception&) {
      continue;  // not a deploy's log
    }
    total += entry.file_size(ec);
  }
  std::sort(logs.begin(), logs.end());
  int removed = 0;
  const std::uint64_t budget = budget_mb * 1024 * 1024;
  for (std::size_t i = 0; i + 1 < logs.size() && total > budget; ++i) {
    const auto size = fs::file_size(logs[i].second, ec);
    if (fs::remove(logs[i].second, ec)) {
      total -= ec ? 0 : size;
      ++removed;
    }
  }
  if (removed > 0) util::logger("pipeline")->info("deploy logs evicted count={} dir={}", removed, logs_dir.string());
  return removed;
}

void purge_cache(const fs::path& root, const std::string& app, const std::string& env) {
  std::error_code ec;
  fs::remove_all(env.empty() ? root / app : root / app / env, ec);
}

}  // namespace porter::pipeline
