#include "config/gateway_config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "config/yaml_reader.hpp"
#include "util/file.hpp"

namespace porter::config {
namespace {

BranchMap read_branch_map(const YAML::Node& node, const std::string& what) {
  require_map(node, what);
  BranchMap map;
  for (const auto& entry : node) {
    auto branch = entry.first.Scalar();
    auto environment = read_scalar<std::string>(entry.second, what + "." + branch);
    if (!is_valid_environment_name(environment))
      throw YamlError(where(entry.second) + ": environment name '" + environment +
                      "' must match [a-z][a-z0-9-]{0,30}");
    map.set(branch, environment);
  }
  return map;
}

void read_timeouts(const YAML::Node& node, Timeouts& timeouts) {
  require_map(node, "timeouts");
  reject_unknown_keys(node, "timeouts", {"auth", "idle", "build"});
  auto seconds = [&](const char* key, std::chrono::seconds& out) {
    if (!node[key]) return;
    auto value = read_scalar<int>(node[key], std::string("timeouts.") + key);
    if (value <= 0) throw YamlError(where(node[key]) + ": 'timeouts." + key + "' must be positive");
    out = std::chrono::seconds(value);
  };
  seconds("auth", timeouts.auth);
  seconds("idle", timeouts.idle);
  seconds("build", timeouts.build);
}

void read_autoscaler(const YAML::Node& node, AutoscalerSettings& settings) {
  require_map(node, "autoscaler");
  reject_unknown_keys(node, "autoscaler", {"interval", "scale_down_window"});
  auto seconds = [&](const char* key, std::chrono::seconds& out) {
    if (!node[key]) return;
    auto value = read_scalar<int>(node[key], std::string("autoscaler.") + key);
    if (value <= 0 || value > 86400)
      throw YamlError(where(node[key]) + ": 'autoscaler." + key + "' must be from 1 to 86400 seconds");
    out = std::chrono::seconds(value);
  };
  seconds("interval", settings.interval);
  seconds("scale_down_window", settings.scale_down_window);
}

void read_apps(const YAML::Node& node, GatewayConfig& config) {
  require_map(node, "apps");
  for (const auto& entry : node) {
    auto app = entry.first.Scalar();
    require_map(entry.second, "apps." + app);
    reject_unknown_keys(entry.second, "apps." + app, {"branches"});
    if (entry.second["branches"])
      config.app_branches[app] = read_branch_map(entry.second["branches"], "apps." + app + ".branches");
  }
}

void read_limits(const YAML::Node& node, GatewayConfig& config) {
  require_map(node, "limits");
  reject_unknown_keys(node, "limits",
                      {"push_mb", "checkout_mb", "logs_mb", "app_logs_mb", "preauth_connections", "preauth_per_address",
                       "sessions_per_key"});
  if (node["push_mb"]) config.max_push_mb = read_scalar<std::uint64_t>(node["push_mb"], "limits.push_mb");
  if (node["checkout_mb"])
    config.max_checkout_mb = read_scalar<std::uint64_t>(node["checkout_mb"], "limits.checkout_mb");
  if (node["logs_mb"]) config.logs_budget_mb = read_scalar<std::uint64_t>(node["logs_mb"], "limits.logs_mb");
  if (node["app_logs_mb"])
    config.app_logs_budget_mb = read_scalar<std::uint64_t>(node["app_logs_mb"], "limits.app_logs_mb");
  auto positive = [&](const char* key, std::size_t& out) {
    if (!node[key]) return;
    const auto name = std::string("limits.") + key;
    const auto& value = node[key];
    static const std::regex digits("[0-9]{1,9}");
    if (!value.IsScalar() || !std::regex_match(value.Scalar(), digits) || std::stoul(value.Scalar()) == 0)
      throw YamlError(where(value) + ": '" + name + "' must be a positive integer" +
                      (value.IsScalar() ? ", not '" + value.Scalar() + "'" : ""));
    out = std::stoul(value.Scalar());
  };
  positive("preauth_connections", config.connections.preauth_connections);
  positive("preauth_per_address", config.connections.preauth_per_address);
  positive("sessions_per_key", config.connections.sessions_per_key);
}

void read_cache(const YAML::Node& node, GatewayConfig& config) {
  require_map(node, "cache");
  reject_unknown_keys(node, "cache", {"budget_mb"});
  if (node["budget_mb"]) config.cache_budget_mb = read_scalar<std::uint64_t>(node["budget_mb"], "cache.budget_mb");
}

// `listen` and `proxy.listen` ("proxy listen" in messages) take HOST:PORT.
Result<> apply_host_port(const std::string& what, const std::string& text, std::string& host, int& port) {
  auto host_port = parse_host_port(text);
  if (!host_port) return fail(what + ": expected HOST:PORT, got '" + text + "'");
  std::tie(host, port) = *host_port;
  return ok();
}

Result<> apply_listen(GatewayConfig& config, const std::string& listen) {
  return apply_host_port("listen", listen, config.listen_host, config.listen_port);
}

Result<> apply_proxy_listen(GatewayConfig& config, const std::string& listen) {
  return apply_host_port("proxy listen", listen, config.proxy_host, config.proxy_port);
}

// A value checked outside the YAML model still names its line.
void require_applied(const Result<>& applied, const YAML::Node& node) {
  if (!applied) throw YamlError(where(node) + ": " + applied.error().message);
}

void read_proxy(const YAML::Node& node, GatewayConfig& config) {
  require_map(node, "proxy");
  reject_unknown_keys(node, "proxy", {"listen", "domain"});
  if (node["listen"])
    require_applied(apply_proxy_listen(config, read_scalar<std::string>(node["listen"], "proxy.listen")),
                    node["listen"]);
  if (node["domain"]) config.proxy_domain = read_scalar<std::string>(node["domain"], "proxy.domain");
}

Result<> apply_dashboard_listen(GatewayConfig& config, const std::string& listen) {
  return apply_host_port("dashboard listen", listen, config.dashboard.host, config.dashboard.port);
}

void read_dashboard(const YAML::Node& node, GatewayConfig& config) {
  require_map(node, "dashboard");
  reject_unknown_keys(node, "dashboard", {"listen", "login_seconds", "session_hours", "assets", "public_url"});
  if (node["listen"])
    require_applied(apply_dashboard_listen(config, read_scalar<std::string>(node["listen"], "dashboard.listen")),
                    node["listen"]);
  const auto positive = [&](const char* key, int most) {
    const auto value = read_scalar<int>(node[key], std::string("dashboard.") + key);
    if (value <= 0 || value > most)
      throw YamlError(where(node[key]) + ": 'dashboard." + key + "' must be from 1 to " + std::to_string(most));
    return value;
  };
  if (node["login_seconds"]) config.dashboard.login_ttl = std::chrono::seconds(positive("login_seconds", 3600));
  if (node["session_hours"]) config.dashboard.session_ttl = std::chrono::hours(positive("session_hours", 24 * 30));
  if (node["assets"]) config.dashboard.assets = read_scalar<std::string>(node["assets"], "dashboard.assets");
  if (node["public_url"]) {
    static const std::regex kUrl("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?");
    auto url = read_scalar<std::string>(node["public_url"], "dashboard.public_url");
    if (!std::regex_match(url, kUrl))
      throw YamlError(where(node["public_url"]) + ": 'dashboard.public_url' must be an http:// or https:// URL, like "
                      "https://porter.example.com");
    while (url.ends_with('/')) url.pop_back();  // login links append "/login/..."
    config.dashboard.public_url = url;
  }
}

// A host name or IPv4 address, optionally with a port: what a git URL's
// host must match. Stored lowercase, as URLs are compared.
std::string read_buildpack_host(const YAML::Node& node) {
  static const std::regex pattern(R"([a-z0-9]([a-z0-9.-]*[a-z0-9])?(:([0-9]{1,5}))?)");
  auto host = read_scalar<std::string>(node, "buildpack_hosts");
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  std::smatch match;
  const bool valid = std::regex_match(host, match, pattern) &&
                     (!match[3].matched || (std::stoi(match[3]) >= 1 && std::stoi(match[3]) <= 65535));
  if (!valid)
    throw YamlError(where(node) + ": 'buildpack_hosts' entries are host names, optionally with :PORT; got '" +
                    node.Scalar() + "'");
  return host;
}

std::vector<int> read_host_services(const YAML::Node& node) {
  if (!node.IsSequence()) throw YamlError(where(node) + ": 'host_services' must be a list of TCP ports");
  std::vector<int> ports;
  for (const auto& item : node) {
    const auto port = read_scalar<int>(item, "host_services");
    if (port < 1 || port > 65535) throw YamlError(where(item) + ": 'host_services' entries are TCP ports (1-65535)");
    ports.push_back(port);
  }
  return ports;
}

std::vector<std::string> read_buildpack_hosts(const YAML::Node& node) {
  if (!node.IsSequence()) throw YamlError(where(node) + ": 'buildpack_hosts' must be a list of host names");
  std::vector<std::string> hosts;
  for (const auto& item : node) hosts.push_back(read_buildpack_host(item));
  return hosts;
}

ClusterTarget read_cluster_target(const YAML::Node& node, const std::string& what) {
  require_map(node, what);
  reject_unknown_keys(node, what,
                      {"cluster", "kubeconfig", "context", "namespace", "registry", "domain", "image_pull_secret",
                       "user_namespaces"});
  ClusterTarget target;
  const auto text = [&](const char* key) {
    return node[key] ? read_scalar<std::string>(node[key], what + "." + key) : std::string();
  };
  const auto kind = node["cluster"] ? text("cluster") : std::string("local");
  if (kind == "kubernetes") {
    target.kind = ClusterTarget::Kind::kubernetes;
  } else if (kind != "local") {
    throw YamlError(where(node["cluster"]) + ": '" + what + ".cluster' is local or kubernetes, not '" + kind + "'");
  }
  target.kubeconfig = text("kubeconfig");
  target.context = text("context");
  target.namespace_name = text("namespace");
  target.registry = text("registry");
  target.domain = text("domain");
  target.image_pull_secret = text("image_pull_secret");
  if (node["user_namespaces"])
    target.user_namespaces = read_scalar<bool>(node["user_namespaces"], what + ".user_namespaces");
  if (target.kind == ClusterTarget::Kind::local && node.size() > 1)
    throw YamlError(where(node) + ": '" + what + "' runs locally (cluster: local) and takes no other key");
  if (target.kind == ClusterTarget::Kind::kubernetes && target.kubeconfig.empty())
    throw YamlError(where(node) + ": '" + what + ".kubeconfig' is required with cluster: kubernetes");
  static const std::regex dns_label("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  for (const auto& [key, value] : {std::pair{"namespace", target.namespace_name},
                                   std::pair{"image_pull_secret", target.image_pull_secret}})
    if (!value.empty() && !std::regex_match(value, dns_label))
      throw YamlError(where(node[key]) + ": '" + what + "." + key + "' must be a DNS label, not '" + value + "'");
  return target;
}

std::map<std::string, ClusterTarget> read_environments(const YAML::Node& node) {
  require_map(node, "environments");
  std::map<std::string, ClusterTarget> environments;
  for (const auto& entry : node) {
    const auto env = entry.first.Scalar();
    if (!is_valid_environment_name(env))
      throw YamlError(where(entry.first) + ": environment name '" + env + "' must match [a-z][a-z0-9-]{0,30}");
    environments[env] = read_cluster_target(entry.second, "environments." + env);
  }
  return environments;
}

// One per data dir, so that gateways with their own data never share builds.
std::filesystem::path default_sandbox_dir(const std::filesystem::path& data_dir) {
  std::ostringstream name;
  name << std::hex << std::hash<std::string>{}(std::filesystem::weakly_canonical(data_dir).string());
  return std::filesystem::path("/var/lib/porter/sandbox") / name.str();
}

std::filesystem::path default_data_dir() {
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/var/lib") / ".porter";
}

}  // namespace

