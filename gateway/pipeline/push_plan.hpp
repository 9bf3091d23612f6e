#pragma once
// Decides what a push means before anything runs: which refs deploy where,
// which are only stored, and which are refused.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/branch_map.hpp"

namespace porter::pipeline {

struct RefUpdate {
  std::string old_sha, new_sha, ref;

  bool is_create() const;
  bool is_delete() const;
  std::string short_name() const;  // "refs/heads/main" -> "main"
};

// Parses one pre-receive stdin line: "<old> <new> <ref>".
std::optional<RefUpdate> parse_ref_update(const std::string& line);

struct PlannedDeploy {
  RefUpdate update;
  std::string env;
};

struct PushPlan {
  std::vector<PlannedDeploy> deploys;  // sorted by environment: locks are taken in this order
  std::vector<RefUpdate> stored_only;  // maps to no environment
  std::vector<std::string> refusals;   // one line each; any refusal rejects the whole push
};

// `allowed_environments`: where the pusher's key may deploy (nullopt = anywhere).
PushPlan plan_push(const std::vector<RefUpdate>& updates, const config::BranchMap& branches,
                   const std::optional<std::set<std::string>>& allowed_environments = std::nullopt);

}  // namespace porter::pipeline
