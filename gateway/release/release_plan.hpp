#pragma once
// What one release runs: an image, its services with replica counts, the
// predeploy command, and (kept apart, never serialized with the plan) the
// environment's config vars. A release can be re-run as it is: that is how
// config changes and rollbacks work without a rebuild.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "builders/procfile.hpp"
#include "config/app_config.hpp"
#include "util/result.hpp"

namespace porter::release {

struct Service {
  std::string name;
  std::vector<std::string> argv;  // empty = the image's own entrypoint and command
  int replicas = 1;
  std::optional<int> port;        // fixed container port; default: the process reads $PORT
  config::HealthCheck healthcheck;
  config::ProxyTimeouts timeouts;
  config::Resources resources{};
  std::optional<config::Autoscaling> autoscaling{};
  std::optional<config::Disk> disk{};

  bool is_web() const { return name == "web"; }
};

// A command run on a cron schedule in the release's image.
struct ScheduledJob {
  std::string name;
  std::vector<std::string> argv;
  std::string schedule;  // 5-field cron, UTC; checked when porter.yaml was read
  std::chrono::seconds timeout{3600};
};

struct ReleasePlan {
  std::string app, env;
  int version = 0;
  std::string image;  // by digest when a registry is used
  std::vector<Service> services;
  std::vector<std::string> predeploy;  // argv; empty = none
  std::chrono::seconds predeploy_timeout{600};
  std::vector<ScheduledJob> jobs;
  std::map<std::string, std::string> config;  // config vars: secret, stored separately

  const Service* web() const;
  const Service* service(const std::string& name) const;  // nullptr if none
};

// Services and predeploy from porter.yaml, the Procfile and the build's
// process types. `shell` is the argv prefix that runs a command line in the
// image; `image_has_command` says whether the image can run web by itself (a
// Dockerfile's CMD). Errors are one line.
Result<ReleasePlan> plan_release(const config::AppConfig& app_config, const builders::ProcessTypes& processes,
                                 const std::vector<std::string>& shell, bool image_has_command);

// The plan without its config vars, for the release record; and back (an
// error when the text is not a plan to_yaml wrote).
std::string to_yaml(const ReleasePlan& plan);
Result<ReleasePlan> from_yaml(const std::string& text);

// "web x3, worker x2"
std::string describe_services(const ReleasePlan& plan);

}  // namespace porter::release
