#include "config/app_config.hpp"

#include "config/yaml_reader.hpp"

namespace porter::config {
namespace {

// Paths in porter.yaml stay inside the checkout.
std::string read_relative_path(const YAML::Node& node, const std::string& key) {
  auto path = read_scalar<std::string>(node, key);
  if (path.empty() || path.front() == '/' || path.find("..") != std::string::npos)
    throw YamlError(where(node) + ": '" + key + "' must be a relative path inside the repository");
  return path;
}

void read_build(const YAML::Node& node, BuildSettings& build) {
  require_map(node, "build");
  reject_unknown_keys(node, "build", {"method", "dockerfile", "context", "args", "buildpacks"});
  if (node["method"]) {
    build.method = read_scalar<std::string>(node["method"], "build.method");
    if (build.method != "auto" && build.method != "dockerfile" && build.method != "buildpacks")
      throw YamlError(where(node["method"]) + ": 'build.method' must be auto, dockerfile or buildpacks, got '" +
                      build.method + "'");
  }
  if (node["args"]) {
    require_map(node["args"], "build.args");
    for (const auto& arg : node["args"])
      build.args[arg.first.Scalar()] = read_scalar<std::string>(arg.second, "build.args." + arg.first.Scalar());
  }
  if (node["buildpacks"]) {
    if (!node["buildpacks"].IsSequence())
      throw YamlError(where(node["buildpacks"]) + ": 'build.buildpacks' must be a list");
    for (const auto& buildpack : node["buildpacks"])
      build.buildpacks.push_back(read_scalar<std::string>(buildpack, "build.buildpacks"));
  }
  if (node["dockerfile"]) build.dockerfile = read_relative_path(node["dockerfile"], "build.dockerfile");
  if (node["context"]) build.context = read_relative_path(node["context"], "build.context");
}

void read_healthcheck(const YAML::Node& node, HealthCheck& check) {
  require_map(node, "services.web.healthcheck");
  reject_unknown_keys(node, "services.web.healthcheck", {"path", "timeout"});
  if (node["path"]) {
    check.path = read_scalar<std::string>(node["path"], "services.web.healthcheck.path");
    if (!check.path.starts_with("/"))
      throw YamlError(where(node["path"]) + ": 'services.web.healthcheck.path' must start with /");
  }
  if (node["timeout"]) {
    auto seconds = read_scalar<int>(node["timeout"], "services.web.healthcheck.timeout");
    if (seconds <= 0) throw YamlError(where(node["timeout"]) + ": 'services.web.healthcheck.timeout' must be positive");
    check.timeout = std::chrono::seconds(seconds);
  }
}

void read_services(const YAML::Node& node, AppConfig& config) {
  require_map(node, "services");
  reject_unknown_keys(node, "services", {"web"});
  const auto web = node["web"];
  if (!web) return;
  require_map(web, "services.web");
  reject_unknown_keys(web, "services.web", {"healthcheck"});
  if (web["healthcheck"]) read_healthcheck(web["healthcheck"], config.web.healthcheck);
}

}  // namespace

std::variant<AppConfig, AppConfigError> parse_app_config(const std::string& yaml_text) {
  AppConfig config;
  try {
    auto root = load_yaml(yaml_text, "porter.yaml");
    if (root.IsNull()) return config;
    require_map(root, "porter.yaml");
    reject_unknown_keys(root, "porter.yaml", {"build", "services"});
    if (root["build"]) read_build(root["build"], config.build);
    if (root["services"]) read_services(root["services"], config);
  } catch (const YamlError& e) {
    std::string message = e.what();
    if (!message.starts_with("porter.yaml")) message = "porter.yaml " + message;
    return AppConfigError{message};
  }
  return config;
}

}  // namespace porter::config
