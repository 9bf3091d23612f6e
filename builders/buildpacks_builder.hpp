#pragma once
// Builds source + Procfile into an image with Heroku-style buildpacks, run
// inside the stack image as a build container (so apt-get, curl, tar and
// friends work as on Heroku). The image's processes come from the Procfile
// and the buildpacks' release output.
#include "builders/builder.hpp"

namespace porter::builders {

inline constexpr const char* kStackImage = "localhost/porter/stack:bookworm";

class BuildpacksBuilder final : public Builder {
 public:
  std::string name() const override { return "buildpacks"; }
  std::string description() const override { return "buildpacks"; }
  bool detect(const BuildRequest& request) const override;
  Result<Build> build(const BuildRequest& request, const proc::LineSink& output,
                      const proc::CancelToken& cancel) const override;
};

}  // namespace porter::builders
