#pragma once
// Owns threads that run tasks (SSH sessions, push jobs): each task gets a
// stop token; finished threads are joined as new ones start, and the owner
// waits for all of them before anything they use goes away.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

namespace porter::util {

class TaskGroup {
 public:
  using Task = std::function<void(std::stop_token)>;

  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup() { stop_and_join(); }

  void spawn(Task task) {
    std::unique_lock lock(mutex_);
    reap(lock);
    const auto id = next_id_++;
    running_.emplace(id, std::jthread([this, id, task = std::move(task)](std::stop_token stop) {
      task(stop);
      std::lock_guard done(mutex_);
      finished_.push_back(id);
      changed_.notify_all();
    }));
  }

  std::size_t size() {
    std::lock_guard lock(mutex_);
    return running_.size() - finished_.size();
  }

  // Waits until every task has ended by itself or `timeout` passed; true if all ended.
  bool wait_for(std::chrono::steady_clock::duration timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return running_.size() == finished_.size(); });
  }

  // Asks every task to stop, and joins them all.
  void stop_and_join() {
    std::map<std::uint64_t, std::jthread> all;
    {
      std::lock_guard lock(mutex_);
      all.swap(running_);
      finished_.clear();
    }
    for (auto& [id, thread] : all) thread.request_stop();
    all.clear();  // jthread joins
    std::lock_guard lock(mutex_);
    finished_.clear();
  }

 private:
  // Joins threads whose task has returned (they are about to exit).
  void reap(std::unique_lock<std::mutex>& lock) {
    std::vector<std::jthread> done;
    for (auto id : finished_) {
      if (auto it = running_.find(id); it != running_.end()) {
        done.push_back(std::move(it->second));
        running_.erase(it);
      }
    }
    finished_.clear();
    lock.unlock();
    done.clear();
    lock.lock();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::uint64_t, std::jthread> running_;
  std::vector<std::uint64_t> finished_;
  std::uint64_t next_id_ = 0;
};

}  // namespace porter::util
