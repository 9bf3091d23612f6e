#include "release/release_plan.hpp"

#include <yaml-cpp/yaml.h>

#include <set>

namespace porter::release {
namespace {

// A process type only the Procfile names starts this many replicas: web and
// worker one, any other none until porter.yaml declares it (Procfiles list
// dev-only types too, e.g. `custom: echo -n`), as Heroku and Dokku do.
int procfile_replicas(const std::string& name) { return name == "web" || name == "worker" ? 1 : 0; }

std::vector<std::string> with_shell(const std::vector<std::string>& shell, const std::string& command) {
  auto argv = shell;
  argv.push_back(command);
  return argv;
}

// Resources, autoscaling and disk: keys only when declared, so plans
// recorded before them read back the same.
void emit_day2(YAML::Emitter& out, const Service& service) {
  if (service.resources.millicpu) out << YAML::Key << "millicpu" << YAML::Value << *service.resources.millicpu;
  if (service.resources.memory_bytes)
    out << YAML::Key << "memory_bytes" << YAML::Value << *service.resources.memory_bytes;
  if (const auto& scaling = service.autoscaling) {
    out << YAML::Key << "autoscaling" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "min"
        << YAML::Value << scaling->min << YAML::Key << "max" << YAML::Value << scaling->max;
    if (scaling->cpu_percent) out << YAML::Key << "cpu_percent" << YAML::Value << *scaling->cpu_percent;
    if (scaling->memory_percent) out << YAML::Key << "memory_percent" << YAML::Value << *scaling->memory_percent;
    out << YAML::EndMap;
  }
  if (const auto& disk = service.disk)
    out << YAML::Key << "disk" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "path" << YAML::Value
        << disk->path << YAML::Key << "size_bytes" << YAML::Value << disk->size_bytes << YAML::EndMap;
}

void read_day2(const YAML::Node& node, Service& service) {
  if (node["millicpu"]) service.resources.millicpu = node["millicpu"].as<int>();
  if (node["memory_bytes"]) service.resources.memory_bytes = node["memory_bytes"].as<std::uint64_t>();
  if (const auto scaling = node["autoscaling"]) {
    service.autoscaling = config::Autoscaling{scaling["min"].as<int>(), scaling["max"].as<int>(), std::nullopt,
                                              std::nullopt};
    if (scaling["cpu_percent"]) service.autoscaling->cpu_percent = scaling["cpu_percent"].as<int>();
    if (scaling["memory_percent"]) service.autoscaling->memory_percent = scaling["memory_percent"].as<int>();
  }
  if (const auto disk = node["disk"])
    service.disk = config::Disk{disk["path"].as<std::string>(), disk["size_bytes"].as<std::uint64_t>()};
}

}  // namespace

const Service* ReleasePlan::web() const { return service("web"); }

const Service* ReleasePlan::service(const std::string& name) const {
  for (const auto& service : services)
    if (service.name == name) return &service;
  return nullptr;
}

Result<ReleasePlan> plan_release(const config::AppConfig& app_config, const builders::ProcessTypes& processes,
                                 const std::vector<std::string>& shell, bool image_has_command) {
  ReleasePlan plan;
  // The Procfile's `release:` is Heroku's release phase; porter.yaml's predeploy wins.
  if (app_config.predeploy) {
    plan.predeploy = with_shell(shell, app_config.predeploy->run);
    plan.predeploy_timeout = app_config.predeploy->timeout;
  } else if (auto release = processes.find("release"); release != processes.end()) {
    plan.predeploy = with_shell(shell, release->second);
  }

  std::set<std::string> names;
  for (const auto& [name, command] : processes)
    if (name != "release") names.insert(name);
  // A bare Dockerfile is a web service; a Procfile says what runs.
  if (names.empty() && image_has_command) names.insert("web");
  for (const auto& [name, settings] : app_config.services) names.insert(name);
  if (names.empty())
    return fail("nothing to run: the image has no command and there is no Procfile; add one, or services.web.run");

  for (const auto& name : names) {
    auto settings_it = app_config.services.find(name);
    const bool declared = settings_it != app_config.services.end();
    const auto settings = declared ? settings_it->second : config::ServiceSettings{};
    auto process = processes.find(name);
    const int replicas = declared || process == processes.end() ? settings.replicas : procfile_replicas(name);
    Service service{name,          {},
                    replicas,      settings.port,
                    settings.healthcheck, settings.timeouts,
                    settings.resources,   settings.autoscaling,
                    settings.disk};
    if (settings.run)
      service.argv = with_shell(shell, *settings.run);
    else if (process != processes.end())
      service.argv = with_shell(shell, process->second);
    else if (name != "web" || !image_has_command)
      return fail("service '" + name + "' has no command: add it to the Procfile or set services." + name + ".run");
    if (!config::is_valid_service_name(name))
      return fail("process type '" + name + "' must match [a-z][a-z0-9-]{0,30}");
    plan.services.push_back(service);
  }
  for (const auto& [name, job] : app_config.jobs)
    plan.jobs.push_back({name, with_shell(shell, job.run), job.schedule, job.timeout});
  return plan;
}

std::string to_yaml(const ReleasePlan& plan) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "image" << YAML::Value << plan.image;
  out << YAML::Key << "predeploy" << YAML::Value << YAML::Flow << plan.predeploy;
  out << YAML::Key << "predeploy_timeout" << YAML::Value << plan.predeploy_timeout.count();
  out << YAML::Key << "services" << YAML::Value << YAML::BeginSeq;
  for (const auto& service : plan.services) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << service.name;
    out << YAML::Key << "argv" << YAML::Value << YAML::Flow << service.argv;
    out << YAML::Key << "replicas" << YAML::Value << service.replicas;
    if (service.port) out << YAML::Key << "port" << YAML::Value << *service.port;
    out << YAML::Key << "health_path" << YAML::Value << service.healthcheck.path;
    out << YAML::Key << "health_timeout" << YAML::Value << service.healthcheck.timeout.count();
    out << YAML::Key << "health_attempts" << YAML::Value << service.healthcheck.attempts;
    out << YAML::Key << "proxy_timeouts" << YAML::Value << YAML::Flow << YAML::BeginSeq
        << service.timeouts.connect.count() << service.timeouts.send.count() << service.timeouts.read.count()
        << YAML::EndSeq;
    emit_day2(out, service);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "jobs" << YAML::Value << YAML::BeginSeq;
  for (const auto& job : plan.jobs)
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << job.name << YAML::Key << "argv" << YAML::Value
        << YAML::Flow << job.argv << YAML::Key << "schedule" << YAML::Value << job.schedule << YAML::Key << "timeout"
        << YAML::Value << job.timeout.count() << YAML::EndMap;
  out << YAML::EndSeq << YAML::EndMap;
  return out.c_str();
}

