#pragma once
// Links a push's SSH session to the deploy job its hook starts. The job's
// environment locks outlive the job: they are released only when the session's
// receive-pack has exited, so the ref is updated before the next deploy of
// that environment starts. A session that ends early cancels its job.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pipeline/env_locks.hpp"
#include "proc/process.hpp"

namespace porter::pipeline {

struct SessionInfo {
  std::string app;
  std::string pusher;  // key comment or fingerprint, for records
  std::optional<std::set<std::string>> environments;  // the key may deploy only to these; nullopt = all
  std::shared_ptr<proc::CancelToken> cancel;
};

class SessionRegistry {
 public:
  // Returns the token handed to receive-pack (and by it, to the hook).
  std::string open(const std::string& app, const std::string& pusher,
                   std::optional<std::set<std::string>> environments);
  std::optional<SessionInfo> find(const std::string& token);
  // Keeps `leases` until close(token); drops them at once if already closed.
  void hand_over(const std::string& token, std::vector<std::unique_ptr<Lease>> leases);
  // The session's git process has exited (or the client vanished): cancel any
  // running job and release its locks.
  void close(const std::string& token);

 private:
  struct Entry {
    SessionInfo info;
    std::vector<std::unique_ptr<Lease>> leases;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> sessions_;
};

}  // namespace porter::pipeline
