#pragma once
// Password-less dashboard logins: `ssh ... dashboard` mints a one-use login
// token bound to the key's identity; redeeming it opens a session (a random
// cookie value and a CSRF token). Kept in memory only: a gateway restart logs
// everyone out.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "ssh/authorized_keys.hpp"

namespace porter::dashboard {

// `bytes` random bytes (getrandom), as lowercase hex.
std::string random_hex(std::size_t bytes);

// Equal strings, compared in a time that does not depend on where they differ.
bool same_secret(std::string_view a, std::string_view b);

struct Session {
  std::string id;    // the cookie's value
  std::string csrf;  // what X-CSRF-Token must carry on state-changing requests
  ssh::Identity who;
  std::chrono::steady_clock::time_point expires;
};

class Auth {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;
  static constexpr std::size_t kMaxPending = 1000;    // unredeemed login tokens
  static constexpr std::size_t kMaxSessions = 10000;

  Auth(std::chrono::seconds login_ttl, std::chrono::seconds session_ttl, Now now = &Clock::now)
      : login_ttl_(login_ttl), session_ttl_(session_ttl), now_(std::move(now)) {}

  // A new login token for `who` (32 random bytes, hex).
  std::string mint_login(const ssh::Identity& who);
  // Consumes the token: a new session, or nullopt when it is unknown, used or expired.
  std::optional<Session> redeem(const std::string& token);
  // The live session with this cookie value.
  std::optional<Session> session(const std::string& id);
  // Ends every session (and pending login) of the key named `name`; returns how many sessions.
  std::size_t revoke_all(const std::string& name);

  std::chrono::seconds session_ttl() const { return session_ttl_; }

 private:
  struct Pending {
    ssh::Identity who;
    Clock::time_point expires;
  };
  void prune(Clock::time_point now);  // expects mutex_ held

  std::chrono::seconds login_ttl_, session_ttl_;
  Now now_;
  std::mutex mutex_;
  std::map<std::string, Pending> pending_;
  std::map<std::string, Session> sessions_;
};

}  // namespace porter::dashboard
