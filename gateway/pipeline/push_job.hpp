#pragma once
// One push, as handed over by the pre-receive hook: plan it, deploy each
// mapped ref through the stages, and answer with a verdict.
#include "git/repo_store.hpp"
#include "hookrpc/connection.hpp"
#include "pipeline/push_plan.hpp"
#include "pipeline/services.hpp"

namespace porter::pipeline {

struct PushRequest {
  std::string session_token;
  std::filesystem::path repo_dir;
  git::Quarantine quarantine;
  std::vector<RefUpdate> updates;
  std::vector<std::string> push_options;
};

// Reads Field frames up to End; nullopt with `error` set on a malformed request.
std::optional<PushRequest> read_push_request(hookrpc::Connection& connection, std::string& error);

// Runs the whole push on the calling thread and sends the verdict frame.
void handle_push(hookrpc::Connection& connection, Services& services);

}  // namespace porter::pipeline
