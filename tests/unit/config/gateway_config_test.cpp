#include "config/gateway_config.hpp"

#include <gtest/gtest.h>

namespace porter::config {
namespace {

GatewayConfig parse_ok(const std::string& yaml) {
  auto parsed = parse_gateway_config(yaml);
  if (auto* error = std::get_if<ConfigError>(&parsed)) ADD_FAILURE() << error->message;
  return std::holds_alternative<GatewayConfig>(parsed) ? std::get<GatewayConfig>(parsed) : GatewayConfig{};
}

std::string parse_error(const std::string& yaml) {
  auto parsed = parse_gateway_config(yaml);
  EXPECT_TRUE(std::holds_alternative<ConfigError>(parsed)) << yaml;
  return std::holds_alternative<ConfigError>(parsed) ? std::get<ConfigError>(parsed).message : "";
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
  ASSERT_TRUE(std::holds_alternative<GatewayConfig>(loaded));
  const auto& config = std::get<GatewayConfig>(loaded);
  EXPECT_EQ(config.listen_port, 0);
  EXPECT_EQ(config.authorized_keys, "/tmp/porter-test-data/authorized_keys");
  EXPECT_EQ(config.host_key, "/tmp/porter-test-data/ssh_host_ed25519_key");
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
