#include "pipeline/env_locks.hpp"

namespace porter::pipeline {

void EnvLocks::skip_abandoned(Queue& queue) {
  while (queue.abandoned.erase(queue.serving)) ++queue.serving;
}

Lease::~Lease() { locks_.release(key_); }

std::unique_ptr<Lease> EnvLocks::acquire(const std::string& key, const std::string& holder,
                                         const std::function<void(const std::string&)>& on_wait,
                                         const proc::CancelToken& cancel) {
  std::unique_lock lock(mutex_);
  auto& queue = queues_[key];
  const auto ticket = queue.next_ticket++;
  std::string announced;
  while (queue.serving != ticket || !queue.holder.empty()) {
    if (cancel.cancelled()) {
      // Give up our place: later tickets must not wait for us.
      queue.abandoned.insert(ticket);
      skip_abandoned(queue);
      changed_.notify_all();
      return nullptr;
    }
    if (!queue.holder.empty() && queue.holder != announced) {
      announced = queue.holder;
      lock.unlock();
      on_wait(announced);
      lock.lock();
    }
    // Our turn, a new holder to announce, or the cancel ends this wait.
    changed_.wait(lock, cancel.token(), [&] {
      return (queue.serving == ticket && queue.holder.empty()) || (!queue.holder.empty() && queue.holder != announced);
    });
  }
  queue.holder = holder;
  ++queue.serving;
  changed_.notify_all();  // those behind are told whom they wait for now
  return std::make_unique<Lease>(*this, key);
}

void EnvLocks::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& queue = queues_[key];
  queue.holder.clear();
  skip_abandoned(queue);
  changed_.notify_all();
}

bool EnvLocks::is_held(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = queues_.find(key);
  return it != queues_.end() && !it->second.holder.empty();
}

}  // namespace porter::pipeline
