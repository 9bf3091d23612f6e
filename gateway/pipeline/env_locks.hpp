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
  // Blocks until the lock is free or `cancel` fires (then nullptr).
  // `on_wait(holder_deploy_id)` is called once if the caller has to wait.
  std::unique_ptr<Lease> acquire(const std::string& key, std::int64_t deploy_id,
                                 const std::function<void(std::int64_t)>& on_wait, const proc::CancelToken& cancel);
  bool is_held(const std::string& key);

 private:
  friend class Lease;
  void release(const std::string& key);

  struct Queue {
    std::int64_t holder = 0;    // deploy id holding the lock, 0 when free
    std::uint64_t next_ticket = 0;  // FIFO: tickets are served in order
    std::uint64_t serving = 0;
    std::set<std::uint64_t> abandoned;  // tickets given up by cancelled waiters
  };
  static void skip_abandoned(Queue& queue);

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Queue> queues_;
};

}  // namespace porter::pipeline
