#pragma once
// Caps on connections, as sshd's MaxStartups and PerSourcePenalties: how many
// connections may be open before they authenticate, in all and per client
// address, and how many authenticated sessions one key may hold at once. A
// stranger who opens connections and sends nothing must not use up the
// gateway. Thread-safe.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace porter::ssh {

struct ConnectionCaps {
  std::size_t preauth_total = 100;       // accepted, not yet authenticated
  std::size_t preauth_per_address = 10;  // the same, from one client address
  std::size_t sessions_per_key = 20;     // authenticated sessions of one key at once
};

class ConnectionLimits {
 public:
  using Clock = std::chrono::steady_clock;
  // Refusals are logged at most once per address in this interval.
  static constexpr std::chrono::seconds kLogInterval{60};

  // One admitted connection while it counts: pre-auth from admission until
  // authenticated(), then, if it got a slot, as a session of its key until it
  // closes (closed() or destruction). Movable; outlived by its ConnectionLimits.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { closed(); }

    // The connection has authenticated with `key` (its fingerprint): it stops
    // counting as pre-auth and takes a session slot of the key. False when the
    // key already holds its cap of sessions (the session is then to be
    // refused; it holds no slot).
    bool authenticated(const std::string& key);
    // The connection is gone: it stops counting. Idempotent.
    void closed();
    const std::string& address() const { return address_; }
    std::size_t sessions_per_key() const;  // the cap authenticated() applies

   private:
    friend class ConnectionLimits;
    ConnectionLimits* limits_ = nullptr;
    std::string address_;
    std::optional<std::string> key_;  // the key whose slot it holds
    bool preauth_ = false;
  };

  enum class Over { none, total, address };

  struct Admission {
    std::optional<Ticket> ticket;  // empty: refused, close the connection
    Over over = Over::none;        // which cap refused it
    std::size_t cap = 0;           // that cap's value
    // Whether to log this refusal: the first of its address in kLogInterval.
    bool log = false;
    // Refusals of this address not logged before this one (0 if none).
    std::uint64_t unlogged = 0;
  };

  explicit ConnectionLimits(ConnectionCaps caps) : caps_(caps) {}
  ConnectionLimits(const ConnectionLimits&) = delete;
  ConnectionLimits& operator=(const ConnectionLimits&) = delete;

  // A connection just accepted from `address` (an IP address as text).
  Admission try_admit(const std::string& address, Clock::time_point now = Clock::now());

  const ConnectionCaps& caps() const { return caps_; }
  std::size_t preauth() const;
  std::size_t preauth_from(const std::string& address) const;
  std::size_t sessions_of(const std::string& key) const;

 private:
  struct LogState {
    Clock::time_point last;
    std::uint64_t unlogged = 0;
  };
  void note_refusal(const std::string& address, Clock::time_point now, Admission& admission);

  const ConnectionCaps caps_;
  mutable std::mutex mutex_;
  std::size_t preauth_ = 0;
  std::map<std::string, std::size_t> preauth_by_address_;  // no zero entries
  std::map<std::string, std::size_t> sessions_by_key_;     // no zero entries
  std::map<std::string, LogState> refusal_log_;            // pruned: bounded under a spread flood
  Clock::time_point last_prune_{};
};

}  // namespace porter::ssh
