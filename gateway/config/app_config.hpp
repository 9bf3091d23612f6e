#pragma once
// The app's own settings, from porter.yaml at the root of the pushed commit.
// Optional: a bare Dockerfile deploys with these defaults.
#include <chrono>
#include <map>
#include <vector>
#include <optional>
#include <string>
#include <variant>

namespace porter::config {

struct BuildSettings {
  std::string method = "auto";            // auto | dockerfile | buildpacks
  std::string dockerfile = "Dockerfile";  // relative to the repo root
  std::string context = ".";
  std::map<std::string, std::string> args;  // Dockerfile build args
  std::vector<std::string> buildpacks;      // built-in name, server path or git URL[#ref]; empty = detect
};

struct HealthCheck {
  std::string path = "/";
  std::optional<std::chrono::seconds> timeout;  // default: the gateway's
};

struct WebService {
  HealthCheck healthcheck;
};

struct AppConfig {
  BuildSettings build;
  WebService web;
};

struct AppConfigError {
  std::string message;  // one line, names file, line and field
};

std::variant<AppConfig, AppConfigError> parse_app_config(const std::string& yaml_text);

}  // namespace porter::config
