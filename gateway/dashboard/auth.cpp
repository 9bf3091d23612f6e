#include "dashboard/auth.hpp"

#include <sys/random.h>

#include <algorithm>
#include <stdexcept>

namespace porter::dashboard {

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  for (std::size_t got = 0; got < bytes;) {
    const auto n = ::getrandom(raw.data() + got, bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed");
    }
    got += static_cast<std::size_t>(n);
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes * 2);
  for (const unsigned char c : raw) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 0xf];
  }
  return hex;
}

bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differ |= static_cast<unsigned char>(a[i] ^ b[i]);
  return differ == 0;
}

void Auth::prune(Clock::time_point now) {
  std::erase_if(pending_, [&](const auto& entry) { return entry.second.expires <= now; });
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second.expires <= now; });
}

std::string Auth::mint_login(const ssh::Identity& who) {
  const auto now = now_();
  auto token = random_hex(32);
  std::lock_guard lock(mutex_);
  prune(now);
  if (pending_.size() >= kMaxPending)  // a flood of links pushes out the oldest
    pending_.erase(std::min_element(pending_.begin(), pending_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    }));
  pending_[token] = {who, now + login_ttl_};
  return token;
}

std::optional<Session> Auth::redeem(const std::string& token) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  const auto it = pending_.find(token);
  if (it == pending_.end()) return std::nullopt;
  auto pending = std::move(it->second);
  pending_.erase(it);  // one use, even when expired
  if (pending.expires <= now) return std::nullopt;
  prune(now);
  if (sessions_.size() >= kMaxSessions) return std::nullopt;
  Session session{random_hex(32), random_hex(32), std::move(pending.who), now + session_ttl_};
  sessions_[session.id] = session;
  return session;
}

std::optional<Session> Auth::session(const std::string& id) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

std::size_t Auth::revoke_all(const std::string& name) {
  std::lock_guard lock(mutex_);
  std::erase_if(pending_, [&](const auto& entry) { return entry.second.who.name == name; });
  return std::erase_if(sessions_, [&](const auto& entry) { return entry.second.who.name == name; });
}

}  // namespace porter::dashboard
