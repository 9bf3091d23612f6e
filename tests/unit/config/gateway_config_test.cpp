#include "config/gateway_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace porter::config {
namespace {

GatewayConfig parse_ok(const std::string& yaml) {
  auto parsed = parse_gateway_config(yaml);
  if (!parsed) ADD_FAILURE() << parsed.error().message;
  return parsed.value_or(GatewayConfig{});
}

std::string parse_error(const std::string& yaml) {
  auto parsed = parse_gateway_config(yaml);
  EXPECT_FALSE(parsed) << yaml;
  return parsed ? "" : parsed.error().message;
}

TEST(GatewayConfig, EmptyFileGivesDefaults) {
  auto config = parse_ok("");
  EXPECT_EQ(config.listen_host, "127.0.0.1");
  EXPECT_EQ(config.listen_port, 2222);
  EXPECT_FALSE(config.require_app_create);
  EXPECT_EQ(config.branches_for("any").environment_for("refs/heads/main"), "production");
  EXPECT_EQ(config.timeouts.build, std::chrono::seconds(1800));
}

TEST(GatewayConfig, ReadsEverySetting) {
  auto config = parse_ok(R"(
listen: 0.0.0.0:2200
data_dir: /srv/porter
require_app_create: true
branches: {main: production, qa: qa}
apps:
  shop:
    branches: {trunk: production}
timeouts: {auth: 5, idle: 60, build: 120}
proxy: {listen: 127.0.0.1:8181, domain: apps.test}
)");
  EXPECT_EQ(config.listen_host, "0.0.0.0");
  EXPECT_EQ(config.listen_port, 2200);
  EXPECT_EQ(config.data_dir, "/srv/porter");
  EXPECT_TRUE(config.require_app_create);
  EXPECT_EQ(config.branches_for("other").environment_for("refs/heads/qa"), "qa");
  EXPECT_EQ(config.branches_for("other").environment_for("refs/heads/staging"), std::nullopt);
  EXPECT_EQ(config.branches_for("shop").environment_for("refs/heads/trunk"), "production");
  EXPECT_EQ(config.branches_for("shop").environment_for("refs/heads/main"), std::nullopt);
  EXPECT_EQ(config.timeouts.auth, std::chrono::seconds(5));
  EXPECT_EQ(config.proxy_port, 8181);
  EXPECT_EQ(config.proxy_domain, "apps.test");
}

TEST(GatewayConfig, ErrorsNameLineAndKey) {
  auto error = parse_error("listen: 127.0.0.1:2222\nlisen: x\n");
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
  EXPECT_NE(error.find("'lisen'"), std::string::npos) << error;
  error = parse_error("timeouts:\n  build: soon\n");
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
  EXPECT_NE(error.find("timeouts.build"), std::string::npos) << error;
  EXPECT_NE(parse_error("listen: nowhere").find("HOST:PORT"), std::string::npos);
  EXPECT_NE(parse_error("branches: {main: Prod!}").find("environment name"), std::string::npos);
  EXPECT_NE(parse_error("branches: [main\n").find("invalid YAML"), std::string::npos);
}

TEST(GatewayConfig, FlagsOverrideTheFile) {
  Overrides overrides;
  overrides.listen = "127.0.0.1:0";
  overrides.data_dir = "/tmp/porter-test-data";
  auto loaded = load_gateway_config(overrides);
  ASSERT_TRUE(loaded) << loaded.error().message;
  const auto& config = *loaded;
  EXPECT_EQ(config.listen_port, 0);
  EXPECT_EQ(config.authorized_keys, "/tmp/porter-test-data/authorized_keys");
  EXPECT_EQ(config.host_key, "/tmp/porter-test-data/ssh_host_ed25519_key");
}

TEST(GatewayConfig, BadListenAddressesAreErrors) {
  EXPECT_EQ(parse_error("proxy: {listen: nowhere}"), "line 1: proxy listen: expected HOST:PORT, got 'nowhere'");
  Overrides overrides;
  overrides.listen = "nowhere";
  auto loaded = load_gateway_config(overrides);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, "listen: expected HOST:PORT, got 'nowhere'");
  overrides.listen.reset();
  overrides.proxy_listen = "127.0.0.1:http";
  loaded = load_gateway_config(overrides);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, "proxy listen: expected HOST:PORT, got '127.0.0.1:http'");
}

