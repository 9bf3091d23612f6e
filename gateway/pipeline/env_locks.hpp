#pragma once
// One deploy at a time per (app, environment). Later pushes wait in arrival
// order and are told whom they wait for.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "proc/process.hpp"

namespace porter::pipeline {

class EnvLocks;

inline std::string lock_key(const std::string& app, const std::string& env) { return app + "/" + env; }

// Holding a Lease means holding the lock; destroying it releases the lock.
class Lease {
 public:
  Lease(EnvLocks& locks, std::string key) : locks_(locks), key_(std::move(key)) {}
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

 private:
  EnvLocks& locks_;
  std::string key_;
};

class EnvLocks {
 public:
  // Blocks until the lock is free or `cancel` fires (then nullptr). `holder`
  // names the caller ("deploy #41"); `on_wait(holder)` is called with the
  // current holder each time the caller finds a new one ahead of it.
  std::unique_ptr<Lease> acquire(const std::string& key, const std::string& holder,
                                 const std::function<void(const std::string&)>& on_wait,
                                 const proc::CancelToken& cancel);
  bool is_held(const std::string& key);

 private:
  friend class Lease;
  void release(const std::string& key);

  struct Queue {
    std::string holder;             // who holds the lock, empty when free
    std::uint64_t next_ticket = 0;  // FIFO: tickets are served in order
    std::uint64_t serving = 0;
    std::set<std::uint64_t> abandoned;  // tickets given up by cancelled waiters
  };
  static void skip_abandoned(Queue& queue);

  std::mutex mutex_;
  std::condition_variable_any changed_;  // waits also end on a cancel
  std::map<std::string, Queue> queues_;
};

}  // namespace porter::pipeline
