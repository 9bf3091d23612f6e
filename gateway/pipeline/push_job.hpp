#pragma once
// One push, as handed over by the pre-receive hook: plan it, deploy each
// mapped ref through the stages, and answer with a verdict.
#include "builder.hpp"
#include "cluster/driver.hpp"
#include "config/gateway_config.hpp"
#include "git/repo_store.hpp"
#include "hookrpc/connection.hpp"
#include "pipeline/env_locks.hpp"
#include "pipeline/push_plan.hpp"
#include "pipeline/sessions.hpp"
#include "state/store.hpp"

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

// What a job needs from the daemon.
struct Services {
  const config::GatewayConfig& config;
  state::Store& store;
  SessionRegistry& sessions;
  EnvLocks& locks;
  const builders::BuilderRegistry& builders;
  cluster::Driver& driver;
};

// Runs the whole push on the calling thread and sends the verdict frame.
void handle_push(hookrpc::Connection& connection, Services& services);

}  // namespace porter::pipeline
