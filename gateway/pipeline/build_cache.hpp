#pragma once
// Build caches live in <data>/cache/<app>/<env>. They are kept between builds
// and evicted oldest-first (by last use) when they exceed the disk budget.
#include <cstdint>
#include <filesystem>

namespace porter::pipeline {

// Removes least recently used caches until the total is under budget; never
// the one in use. Returns the number of caches evicted.
int evict_caches(const std::filesystem::path& root, std::uint64_t budget_mb, const std::filesystem::path& in_use);

// Removes the caches of an app (all environments, or one).
void purge_cache(const std::filesystem::path& root, const std::string& app, const std::string& env);

}  // namespace porter::pipeline
