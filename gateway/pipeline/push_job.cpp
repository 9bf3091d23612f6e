#include "pipeline/push_job.hpp"

#include <spdlog/spdlog.h>

#include "hookrpc/request_fields.hpp"
#include "pipeline/deploy.hpp"
#include "pipeline/progress.hpp"

namespace porter::pipeline {
namespace {

// Quarantine paths may be relative to the repo, where the hook runs.
std::string absolute_in(const std::filesystem::path& repo_dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (repo_dir / path).string();
}

bool send_verdict(hookrpc::Connection& connection, int exit_code) {
  return connection.send(hookrpc::FrameKind::verdict, std::string(1, static_cast<char>(exit_code)));
}

// "main -> production, staging -> staging"
std::string describe(const config::BranchMap& branches) {
  std::string text;
  for (const auto& [branch, env] : branches.entries()) text += (text.empty() ? "" : ", ") + branch + " -> " + env;
  return text;
}

struct Job {
  std::int64_t id;
  PlannedDeploy planned;
};

}  // namespace

std::optional<PushRequest> read_push_request(hookrpc::Connection& connection, std::string& error) {
  PushRequest request;
  while (auto frame = connection.receive()) {
    if (frame->kind == hookrpc::FrameKind::end) {
      request.quarantine.object_directory = absolute_in(request.repo_dir, request.quarantine.object_directory);
      return request;
    }
    auto field = frame->kind == hookrpc::FrameKind::field ? hookrpc::decode_field(frame->payload) : std::nullopt;
    if (!field) break;
    const auto& [name, value] = *field;
    if (name == hookrpc::field::session) {
      request.session_token = value;
    } else if (name == hookrpc::field::repo_dir) {
      request.repo_dir = value;
    } else if (name == hookrpc::field::ref_update) {
      auto update = parse_ref_update(value);
      if (!update) {
        error = "malformed ref update from git";
        return std::nullopt;
      }
      request.updates.push_back(*update);
    } else if (name == hookrpc::field::push_option) {
      request.push_options.push_back(value);
    } else if (name == std::string(hookrpc::field::git_env_prefix) + "GIT_OBJECT_DIRECTORY") {
      request.quarantine.object_directory = value;
    } else if (name == std::string(hookrpc::field::git_env_prefix) + "GIT_ALTERNATE_OBJECT_DIRECTORIES") {
      request.quarantine.alternate_directories = value;
    }
  }
  error = "incomplete request from the hook";
  return std::nullopt;
}

void handle_push(hookrpc::Connection& connection, Services& services) {
  std::string error;
  auto request = read_push_request(connection, error);
  auto session = request ? services.sessions.find(request->session_token) : std::nullopt;
  if (!session) {
    if (request) error = "this push did not come through the gateway's SSH server";
    connection.send(hookrpc::FrameKind::output, "error: " + error + "\n");
    send_verdict(connection, 1);
    return;
  }
  Progress progress([&](const std::string& text) { return connection.send(hookrpc::FrameKind::output, text); },
                    session->cancel);
  auto plan = plan_push(request->updates, services.config.branches_for(session->app), session->environments);
  for (const auto& refusal : plan.refusals) progress.line("error: " + refusal);
  if (!plan.refusals.empty()) {
    send_verdict(connection, 1);
    return;
  }
  for (const auto& update : plan.stored_only)
    progress.stage("branch '" + update.short_name() + "' maps to no environment: stored, nothing deployed");

  if (plan.deploys.empty()) {
    progress.verdict("pushed; nothing deployed (branches deploy per the server's map: " +
                     describe(services.config.branches_for(session->app)) + ")");
    send_verdict(connection, 0);
    return;
  }

  std::vector<Job> jobs;
  for (const auto& planned : plan.deploys) {
    auto id = services.store.create_deploy({session->app, planned.env, planned.update.ref, planned.update.old_sha,
                                            planned.update.new_sha, session->pusher},
                                           services.config.logs_dir());
    jobs.push_back({id, planned});
    progress.log_to(services.config.logs_dir() / (std::to_string(id) + ".log"));
    progress.stage(session->app + ": deploy #" + std::to_string(id) + " of " + planned.update.short_name() + " (" +
                   planned.update.new_sha.substr(0, 7) + ") to " + planned.env);
    spdlog::info("deploy queued deploy={} app={} env={} sha={} pusher={}", id, session->app, planned.env,
                 planned.update.new_sha, session->pusher);
  }

  // All locks of the push, in environment order (no deadlock between pushes).
  std::vector<std::unique_ptr<Lease>> leases;
  for (const auto& job : jobs) {
    auto lease = services.locks.acquire(
        lock_key(session->app, job.planned.env), "deploy #" + std::to_string(job.id),
        [&](const std::string& holder) {
          progress.stage("waiting for " + holder + " to " + job.planned.env + " to finish");
        },
        *session->cancel);
    if (!lease) break;
    leases.push_back(std::move(lease));
  }

  bool ok = leases.size() == jobs.size();
  for (const auto& job : jobs) {
    if (!ok) {  // cancelled while waiting, or an earlier environment failed
      services.store.finish(job.id, session->cancel->cancelled() ? state::DeployStatus::cancelled
                                                                  : state::DeployStatus::failed,
                            "not started");
      continue;
    }
    progress.log_to(services.config.logs_dir() / (std::to_string(job.id) + ".log"));
    DeployTarget target{job.id, session->app, job.planned.env, job.planned.update, request->repo_dir,
                        request->quarantine, session->pusher};
    ok = run_deploy(target, *session->cancel, progress, services);
  }
  progress.stop_logging();
  // The locks stay held until receive-pack has moved the refs and exited.
  services.sessions.hand_over(request->session_token, std::move(leases));
  send_verdict(connection, ok ? 0 : 1);
}

}  // namespace porter::pipeline