const BranchMap& GatewayConfig::branches_for(const std::string& app) const {
  auto it = app_branches.find(app);
  return it == app_branches.end() ? branches : it->second;
}

const ClusterTarget& GatewayConfig::cluster_for(const std::string& env) const {
  static const ClusterTarget local;
  auto it = environments.find(env);
  return it == environments.end() ? local : it->second;
}

const std::string& GatewayConfig::registry_for(const std::string& env) const {
  const auto& target = cluster_for(env);
  return target.registry.empty() ? registry : target.registry;
}

std::optional<std::pair<std::string, int>> parse_host_port(const std::string& text) {
  static const std::regex pattern(R"(([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5}))");
  std::smatch match;
  if (!std::regex_match(text, match, pattern)) return std::nullopt;
  int port = std::stoi(match[2]);
  if (port > 65535) return std::nullopt;
  return std::make_pair(match[1].str(), port);
}

Result<GatewayConfig> parse_gateway_config(const std::string& yaml_text) {
  GatewayConfig config;
  try {
    auto root = load_yaml(yaml_text, "gateway.yaml");
    if (root.IsNull()) return config;
    require_map(root, "gateway.yaml");
    reject_unknown_keys(root, "gateway.yaml",
                        {"listen", "data_dir", "authorized_keys", "host_key", "require_app_create", "registry",
                         "buildpacks_dir", "buildpack_hosts", "host_services", "cache", "limits", "proxy",
                         "hooks_dir", "branches", "apps", "timeouts", "environments", "kubectl", "autoscaler",
                         "dashboard"});
    if (root["listen"])
      require_applied(apply_listen(config, read_scalar<std::string>(root["listen"], "listen")), root["listen"]);
    if (root["data_dir"]) config.data_dir = read_scalar<std::string>(root["data_dir"], "data_dir");
    if (root["authorized_keys"])
      config.authorized_keys = read_scalar<std::string>(root["authorized_keys"], "authorized_keys");
    if (root["host_key"]) config.host_key = read_scalar<std::string>(root["host_key"], "host_key");
    if (root["require_app_create"])
      config.require_app_create = read_scalar<bool>(root["require_app_create"], "require_app_create");
    if (root["registry"]) config.registry = read_scalar<std::string>(root["registry"], "registry");
    if (root["buildpacks_dir"])
      config.buildpacks_dir = read_scalar<std::string>(root["buildpacks_dir"], "buildpacks_dir");
    if (root["buildpack_hosts"]) config.buildpack_hosts = read_buildpack_hosts(root["buildpack_hosts"]);
    if (root["host_services"]) config.host_services = read_host_services(root["host_services"]);
    if (root["cache"]) read_cache(root["cache"], config);
    if (root["limits"]) read_limits(root["limits"], config);
    if (root["proxy"]) read_proxy(root["proxy"], config);
    if (root["hooks_dir"]) config.hooks_dir = read_scalar<std::string>(root["hooks_dir"], "hooks_dir");
    if (root["branches"]) config.branches = read_branch_map(root["branches"], "branches");
    if (root["apps"]) read_apps(root["apps"], config);
    if (root["timeouts"]) read_timeouts(root["timeouts"], config.timeouts);
    if (root["autoscaler"]) read_autoscaler(root["autoscaler"], config.autoscaler);
    if (root["environments"]) config.environments = read_environments(root["environments"]);
    if (root["dashboard"]) read_dashboard(root["dashboard"], config);
    if (root["kubectl"]) config.kubectl = read_scalar<std::string>(root["kubectl"], "kubectl");
  } catch (const YamlError& e) {
    return fail(e.what());
  }
  return config;
}

