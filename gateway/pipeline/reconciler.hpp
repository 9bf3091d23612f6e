#pragma once
// Keeps every live release at its replica count. Crashes are handled by the
// pods' restart policy; this brings back replicas that are gone altogether
// (removed by hand, lost in a host restart).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "pipeline/services.hpp"

namespace porter::pipeline {

class Reconciler {
 public:
  Reconciler(Services& services, std::chrono::seconds interval) : services_(services), interval_(interval) {}
  ~Reconciler() { stop(); }

  void start();
  void stop();
  // One pass: restores missing replicas. Returns how many were restored.
  int reconcile_once();

 private:
  Services& services_;
  std::chrono::seconds interval_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace porter::pipeline
