#pragma once
// The app's own settings, from porter.yaml at the root of the pushed commit.
// Optional: a bare Dockerfile or a Procfile deploys with these defaults.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace porter::config {

struct BuildSettings {
  std::string method = "auto";              // auto | dockerfile | buildpacks
  std::string dockerfile = "Dockerfile";    // relative to the repo root
  std::string context = ".";
  std::map<std::string, std::string> args;  // Dockerfile build args
  std::vector<std::string> config_vars;     // environment config vars exposed to the build
  std::vector<std::string> buildpacks;      // built-in name, server path or git URL[#ref]; empty = detect
};

struct HealthCheck {
  std::string path = "/";
  std::chrono::seconds timeout{5};  // per attempt
  int attempts = 60;                // half a second apart at most
};

// nginx proxy_{connect,send,read}_timeout for the web service.
struct ProxyTimeouts {
  std::chrono::seconds connect{5};
  std::chrono::seconds send{60};
  std::chrono::seconds read{60};
};

// What one replica may use: Kubernetes requests and limits alike.
struct Resources {
  std::optional<int> millicpu;             // 0.5 -> 500
  std::optional<std::uint64_t> memory_bytes;

  bool operator==(const Resources&) const = default;
};

// Replicas between min and max, aiming at these average usages of the
// declared resources.
struct Autoscaling {
  int min = 1;
  int max = 1;
  std::optional<int> cpu_percent;
  std::optional<int> memory_percent;

  bool operator==(const Autoscaling&) const = default;
};

// A volume of the service's own, kept across releases, mounted at `path`.
struct Disk {
  std::string path;
  std::uint64_t size_bytes = 0;

  bool operator==(const Disk&) const = default;
};

struct ServiceSettings {
  std::optional<std::string> run;  // command line; default: the Procfile's, else the image's
  int replicas = 1;
  std::optional<int> port;         // web: a fixed port the process listens on (default: it reads $PORT)
  HealthCheck healthcheck;         // web only
  ProxyTimeouts timeouts;          // web only
  Resources resources;             // none declared: no limits
  std::optional<Autoscaling> autoscaling;  // replicas follow usage (then `replicas` is not given)
  std::optional<Disk> disk;
};

// A command run on a schedule in the release's image (5-field cron, UTC).
struct JobSettings {
  std::string run;
  std::string schedule;
  std::chrono::seconds timeout{3600};
};

struct Predeploy {
  std::string run;                    // e.g. bin/migrate; runs once per release, in the new image
  std::chrono::seconds timeout{600};
};

struct AppConfig {
  BuildSettings build;
  std::map<std::string, ServiceSettings> services;  // "web", "worker", ...
  std::optional<Predeploy> predeploy;
  std::map<std::string, JobSettings> jobs;  // by name
};

// Errors are one line naming the file, the line and the field.
Result<AppConfig> parse_app_config(const std::string& yaml_text);

bool is_valid_service_name(const std::string& name);

}  // namespace porter::config
