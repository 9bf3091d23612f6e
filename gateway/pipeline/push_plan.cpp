#include "pipeline/push_plan.hpp"

#include <algorithm>

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

// "<old> <new> <ref>": object names of 40 or 64 lower-case hex digits, a ref
// under refs/ without blanks. Not std::regex: libstdc++ matches by recursion,
// a level per character, and a pushed ref name of 30000 characters overflowed
// the stack.
std::optional<RefUpdate> parse_ref_update(const std::string& line) {
  auto take_sha = [&](std::size_t& at) -> std::optional<std::string> {
    const auto end = std::min(line.find(' ', at), line.size());
    if ((end - at != 40 && end - at != 64) || end == line.size()) return std::nullopt;
    auto sha = line.substr(at, end - at);
    if (sha.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
    at = end + 1;
    return sha;
  };
  std::size_t at = 0;
  auto old_sha = take_sha(at);
  auto new_sha = old_sha ? take_sha(at) : std::nullopt;
  if (!new_sha) return std::nullopt;
  auto ref = line.substr(at);
  if (!ref.starts_with("refs/") || ref.size() == 5 || ref.find_first_of(" \t\n\v\f\r") != std::string::npos)
    return std::nullopt;
  return RefUpdate{std::move(*old_sha), std::move(*new_sha), std::move(ref)};
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
