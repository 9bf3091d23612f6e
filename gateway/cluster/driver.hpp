#pragma once
// Runs releases on a cluster. `podman` runs them on this host; a Kubernetes
// driver will take the same specs.
#include <string>
#include <vector>

#include "proc/process.hpp"

namespace porter::cluster {

struct ReleaseSpec {
  std::string app, env;
  std::int64_t deploy_id = 0;
  std::string image;
  std::vector<std::string> command;  // argv; empty = the image's own entrypoint and command
  int port = 0;  // the web process listens on $PORT
};

struct StartResult {
  bool ok = false;
  std::string container;  // handle for stop()
  std::string failure;
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual StartResult start(const ReleaseSpec& spec, const proc::LineSink& output, const proc::CancelToken& cancel) = 0;
  virtual void stop(const std::string& container, const proc::LineSink& output) = 0;
};

}  // namespace porter::cluster
