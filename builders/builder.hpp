#pragma once
// A builder turns a checked-out source tree into a container image.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "builders/procfile.hpp"
#include "config/app_config.hpp"
#include "proc/process.hpp"
#include "util/result.hpp"

namespace porter::builders {

struct BuildRequest {
  std::filesystem::path source_dir;      // the checked-out commit
  const config::AppConfig& app_config;
  std::string image;                     // name:tag to produce
  std::chrono::seconds timeout;          // for the whole build; the process tree is killed after it
  std::filesystem::path cache_dir;       // kept between builds of one (app, environment)
  std::filesystem::path work_dir;        // scratch space, removed after the build
  std::filesystem::path buildpacks_dir;  // the built-in buildpacks; server-path buildpacks lie beneath it
  std::map<std::string, std::string> build_env;  // config vars exposed to the build
  std::filesystem::path cgroup;          // every build process runs in it (see proc/cgroup.hpp)
  std::vector<std::string> buildpack_hosts;      // gateway.yaml buildpack_hosts; empty: no git buildpacks
};

// What a successful build tells the release stage about its image.
struct Build {
  ProcessTypes processes;          // from the Procfile and buildpack release output
  std::vector<std::string> shell;  // argv prefix that runs a command line in this image
  bool image_has_command = false;  // the image runs web by itself (a Dockerfile's CMD)
};

class Builder {
 public:
  virtual ~Builder() = default;
  virtual std::string name() const = 0;        // as in porter.yaml build.method
  virtual std::string description() const = 0;  // for the progress line
  virtual bool detect(const BuildRequest& request) const = 0;
  // The error is one line saying what failed ("build timed out after 1800 s").
  virtual Result<Build> build(const BuildRequest& request, const proc::LineSink& output,
                              const proc::CancelToken& cancel) const = 0;
};

// The builders this gateway knows, in detection order. Picks by name, or for
// "auto" the first whose detect() accepts the source.
class BuilderRegistry {
 public:
  static BuilderRegistry with_defaults();
  void add(std::unique_ptr<Builder> builder);
  // Never null on success; the error says why nothing fits.
  Result<const Builder*> choose(const BuildRequest& request) const;

 private:
  std::vector<std::unique_ptr<Builder>> builders_;
};

}  // namespace porter::builders
