#include "config/branch_map.hpp"

#include <regex>

namespace porter::config {

BranchMap BranchMap::defaults() {
  BranchMap map;
  map.set("main", "production");
  map.set("staging", "staging");
  map.set("dev", "development");
  return map;
}

void BranchMap::set(const std::string& branch, const std::string& environment) { map_[branch] = environment; }

std::optional<std::string> BranchMap::environment_for(const std::string& ref) const {
  static const std::string prefix = "refs/heads/";
  if (!ref.starts_with(prefix)) return std::nullopt;
  auto it = map_.find(ref.substr(prefix.size()));
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

bool is_valid_environment_name(const std::string& name) {
  static const std::regex pattern("[a-z][a-z0-9-]{0,30}");
  return std::regex_match(name, pattern);
}

}  // namespace porter::config
