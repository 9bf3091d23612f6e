#pragma once
// Lines handed from a job's thread to the thread that sends them on (to an
// SSH client, to an event stream). Bounded: while `capacity` lines wait, the
// job waits too, so a slow reader slows it down rather than growing memory;
// a cancel releases it.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <stop_token>
#include <string>

#include "proc/process.hpp"

namespace porter::proc {

class LineQueue {
 public:
  LineQueue(std::size_t capacity, const CancelToken& cancel) : capacity_(capacity), cancelled_(cancel.token()) {}

  // From the job's thread: waits for room. A cancel ends the wait; with no
  // room then, the line is dropped.
  void push(std::string line) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait(lock, cancelled_, [&] { return lines_.size() < capacity_; })) return;
    lines_.push_back(std::move(line));
    changed_.notify_all();
  }

  // From the job's thread, last: nothing more will come.
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }

  struct Batch {
    std::deque<std::string> lines;
    bool closed = false;  // these are the last lines
  };

  // Waits up to `wait` for a line or the close, then takes every line queued.
  Batch take(std::chrono::milliseconds wait = {}) {
    Batch batch;
    {
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, wait, [&] { return !lines_.empty() || closed_; });
      batch.lines.swap(lines_);
      batch.closed = closed_;
    }
    changed_.notify_all();  // room for the job
    return batch;
  }

 private:
  const std::size_t capacity_;
  const std::stop_token cancelled_;
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<std::string> lines_;
  bool closed_ = false;
};

}  // namespace porter::proc
