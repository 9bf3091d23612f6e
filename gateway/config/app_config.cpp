#include "config/app_config.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

#include "config/yaml_reader.hpp"

namespace porter::config {
namespace {

bool has_control_characters(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

bool has_parent_component(const std::string& path) {
  const auto parts = std::filesystem::path(path);
  return std::any_of(parts.begin(), parts.end(), [](const auto& part) { return part == ".."; });
}

// Paths in porter.yaml stay inside the checkout. (The builders check again,
// on the tree itself, that no symbolic link leads out.)
std::string read_relative_path(const YAML::Node& node, const std::string& key) {
  auto path = read_scalar<std::string>(node, key);
  const auto rule = where(node) + ": '" + key + "' must be a relative path inside the repository";
  if (path.empty()) throw YamlError(rule);
  if (has_control_characters(path)) throw YamlError(rule + ", without control characters");
  if (path.front() == '/') throw YamlError(rule + ", not the absolute path '" + path + "'");
  if (has_parent_component(path)) throw YamlError(rule + ", without '..' ('" + path + "')");
  return path;
}

// buildah runs a Dockerfile whose name ends in .in through the host's cpp,
// whose #include reads any host file into the build.
std::string read_dockerfile_path(const YAML::Node& node) {
  auto path = read_relative_path(node, "build.dockerfile");
  if (path.ends_with(".in"))
    throw YamlError(where(node) + ": 'build.dockerfile': " + path +
                    " is not supported: buildah would run the host's C preprocessor on it");
  return path;
}

std::chrono::seconds read_seconds(const YAML::Node& node, const std::string& key) {
  auto seconds = read_scalar<int>(node, key);
  if (seconds <= 0) throw YamlError(where(node) + ": '" + key + "' must be a positive number of seconds");
  return std::chrono::seconds(seconds);
}

std::vector<std::string> read_list(const YAML::Node& node, const std::string& key) {
  if (!node.IsSequence()) throw YamlError(where(node) + ": '" + key + "' must be a list");
  std::vector<std::string> items;
  for (const auto& item : node) items.push_back(read_scalar<std::string>(item, key));
  return items;
}

void read_build(const YAML::Node& node, BuildSettings& build) {
  require_map(node, "build");
  reject_unknown_keys(node, "build", {"method", "dockerfile", "context", "args", "config_vars", "buildpacks"});
  if (node["method"]) {
    build.method = read_scalar<std::string>(node["method"], "build.method");
    if (build.method != "auto" && build.method != "dockerfile" && build.method != "buildpacks")
      throw YamlError(where(node["method"]) + ": 'build.method' must be auto, dockerfile or buildpacks, got '" +
                      build.method + "'");
  }
  if (node["dockerfile"]) build.dockerfile = read_dockerfile_path(node["dockerfile"]);
  if (node["context"]) build.context = read_relative_path(node["context"], "build.context");
  if (node["args"]) {
    require_map(node["args"], "build.args");
    for (const auto& arg : node["args"])
      build.args[arg.first.Scalar()] = read_scalar<std::string>(arg.second, "build.args." + arg.first.Scalar());
  }
  if (node["config_vars"]) build.config_vars = read_list(node["config_vars"], "build.config_vars");
  if (node["buildpacks"]) build.buildpacks = read_list(node["buildpacks"], "build.buildpacks");
}

void read_healthcheck(const YAML::Node& node, const std::string& key, HealthCheck& check) {
  require_map(node, key);
  reject_unknown_keys(node, key, {"path", "timeout", "attempts"});
  if (node["path"]) {
    check.path = read_scalar<std::string>(node["path"], key + ".path");
    if (!check.path.starts_with("/")) throw YamlError(where(node["path"]) + ": '" + key + ".path' must start with /");
  }
  if (node["timeout"]) check.timeout = read_seconds(node["timeout"], key + ".timeout");
  if (node["attempts"]) {
    check.attempts = read_scalar<int>(node["attempts"], key + ".attempts");
    if (check.attempts < 1 || check.attempts > 600)
      throw YamlError(where(node["attempts"]) + ": '" + key + ".attempts' must be between 1 and 600");
  }
}

void read_timeouts(const YAML::Node& node, const std::string& key, ProxyTimeouts& timeouts) {
  require_map(node, key);
  reject_unknown_keys(node, key, {"connect", "send", "read"});
  if (node["connect"]) timeouts.connect = read_seconds(node["connect"], key + ".connect");
  if (node["send"]) timeouts.send = read_seconds(node["send"], key + ".send");
  if (node["read"]) timeouts.read = read_seconds(node["read"], key + ".read");
}

ServiceSettings read_service(const YAML::Node& node, const std::string& name) {
  const auto key = "services." + name;
  require_map(node, key);
  const bool web = name == "web";
  if (web)
    reject_unknown_keys(node, key, {"run", "replicas", "port", "healthcheck", "timeouts"});
  else
    reject_unknown_keys(node, key, {"run", "replicas"});
  ServiceSettings service;
  if (node["run"]) service.run = read_scalar<std::string>(node["run"], key + ".run");
  if (node["replicas"]) {
    service.replicas = read_scalar<int>(node["replicas"], key + ".replicas");
    if (service.replicas < 0 || service.replicas > 50)
      throw YamlError(where(node["replicas"]) + ": '" + key + ".replicas' must be between 0 and 50");
  }
  if (node["port"]) {
    service.port = read_scalar<int>(node["port"], key + ".port");
    if (*service.port < 1 || *service.port > 65535)
      throw YamlError(where(node["port"]) + ": '" + key + ".port' must be a TCP port");
  }
  if (node["healthcheck"]) read_healthcheck(node["healthcheck"], key + ".healthcheck", service.healthcheck);
  if (node["timeouts"]) read_timeouts(node["timeouts"], key + ".timeouts", service.timeouts);
  return service;
}

void read_services(const YAML::Node& node, AppConfig& config) {
  require_map(node, "services");
  for (const auto& entry : node) {
    const auto name = entry.first.Scalar();
    if (!is_valid_service_name(name))
      throw YamlError(where(entry.first) + ": service name '" + name + "' must match [a-z][a-z0-9-]{0,30}");
    config.services[name] = read_service(entry.second, name);
  }
}

void read_predeploy(const YAML::Node& node, AppConfig& config) {
  require_map(node, "predeploy");
  reject_unknown_keys(node, "predeploy", {"run", "timeout"});
  if (!node["run"]) throw YamlError(where(node) + ": 'predeploy.run' is required");
  Predeploy predeploy{read_scalar<std::string>(node["run"], "predeploy.run")};
  if (node["timeout"]) predeploy.timeout = read_seconds(node["timeout"], "predeploy.timeout");
  config.predeploy = predeploy;
}

}  // namespace

bool is_valid_service_name(const std::string& name) {
  static const std::regex pattern("[a-z][a-z0-9-]{0,30}");
  return std::regex_match(name, pattern);
}

Result<AppConfig> parse_app_config(const std::string& yaml_text) {
  AppConfig config;
  try {
    auto root = load_yaml(yaml_text, "porter.yaml");
    if (root.IsNull()) return config;
    require_map(root, "porter.yaml");
    reject_unknown_keys(root, "porter.yaml", {"build", "services", "predeploy"});
    if (root["build"]) read_build(root["build"], config.build);
    if (root["services"]) read_services(root["services"], config);
    if (root["predeploy"]) read_predeploy(root["predeploy"], config);
  } catch (const YamlError& e) {
    std::string message = e.what();
    if (!message.starts_with("porter.yaml")) message = "porter.yaml " + message;
    return fail(message);
  }
  return config;
}

}  // namespace porter::config
