#pragma once
// One push: plan it, deploy each mapped ref through the stages (deploy.hpp),
// and decide the verdict. It knows nothing of how the push arrived: the
// request comes in as data and progress goes out through a sink.
#include <memory>
#include <string>
#include <vector>

#include "pipeline/deploy.hpp"
#include "pipeline/env_locks.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/sessions.hpp"

namespace porter::pipeline {

struct PushRequest {
  SessionInfo session;  // who pushes which app, and the session's cancel token
  std::filesystem::path repo_dir;
  git::Quarantine quarantine;
  std::vector<RefUpdate> updates;
  std::vector<std::string> push_options;
};

struct PushVerdict {
  bool accepted = false;
  // The environments' locks, to keep until receive-pack has moved the refs.
  std::vector<std::unique_ptr<Lease>> locks;
};

// What a push needs.
struct Pusher {
  Deployer deploy;
  EnvLocks& locks;
};

// Runs the whole push on the calling thread.
PushVerdict run_push(const PushRequest& request, const Progress::Writer& output, const Pusher& pusher);

}  // namespace porter::pipeline
