#include "pipeline/sessions.hpp"

#include <random>

namespace porter::pipeline {
namespace {

std::string random_token() {
  static thread_local std::random_device device;
  static constexpr char hex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 32; ++i) token += hex[device() % 16];
  return token;
}

}  // namespace

std::string SessionRegistry::open(const std::string& app, const std::string& pusher,
                                  std::optional<std::set<std::string>> environments) {
  std::lock_guard lock(mutex_);
  auto token = random_token();
  sessions_[token] = Entry{SessionInfo{app, pusher, std::move(environments), std::make_shared<proc::CancelToken>()}, {}};
  return token;
}

std::optional<SessionInfo> SessionRegistry::find(const std::string& token) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return std::nullopt;
  return it->second.info;
}

void SessionRegistry::hand_over(const std::string& token, std::vector<std::unique_ptr<Lease>> leases) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return;  // leases are released as they go out of scope
  for (auto& lease : leases) it->second.leases.push_back(std::move(lease));
}

void SessionRegistry::close(const std::string& token) {
  std::vector<std::unique_ptr<Lease>> released;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(token);
    if (it == sessions_.end()) return;
    it->second.info.cancel->cancel();
    released = std::move(it->second.leases);
    sessions_.erase(it);
  }
}

}  // namespace porter::pipeline
