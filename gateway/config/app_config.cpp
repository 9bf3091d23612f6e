#include "config/app_config.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

#include "config/quantities.hpp"
#include "config/yaml_reader.hpp"
#include "cron/cron.hpp"

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

std::uint64_t read_size(const YAML::Node& node, const std::string& key) {
  const auto bytes = parse_size(read_scalar<std::string>(node, key));
  if (!bytes)
    throw YamlError(where(node) + ": '" + key + "' is a size, like 512M or 5G, not '" + node.Scalar() + "'");
  return *bytes;
}

Resources read_resources(const YAML::Node& node, const std::string& key) {
  require_map(node, key);
  reject_unknown_keys(node, key, {"cpu", "memory"});
  Resources resources;
  if (node["cpu"]) {
    resources.millicpu = parse_millicpu(read_scalar<std::string>(node["cpu"], key + ".cpu"));
    if (!resources.millicpu)
      throw YamlError(where(node["cpu"]) + ": '" + key + ".cpu' is CPUs, like 0.5, 2 or 250m (at most 64), not '" +
                      node["cpu"].Scalar() + "'");
  }
  if (node["memory"]) resources.memory_bytes = read_size(node["memory"], key + ".memory");
  return resources;
}

int read_percent(const YAML::Node& node, const std::string& key) {
  const auto percent = read_scalar<int>(node, key);
  if (percent < 1 || percent > 1000) throw YamlError(where(node) + ": '" + key + "' must be between 1 and 1000");
  return percent;
}

// Usage is a share of what is declared: a CPU target needs resources.cpu.
Autoscaling read_autoscaling(const YAML::Node& node, const std::string& key, const Resources& resources) {
  require_map(node, key);
  reject_unknown_keys(node, key, {"min", "max", "cpu_percent", "memory_percent"});
  if (!node["min"] || !node["max"]) throw YamlError(where(node) + ": '" + key + "' needs min and max");
  Autoscaling scaling{read_scalar<int>(node["min"], key + ".min"), read_scalar<int>(node["max"], key + ".max"),
                      std::nullopt, std::nullopt};
  if (scaling.min < 1 || scaling.max < scaling.min || scaling.max > 50)
    throw YamlError(where(node) + ": '" + key + "' needs 1 <= min <= max <= 50");
  if (node["cpu_percent"]) scaling.cpu_percent = read_percent(node["cpu_percent"], key + ".cpu_percent");
  if (node["memory_percent"]) scaling.memory_percent = read_percent(node["memory_percent"], key + ".memory_percent");
  if (!scaling.cpu_percent && !scaling.memory_percent)
    throw YamlError(where(node) + ": '" + key + "' needs cpu_percent or memory_percent");
  if (scaling.cpu_percent && !resources.millicpu)
    throw YamlError(where(node) + ": '" + key + ".cpu_percent' is a share of resources.cpu: declare it");
  if (scaling.memory_percent && !resources.memory_bytes)
    throw YamlError(where(node) + ": '" + key + ".memory_percent' is a share of resources.memory: declare it");
  return scaling;
}

Disk read_disk(const YAML::Node& node, const std::string& key) {
  require_map(node, key);
  reject_unknown_keys(node, key, {"path", "size"});
  if (!node["path"] || !node["size"]) throw YamlError(where(node) + ": '" + key + "' needs path and size");
  Disk disk{read_scalar<std::string>(node["path"], key + ".path"), read_size(node["size"], key + ".size")};
  if (!disk.path.starts_with("/") || disk.path == "/" || disk.path.size() > 255 || has_control_characters(disk.path) ||
      has_parent_component(disk.path))
    throw YamlError(where(node["path"]) + ": '" + key + ".path' must be an absolute path in the container, not '" +
                    disk.path + "'");
  return disk;
}

ServiceSettings read_service(const YAML::Node& node, const std::string& name) {
  const auto key = "services." + name;
  require_map(node, key);
  const bool web = name == "web";
  if (web)
    reject_unknown_keys(node, key,
                        {"run", "replicas", "port", "healthcheck", "timeouts", "resources", "autoscaling", "disk"});
  else
    reject_unknown_keys(node, key, {"run", "replicas", "resources", "autoscaling", "disk"});
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
  if (node["resources"]) service.resources = read_resources(node["resources"], key + ".resources");
  if (node["autoscaling"]) {
    if (node["replicas"])
      throw YamlError(where(node["replicas"]) + ": '" + key + ".replicas' and '" + key +
                      ".autoscaling' exclude each other (autoscaling.min replicas start)");
    service.autoscaling = read_autoscaling(node["autoscaling"], key + ".autoscaling", service.resources);
    service.replicas = service.autoscaling->min;
  }
  if (node["disk"]) service.disk = read_disk(node["disk"], key + ".disk");
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

void read_jobs(const YAML::Node& node, AppConfig& config) {
  require_map(node, "jobs");
  for (const auto& entry : node) {
    const auto name = entry.first.Scalar();
    const auto key = "jobs." + name;
    if (!is_valid_service_name(name))
      throw YamlError(where(entry.first) + ": job name '" + name + "' must match [a-z][a-z0-9-]{0,30}");
    require_map(entry.second, key);
    reject_unknown_keys(entry.second, key, {"run", "schedule", "timeout"});
    const auto& job = entry.second;
    if (!job["run"] || !job["schedule"]) throw YamlError(where(job) + ": '" + key + "' needs run and schedule");
    JobSettings settings{read_scalar<std::string>(job["run"], key + ".run"),
                         read_scalar<std::string>(job["schedule"], key + ".schedule")};
    if (auto schedule = cron::Schedule::parse(settings.schedule); !schedule)
      throw YamlError(where(job["schedule"]) + ": '" + key + ".schedule': " + schedule.error().message);
    if (job["timeout"]) settings.timeout = read_seconds(job["timeout"], key + ".timeout");
    config.jobs[name] = settings;
  }
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
    reject_unknown_keys(root, "porter.yaml", {"build", "services", "predeploy", "jobs"});
    if (root["build"]) read_build(root["build"], config.build);
    if (root["services"]) read_services(root["services"], config);
    if (root["predeploy"]) read_predeploy(root["predeploy"], config);
    if (root["jobs"]) read_jobs(root["jobs"], config);
  } catch (const YamlError& e) {
    std::string message = e.what();
    if (!message.starts_with("porter.yaml")) message = "porter.yaml " + message;
    return fail(message);
  }
  return config;
}

}  // namespace porter::config