Result<GatewayConfig> load_gateway_config(const Overrides& overrides) {
  GatewayConfig config;
  if (overrides.config_file) {
    const auto file = overrides.config_file->string();
    if (!std::ifstream(file)) return fail(file + ": cannot read");
    auto parsed = parse_gateway_config(util::read_file(file));
    if (!parsed) return fail(file + ": " + parsed.error().message);
    config = std::move(*parsed);
  }
  if (overrides.listen)
    if (auto applied = apply_listen(config, *overrides.listen); !applied) return std::unexpected(applied.error());
  if (overrides.data_dir) config.data_dir = *overrides.data_dir;
  if (overrides.authorized_keys) config.authorized_keys = *overrides.authorized_keys;
  if (overrides.registry) config.registry = *overrides.registry;
  if (overrides.proxy_listen)
    if (auto applied = apply_proxy_listen(config, *overrides.proxy_listen); !applied)
      return std::unexpected(applied.error());
  if (overrides.dashboard_listen)
    if (auto applied = apply_dashboard_listen(config, *overrides.dashboard_listen); !applied)
      return std::unexpected(applied.error());
  for (const auto& [env, target] : config.environments)
    if (target.kind == ClusterTarget::Kind::kubernetes && config.registry_for(env).empty())
      return fail("environments." + env + ": a Kubernetes cluster pulls its images from a registry; set 'registry'");
  if (config.buildpacks_dir.empty()) config.buildpacks_dir = PORTER_SOURCE_DIR "/buildpacks";
  if (config.dashboard.assets.empty()) config.dashboard.assets = PORTER_SOURCE_DIR "/dashboard/dist";
  if (config.data_dir.empty()) config.data_dir = default_data_dir();
  config.data_dir = std::filesystem::absolute(config.data_dir);
  if (config.authorized_keys.empty()) config.authorized_keys = config.data_dir / "authorized_keys";
  if (config.host_key.empty()) config.host_key = config.data_dir / "ssh_host_ed25519_key";
  if (config.hooks_dir.empty()) config.hooks_dir = config.data_dir / "hooks";
  if (config.sandbox_dir.empty()) config.sandbox_dir = default_sandbox_dir(config.data_dir);
  return config;
}

}  // namespace porter::config