TEST(GatewayConfig, Dashboard) {
  auto parsed = parse_gateway_config("dashboard: {listen: 0.0.0.0:9000, login_seconds: 2, session_hours: 1, assets: /srv/ui}\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->dashboard.host, "0.0.0.0");
  EXPECT_EQ(parsed->dashboard.port, 9000);
  EXPECT_EQ(parsed->dashboard.login_ttl, std::chrono::seconds(2));
  EXPECT_EQ(parsed->dashboard.session_ttl, std::chrono::hours(1));
  EXPECT_EQ(parsed->dashboard.assets, "/srv/ui");
  const auto defaults = parse_gateway_config("");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->dashboard.port, 8090);
  EXPECT_EQ(defaults->dashboard.login_ttl, std::chrono::seconds(60));
  EXPECT_EQ(defaults->dashboard.session_ttl, std::chrono::hours(12));
  EXPECT_EQ(parse_error("dashboard: {listen: nowhere}"), "line 1: dashboard listen: expected HOST:PORT, got 'nowhere'");
  EXPECT_EQ(parse_error("dashboard: {login_seconds: 0}"), "line 1: 'dashboard.login_seconds' must be from 1 to 3600");
  EXPECT_NE(parse_error("dashboard: {password: x}").find("password"), std::string::npos);
  EXPECT_TRUE(defaults->dashboard.public_url.empty());
  EXPECT_FALSE(defaults->dashboard.is_https());
}

TEST(GatewayConfig, DashboardPublicUrl) {
  auto parsed = parse_gateway_config("dashboard: {public_url: 'https://porter.example.com/'}\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->dashboard.public_url, "https://porter.example.com");
  EXPECT_TRUE(parsed->dashboard.is_https());
  parsed = parse_gateway_config("dashboard: {public_url: 'http://10.0.0.5:8090'}\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_FALSE(parsed->dashboard.is_https());
  for (const auto* bad : {"porter.example.com", "ftp://porter.example.com", "https://", "https://a b"})
    EXPECT_NE(parse_error(std::string("dashboard: {public_url: '") + bad + "'}").find("dashboard.public_url"),
              std::string::npos)
        << bad;
}

TEST(GatewayConfig, DashboardListenOverride) {
  Overrides overrides;
  overrides.dashboard_listen = "127.0.0.1:0";
  auto loaded = load_gateway_config(overrides);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->dashboard.port, 0);
  EXPECT_FALSE(loaded->dashboard.assets.empty());
}

TEST(GatewayConfig, FileErrorsNameTheFile) {
  const auto file = std::filesystem::temp_directory_path() / ("porter-gateway-" + std::to_string(::getpid()) + ".yaml");
  Overrides overrides;
  overrides.config_file = file;
  auto loaded = load_gateway_config(overrides);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, file.string() + ": cannot read");

  std::ofstream(file) << "listen: 127.0.0.1:2200\nlisen: x\n";
  loaded = load_gateway_config(overrides);
  std::filesystem::remove(file);
  ASSERT_FALSE(loaded);
  EXPECT_TRUE(loaded.error().message.starts_with(file.string() + ": line 2: unknown key 'lisen'"))
      << loaded.error().message;
}

TEST(GatewayConfig, BuildpackHostsDefaultToTheBigForges) {
  EXPECT_EQ(parse_ok("").buildpack_hosts,
            (std::vector<std::string>{"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"}));
}

