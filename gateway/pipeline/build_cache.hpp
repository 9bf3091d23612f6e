#pragma once
// What deploys keep on disk, within budgets. Build caches live in
// <sandbox>/cache/<app>/<env>, are kept between builds and evicted
// oldest-first (by last use) when they exceed theirs; deploy logs
// (<data>/logs/<id>.log) are removed oldest deploy first.
#include <cstdint>
#include <filesystem>

namespace porter::pipeline {

// Removes least recently used caches until the total is under budget; never
// the one in use. Returns the number of caches evicted.
int evict_caches(const std::filesystem::path& root, std::uint64_t budget_mb, const std::filesystem::path& in_use);

// Removes the oldest deploys' logs until the total is under budget; never
// the newest. Returns the number removed.
int evict_deploy_logs(const std::filesystem::path& logs_dir, std::uint64_t budget_mb);

// Removes the caches of an app (all environments, or one).
void purge_cache(const std::filesystem::path& root, const std::string& app, const std::string& env);

}  // namespace porter::pipeline