Result<ReleasePlan> from_yaml(const std::string& text) {
  try {
    auto root = YAML::Load(text);
    ReleasePlan plan;
    plan.image = root["image"].as<std::string>();
    plan.predeploy = root["predeploy"].as<std::vector<std::string>>();
    plan.predeploy_timeout = std::chrono::seconds(root["predeploy_timeout"].as<long>());
    for (const auto& node : root["services"]) {
      Service service;
      service.name = node["name"].as<std::string>();
      service.argv = node["argv"].as<std::vector<std::string>>();
      service.replicas = node["replicas"].as<int>();
      if (node["port"]) service.port = node["port"].as<int>();
      service.healthcheck.path = node["health_path"].as<std::string>();
      service.healthcheck.timeout = std::chrono::seconds(node["health_timeout"].as<long>());
      service.healthcheck.attempts = node["health_attempts"].as<int>();
      auto timeouts = node["proxy_timeouts"].as<std::vector<long>>();
      if (timeouts.size() != 3) return fail("release plan: proxy_timeouts must hold 3 values");
      service.timeouts = {std::chrono::seconds(timeouts[0]), std::chrono::seconds(timeouts[1]),
                          std::chrono::seconds(timeouts[2])};
      read_day2(node, service);
      plan.services.push_back(service);
    }
    for (const auto& node : root["jobs"])  // absent in plans recorded before jobs existed
      plan.jobs.push_back({node["name"].as<std::string>(), node["argv"].as<std::vector<std::string>>(),
                           node["schedule"].as<std::string>(), std::chrono::seconds(node["timeout"].as<long>())});
    return plan;
  } catch (const YAML::Exception& e) {
    return fail("release plan: " + e.msg);
  }
}

std::string describe_services(const ReleasePlan& plan) {
  std::string text;
  for (const auto& service : plan.services)
    text += (text.empty() ? "" : ", ") + service.name + " x" + std::to_string(service.replicas);
  return text;
}

}  // namespace porter::release
