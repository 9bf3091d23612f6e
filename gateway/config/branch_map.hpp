#pragma once
// Which pushed branch deploys to which environment. Lives on the server, never
// in the pushed repo: a pusher must not point a branch at production.
#include <map>
#include <optional>
#include <string>

namespace porter::config {

class BranchMap {
 public:
  static BranchMap defaults();  // main->production, staging->staging, dev->development
  void set(const std::string& branch, const std::string& environment);
  // "refs/heads/main" -> "production"; nullopt for unmapped refs and non-branches.
  std::optional<std::string> environment_for(const std::string& ref) const;
  const std::map<std::string, std::string>& entries() const { return map_; }

 private:
  std::map<std::string, std::string> map_;
};

bool is_valid_environment_name(const std::string& name);

}  // namespace porter::config
