#pragma once
// The driver each environment's releases go to: a Kubernetes cluster where
// gateway.yaml's `environments:` names one, the local engine otherwise.
#include <map>
#include <memory>
#include <string>

#include "cluster/driver.hpp"

namespace porter::cluster {

class Drivers {
 public:
  explicit Drivers(Driver& fallback) : fallback_(fallback) {}

  void add(const std::string& env, std::unique_ptr<Driver> driver) { by_env_[env] = std::move(driver); }
  Driver& for_env(const std::string& env) const {
    auto it = by_env_.find(env);
    return it == by_env_.end() ? fallback_ : *it->second;
  }

 private:
  Driver& fallback_;
  std::map<std::string, std::unique_ptr<Driver>> by_env_;
};

}  // namespace porter::cluster