TEST(GatewayConfig, ReadsBuildpackHosts) {
  EXPECT_EQ(parse_ok("buildpack_hosts: [GitHub.com, git.example.org:8443, 127.0.0.1]").buildpack_hosts,
            (std::vector<std::string>{"github.com", "git.example.org:8443", "127.0.0.1"}));
  EXPECT_EQ(parse_ok("buildpack_hosts:\n  - codeberg.org\n").buildpack_hosts, std::vector<std::string>{"codeberg.org"});
  EXPECT_TRUE(parse_ok("buildpack_hosts: []").buildpack_hosts.empty());  // no git buildpacks at all
}

TEST(GatewayConfig, RefusesBadBuildpackHosts) {
  EXPECT_EQ(parse_error("buildpack_hosts: github.com"), "line 1: 'buildpack_hosts' must be a list of host names");
  EXPECT_NE(parse_error("buildpack_hosts:\n").find("'buildpack_hosts' must be a list of host names"),
            std::string::npos);
  EXPECT_EQ(parse_error("listen: 127.0.0.1:2222\nbuildpack_hosts:\n  - github.com\n  - https://gitlab.com\n"),
            "line 4: 'buildpack_hosts' entries are host names, optionally with :PORT; got 'https://gitlab.com'");
  for (const auto* bad : {"'*.github.com'", "'github.com:0'", "'github.com:70000'", "'github.com:'", "'a b'",
                          "'-github.com'", "'github.com.'", "'user@github.com'", "'[::1]'", "''"})
    EXPECT_NE(parse_error(std::string("buildpack_hosts: [") + bad + "]")
                  .find("'buildpack_hosts' entries are host names"),
              std::string::npos)
        << bad;
  EXPECT_NE(parse_error("buildpack_hosts: [[github.com]]").find("'buildpack_hosts' must be a single value"),
            std::string::npos);
}

TEST(GatewayConfig, ReadsThePushLimit) {
  EXPECT_EQ(parse_ok("").max_push_mb, 0u);  // no limit
  EXPECT_EQ(parse_ok("limits: {push_mb: 512}").max_push_mb, 512u);
  EXPECT_FALSE(parse_gateway_config("limits: {push_mb: lots}"));
  EXPECT_FALSE(parse_gateway_config("limits: {pack_mb: 1}"));
}

TEST(GatewayConfig, ReadsTheDiskLimits) {
  const auto defaults = parse_ok("");
  EXPECT_EQ(defaults.max_checkout_mb, 4096u);
  EXPECT_EQ(defaults.logs_budget_mb, 1024u);
  const auto set = parse_ok("limits: {checkout_mb: 100, logs_mb: 50}");
  EXPECT_EQ(set.max_checkout_mb, 100u);
  EXPECT_EQ(set.logs_budget_mb, 50u);
  EXPECT_FALSE(parse_gateway_config("limits: {checkout_mb: -1}"));
}

TEST(GatewayConfig, ReadsTheConnectionLimits) {
  const auto defaults = parse_ok("").connections;
  EXPECT_EQ(defaults.preauth_connections, 100u);
  EXPECT_EQ(defaults.preauth_per_address, 10u);
  EXPECT_EQ(defaults.sessions_per_key, 20u);
  const auto set =
      parse_ok("limits: {push_mb: 5, preauth_connections: 1000, preauth_per_address: 50, sessions_per_key: 3}");
  EXPECT_EQ(set.connections.preauth_connections, 1000u);
  EXPECT_EQ(set.connections.preauth_per_address, 50u);
  EXPECT_EQ(set.connections.sessions_per_key, 3u);
  EXPECT_EQ(set.max_push_mb, 5u);
  EXPECT_EQ(parse_ok("limits: {sessions_per_key: 7}").connections.preauth_connections, 100u);  // others stay
}

