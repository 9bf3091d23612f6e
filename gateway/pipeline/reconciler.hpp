#pragma once
// Keeps every live release at its replica count. Crashes are handled by the
// pods' restart policy; this brings back replicas that are gone altogether
// (removed by hand, lost in a host restart).
#include <chrono>
#include <thread>

#include "cluster/drivers.hpp"
#include "pipeline/env_locks.hpp"
#include "state/store.hpp"

namespace porter::pipeline {

class Reconciler {
 public:
  Reconciler(state::Store& store, EnvLocks& locks, const cluster::Drivers& drivers)
      : store_(store), locks_(locks), drivers_(drivers) {}

  // Reconciles every `interval` on a thread of its own, until destroyed.
  void start(std::chrono::seconds interval);
  // One pass: restores missing replicas. Returns how many were restored.
  int reconcile_once();

 private:
  state::Store& store_;
  EnvLocks& locks_;
  const cluster::Drivers& drivers_;
  std::jthread thread_;  // last: stopped and joined before the references above go
};

}  // namespace porter::pipeline
