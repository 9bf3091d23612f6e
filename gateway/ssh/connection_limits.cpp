#include "ssh/connection_limits.hpp"

#include <utility>

namespace porter::ssh {
namespace {

// Addresses whose refusals are remembered for rate-limiting the log; beyond
// this (a flood from many addresses) the rest share one entry.
constexpr std::size_t kMaxLogged = 4096;
const std::string kOtherAddresses = "*";
constexpr std::chrono::seconds kPruneEvery{1};

void decrement(std::map<std::string, std::size_t>& counts, const std::string& key) {
  auto it = counts.find(key);
  if (it == counts.end()) return;
  if (--it->second == 0) counts.erase(it);
}

}  // namespace

ConnectionLimits::Ticket& ConnectionLimits::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    closed();
    limits_ = std::exchange(other.limits_, nullptr);
    address_ = std::move(other.address_);
    key_ = std::exchange(other.key_, std::nullopt);
    preauth_ = std::exchange(other.preauth_, false);
  }
  return *this;
}

bool ConnectionLimits::Ticket::authenticated(const std::string& key) {
  if (!limits_) return false;
  std::lock_guard lock(limits_->mutex_);
  if (preauth_) {
    preauth_ = false;
    --limits_->preauth_;
    decrement(limits_->preauth_by_address_, address_);
  }
  if (key_) return *key_ == key;
  auto& sessions = limits_->sessions_by_key_[key];
  if (sessions >= limits_->caps_.sessions_per_key) {
    if (sessions == 0) limits_->sessions_by_key_.erase(key);
    return false;
  }
  ++sessions;
  key_ = key;
  return true;
}

std::size_t ConnectionLimits::Ticket::sessions_per_key() const {
  return limits_ ? limits_->caps_.sessions_per_key : 0;
}

void ConnectionLimits::Ticket::closed() {
  if (!limits_) return;
  {
    std::lock_guard lock(limits_->mutex_);
    if (preauth_) {
      --limits_->preauth_;
      decrement(limits_->preauth_by_address_, address_);
    }
    if (key_) decrement(limits_->sessions_by_key_, *key_);
  }
  limits_ = nullptr;
  preauth_ = false;
  key_.reset();
}

ConnectionLimits::Admission ConnectionLimits::try_admit(const std::string& address, Clock::time_point now) {
  Admission admission;
  std::lock_guard lock(mutex_);
  const auto from_address = preauth_by_address_.find(address);
  const std::size_t mine = from_address == preauth_by_address_.end() ? 0 : from_address->second;
  if (mine >= caps_.preauth_per_address) {
    admission.over = Over::address;
    admission.cap = caps_.preauth_per_address;
  } else if (preauth_ >= caps_.preauth_total) {
    admission.over = Over::total;
    admission.cap = caps_.preauth_total;
  }
  if (admission.over != Over::none) {
    note_refusal(address, now, admission);
    return admission;
  }
  ++preauth_;
  ++preauth_by_address_[address];
  Ticket ticket;
  ticket.limits_ = this;
  ticket.address_ = address;
  ticket.preauth_ = true;
  admission.ticket = std::move(ticket);
  return admission;
}

void ConnectionLimits::note_refusal(const std::string& address, Clock::time_point now, Admission& admission) {
  if (refusal_log_.size() >= kMaxLogged && !refusal_log_.contains(address) && now - last_prune_ >= kPruneEvery) {
    last_prune_ = now;
    std::erase_if(refusal_log_, [&](const auto& entry) { return now - entry.second.last >= kLogInterval; });
  }
  const bool room = refusal_log_.size() < kMaxLogged || refusal_log_.contains(address);
  auto [it, fresh] = refusal_log_.try_emplace(room ? address : kOtherAddresses);
  auto& state = it->second;
  if (fresh || now - state.last >= kLogInterval) {
    admission.log = true;
    admission.unlogged = state.unlogged;
    state.last = now;
    state.unlogged = 0;
  } else {
    ++state.unlogged;
  }
}

std::size_t ConnectionLimits::preauth() const {
  std::lock_guard lock(mutex_);
  return preauth_;
}

std::size_t ConnectionLimits::preauth_from(const std::string& address) const {
  std::lock_guard lock(mutex_);
  const auto it = preauth_by_address_.find(address);
  return it == preauth_by_address_.end() ? 0 : it->second;
}

std::size_t ConnectionLimits::sessions_of(const std::string& key) const {
  std::lock_guard lock(mutex_);
  const auto it = sessions_by_key_.find(key);
  return it == sessions_by_key_.end() ? 0 : it->second;
}

}  // namespace porter::ssh
