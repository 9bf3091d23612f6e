#pragma once
// One host: each release's web process is a podman container on the host
// network, listening on the port given as $PORT.
#include "cluster/driver.hpp"

namespace porter::cluster {

class PodmanDriver final : public Driver {
 public:
  StartResult start(const ReleaseSpec& spec, const proc::LineSink& output, const proc::CancelToken& cancel) override;
  void stop(const std::string& container, const proc::LineSink& output) override;
};

// Name of a release's container: porter-<app>-<env>-<deploy id>.
std::string container_name(const ReleaseSpec& spec);

}  // namespace porter::cluster
