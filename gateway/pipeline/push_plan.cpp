#include "pipeline/push_plan.hpp"

#include <algorithm>
#include <regex>

namespace porter::pipeline {
namespace {

bool is_zero_sha(const std::string& sha) { return sha.find_first_not_of('0') == std::string::npos; }

}  // namespace

bool RefUpdate::is_create() const { return is_zero_sha(old_sha); }
bool RefUpdate::is_delete() const { return is_zero_sha(new_sha); }

std::string RefUpdate::short_name() const {
  for (const char* prefix : {"refs/heads/", "refs/tags/"})
    if (ref.starts_with(prefix)) return ref.substr(std::string(prefix).size());
  return ref;
}

std::optional<RefUpdate> parse_ref_update(const std::string& line) {
  static const std::regex pattern("([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs/\\S+)");
  std::smatch match;
  if (!std::regex_match(line, match, pattern)) return std::nullopt;
  return RefUpdate{match[1], match[2], match[3]};
}

PushPlan plan_push(const std::vector<RefUpdate>& updates, const config::BranchMap& branches,
                   const std::optional<std::set<std::string>>& allowed_environments) {
  PushPlan plan;
  for (const auto& update : updates) {
    auto env = branches.environment_for(update.ref);
    if (!env) {
      plan.stored_only.push_back(update);
    } else if (allowed_environments && !allowed_environments->contains(*env)) {
      plan.refusals.push_back("access denied: your key may not deploy to " + *env + " (branch '" +
                              update.short_name() + "')");
    } else if (update.is_delete()) {
      plan.refusals.push_back("refused to delete branch '" + update.short_name() + "': it deploys to " + *env +
                              " (change the branch map on the server first)");
    } else {
      plan.deploys.push_back({update, *env});
    }
  }
  std::sort(plan.deploys.begin(), plan.deploys.end(),
            [](const PlannedDeploy& a, const PlannedDeploy& b) { return a.env < b.env; });
  for (std::size_t i = 1; i < plan.deploys.size(); ++i)
    if (plan.deploys[i].env == plan.deploys[i - 1].env)
      plan.refusals.push_back("refused: branches '" + plan.deploys[i - 1].update.short_name() + "' and '" +
                              plan.deploys[i].update.short_name() + "' both deploy to " + plan.deploys[i].env +
                              "; push them one at a time");
  return plan;
}

}  // namespace porter::pipeline
