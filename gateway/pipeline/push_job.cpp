#include "pipeline/push_job.hpp"

#include "pipeline/build_cache.hpp"
#include "util/log.hpp"

namespace porter::pipeline {
namespace {

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

class PushRun {
 public:
  PushRun(const PushRequest& request, const Progress::Writer& output, const Pusher& pusher)
      : request_(request), session_(request.session), pusher_(pusher), progress_(output, session_.cancel) {}

  PushVerdict run() {
    const auto& config = pusher_.deploy.config;
    auto plan = plan_push(request_.updates, config.branches_for(session_.app), session_.environments);
    for (const auto& refusal : plan.refusals) progress_.line("error: " + refusal);
    if (!plan.refusals.empty()) return {};
    for (const auto& update : plan.stored_only)
      progress_.stage("branch '" + update.short_name() + "' maps to no environment: stored, nothing deployed");
    if (plan.deploys.empty()) {
      progress_.verdict("pushed; nothing deployed (branches deploy per the server's map: " +
                        describe(config.branches_for(session_.app)) + ")");
      return {.accepted = true, .locks = {}};
    }
    const auto jobs = queue(plan.deploys);
    PushVerdict verdict{.accepted = true, .locks = lock(jobs)};
    for (const auto& job : jobs) {
      const bool go = verdict.accepted && verdict.locks.size() == jobs.size();
      if (!go) {  // cancelled while waiting, or an earlier environment failed
        pusher_.deploy.store.finish(job.id, cancelled() ? state::DeployStatus::cancelled : state::DeployStatus::failed,
                                    "not started");
        verdict.accepted = false;
        continue;
      }
      progress_.log_to(log_file(job.id));
      DeployTarget target{job.id, session_.app, job.planned.env, job.planned.update, request_.repo_dir,
                          request_.quarantine, session_.pusher};
      verdict.accepted = run_deploy(target, progress_, pusher_.deploy);
    }
    progress_.stop_logging();
    evict_deploy_logs(pusher_.deploy.config.logs_dir(), pusher_.deploy.config.logs_budget_mb);
    return verdict;
  }

 private:
  bool cancelled() const { return session_.cancel->cancelled(); }

  std::filesystem::path log_file(std::int64_t id) const {
    return pusher_.deploy.config.logs_dir() / (std::to_string(id) + ".log");
  }

  std::vector<Job> queue(const std::vector<PlannedDeploy>& deploys) {
    std::vector<Job> jobs;
    for (const auto& planned : deploys) {
      auto id = pusher_.deploy.store.create_deploy({session_.app, planned.env, planned.update.ref,
                                                    planned.update.old_sha, planned.update.new_sha, session_.pusher},
                                                   pusher_.deploy.config.logs_dir());
      jobs.push_back({id, planned});
      progress_.log_to(log_file(id));
      progress_.stage(session_.app + ": deploy #" + std::to_string(id) + " of " + planned.update.short_name() + " (" +
                      planned.update.new_sha.substr(0, 7) + ") to " + planned.env);
      util::logger("pipeline")->info("deploy queued deploy={} app={} env={} sha={} pusher={}", id, session_.app,
                                     planned.env, planned.update.new_sha, session_.pusher);
    }
    return jobs;
  }

  // All locks of the push, in environment order (no deadlock between pushes).
  std::vector<std::unique_ptr<Lease>> lock(const std::vector<Job>& jobs) {
    std::vector<std::unique_ptr<Lease>> leases;
    for (const auto& job : jobs) {
      auto lease = pusher_.locks.acquire(
          lock_key(session_.app, job.planned.env), "deploy #" + std::to_string(job.id),
          [&](const std::string& holder) {
            progress_.stage("waiting for " + holder + " to " + job.planned.env + " to finish");
          },
          *session_.cancel);
      if (!lease) break;
      leases.push_back(std::move(lease));
    }
    return leases;
  }

  const PushRequest& request_;
  const SessionInfo& session_;
  const Pusher& pusher_;
  Progress progress_;
};

}  // namespace

PushVerdict run_push(const PushRequest& request, const Progress::Writer& output, const Pusher& pusher) {
  return PushRun(request, output, pusher).run();
}

}  // namespace porter::pipeline
