#pragma once
// Builds a Dockerfile with buildah (chroot isolation: the only one that works
// without a full OCI runtime here; layer cache on).
#include "builders/builder.hpp"

namespace porter::builders {

class DockerfileBuilder final : public Builder {
 public:
  std::string name() const override { return "dockerfile"; }
  std::string description() const override { return "Dockerfile"; }
  bool detect(const BuildRequest& request) const override;
  Result<Build> build(const BuildRequest& request, const proc::LineSink& output,
                      const proc::CancelToken& cancel) const override;
};

}  // namespace porter::builders