TEST(GatewayConfig, RefusesBadConnectionLimits) {
  EXPECT_EQ(parse_error("limits: {preauth_connections: 0}"),
            "line 1: 'limits.preauth_connections' must be a positive integer, not '0'");
  EXPECT_EQ(parse_error("limits:\n  preauth_per_address: -1\n"),
            "line 2: 'limits.preauth_per_address' must be a positive integer, not '-1'");
  EXPECT_EQ(parse_error("limits: {sessions_per_key: many}"),
            "line 1: 'limits.sessions_per_key' must be a positive integer, not 'many'");
  EXPECT_EQ(parse_error("limits: {sessions_per_key: 2.5}"),
            "line 1: 'limits.sessions_per_key' must be a positive integer, not '2.5'");
  EXPECT_EQ(parse_error("limits: {sessions_per_key: [1]}"), "line 1: 'limits.sessions_per_key' must be a positive integer");
  EXPECT_NE(parse_error("limits: {sessions_per_key: 99999999999}").find("'limits.sessions_per_key' must be a positive"),
            std::string::npos);
  EXPECT_NE(parse_error("limits: {max_startups: 10}").find("max_startups"), std::string::npos);
}

TEST(GatewayConfig, ReadsClusterPerEnvironment) {
  auto config = parse_ok(R"(
registry: 127.0.0.1:5000
kubectl: /opt/kube/kubectl
environments:
  production:
    cluster: kubernetes
    kubeconfig: /etc/porter/prod.kubeconfig
    context: prod
    namespace: shop-production
    registry: registry.internal:5000
    domain: shop.example.com
    image_pull_secret: pull
  staging: {cluster: kubernetes, kubeconfig: /etc/porter/staging.kubeconfig, user_namespaces: false}
  development: {cluster: local}
)");
  const auto& production = config.cluster_for("production");
  EXPECT_EQ(production.kind, ClusterTarget::Kind::kubernetes);
  EXPECT_EQ(production.kubeconfig, "/etc/porter/prod.kubeconfig");
  EXPECT_EQ(production.context, "prod");
  EXPECT_EQ(production.namespace_name, "shop-production");
  EXPECT_EQ(production.domain, "shop.example.com");
  EXPECT_EQ(production.image_pull_secret, "pull");
  EXPECT_EQ(config.registry_for("production"), "registry.internal:5000");
  EXPECT_EQ(config.registry_for("staging"), "127.0.0.1:5000");
  EXPECT_EQ(config.cluster_for("staging").kind, ClusterTarget::Kind::kubernetes);
  EXPECT_TRUE(production.user_namespaces);
  EXPECT_FALSE(config.cluster_for("staging").user_namespaces);
  EXPECT_EQ(config.cluster_for("development").kind, ClusterTarget::Kind::local);
  EXPECT_EQ(config.cluster_for("qa").kind, ClusterTarget::Kind::local);  // not listed
  EXPECT_EQ(config.kubectl, "/opt/kube/kubectl");
}

TEST(GatewayConfig, RefusesBadClusters) {
  EXPECT_NE(parse_error("environments: {production: {cluster: kubernetes}}").find("kubeconfig' is required"),
            std::string::npos);
  EXPECT_NE(parse_error("environments: {production: {cluster: nomad}}").find("local or kubernetes"),
            std::string::npos);
  EXPECT_NE(parse_error("environments: {production: {cluster: local, domain: x.com}}").find("no other key"),
            std::string::npos);
  EXPECT_NE(parse_error("environments: {production: {cluster: kubernetes, kubeconfig: k, clutser: 1}}")
                .find("clutser"),
            std::string::npos);
  EXPECT_NE(parse_error("environments: {production: {cluster: kubernetes, kubeconfig: k, namespace: Shop_1}}")
                .find("DNS label"),
            std::string::npos);
  EXPECT_NE(parse_error("environments: {Prod: {cluster: local}}").find("environment name"), std::string::npos);
}

TEST(HostPort, ParsesAndRejects) {
  EXPECT_EQ(parse_host_port("127.0.0.1:2222"), std::make_pair(std::string("127.0.0.1"), 2222));
  EXPECT_EQ(parse_host_port("localhost:0"), std::make_pair(std::string("localhost"), 0));
  EXPECT_EQ(parse_host_port("127.0.0.1"), std::nullopt);
  EXPECT_EQ(parse_host_port("127.0.0.1:99999"), std::nullopt);
  EXPECT_EQ(parse_host_port("a b:1"), std::nullopt);
}

}  // namespace
}  // namespace porter::config
