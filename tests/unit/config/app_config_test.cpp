#include "config/app_config.hpp"

#include <gtest/gtest.h>

namespace porter::config {
namespace {

std::string parse_error(const std::string& yaml) {
  auto parsed = parse_app_config(yaml);
  EXPECT_FALSE(parsed) << yaml;
  return parsed ? "" : parsed.error().message;
}

TEST(AppConfig, ReadsBuildAndHealthCheck) {
  auto parsed = parse_app_config(R"(
build:
  dockerfile: docker/web.Dockerfile
  context: docker
services:
  web:
    healthcheck: {path: /healthz, timeout: 20}
)");
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto& config = *parsed;
  EXPECT_EQ(config.build.dockerfile, "docker/web.Dockerfile");
  EXPECT_EQ(config.build.context, "docker");
  EXPECT_EQ(config.services.at("web").healthcheck.path, "/healthz");
  EXPECT_EQ(config.services.at("web").healthcheck.timeout, std::chrono::seconds(20));
}

TEST(AppConfig, EmptyMeansDefaults) {
  auto parsed = parse_app_config("");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->build.method, "auto");
  EXPECT_TRUE(parsed->services.empty());
  EXPECT_FALSE(parsed->predeploy);
}

TEST(AppConfig, MalformedYamlNamesTheLine) {
  auto error = parse_error("build:\n  dockerfile: [unclosed\n");
  EXPECT_TRUE(error.starts_with("porter.yaml line ")) << error;
  EXPECT_NE(error.find("invalid YAML"), std::string::npos) << error;
}

TEST(AppConfig, UnknownKeysAreErrorsWithLineAndField) {
  auto error = parse_error("build:\n  dockerfile: Dockerfile\n  contxt: .\n");
  EXPECT_NE(error.find("line 3"), std::string::npos) << error;
  EXPECT_NE(error.find("'contxt'"), std::string::npos) << error;
  EXPECT_NE(parse_error("servics: {}").find("'servics'"), std::string::npos);
}

TEST(AppConfig, ReadsServicesAndPredeploy) {
  auto parsed = parse_app_config(R"(
services:
  web:
    run: ./server
    replicas: 3
    healthcheck: {path: /up, timeout: 2, attempts: 10}
    timeouts: {connect: 3, send: 30, read: 120}
  worker:
    run: ./work
    replicas: 2
predeploy:
  run: bin/migrate
  timeout: 90
build:
  config_vars: [NPM_TOKEN]
)");
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto& config = *parsed;
  const auto& web = config.services.at("web");
  EXPECT_EQ(web.run, "./server");
  EXPECT_EQ(web.replicas, 3);
  EXPECT_EQ(web.healthcheck.attempts, 10);
  EXPECT_EQ(web.timeouts.read, std::chrono::seconds(120));
  EXPECT_EQ(config.services.at("worker").replicas, 2);
  ASSERT_TRUE(config.predeploy);
  EXPECT_EQ(config.predeploy->run, "bin/migrate");
  EXPECT_EQ(config.predeploy->timeout, std::chrono::seconds(90));
  EXPECT_EQ(config.build.config_vars, std::vector<std::string>{"NPM_TOKEN"});
}

TEST(AppConfig, BuildPathsStayInsideTheRepository) {
  auto parsed = parse_app_config("build: {dockerfile: ops/..prod/Dockerfile.web, context: ./ops}");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->build.dockerfile, "ops/..prod/Dockerfile.web");  // '..' only as a whole component is refused
  EXPECT_EQ(parsed->build.context, "./ops");
  EXPECT_EQ(parse_error("build:\n  context: /\n"),
            "porter.yaml line 2: 'build.context' must be a relative path inside the repository, not the absolute path "
            "'/'");
  EXPECT_EQ(parse_error("build:\n  dockerfile: /etc/shadow\n"),
            "porter.yaml line 2: 'build.dockerfile' must be a relative path inside the repository, not the absolute "
            "path '/etc/shadow'");
  for (const auto* path : {"..", "../x", "a/../../x", "a/..", "a/../b"})
    EXPECT_EQ(parse_error(std::string("build:\n  method: dockerfile\n  context: '") + path + "'\n"),
              "porter.yaml line 3: 'build.context' must be a relative path inside the repository, without '..' ('" +
                  std::string(path) + "')")
        << path;
  EXPECT_EQ(parse_error("build: {dockerfile: ''}"),
            "porter.yaml line 1: 'build.dockerfile' must be a relative path inside the repository");
  EXPECT_EQ(parse_error("build: {context: \"a\\x1b[31mb\"}"),
            "porter.yaml line 1: 'build.context' must be a relative path inside the repository, without control "
            "characters");
}

TEST(AppConfig, RefusesADockerfileTheHostPreprocessorWouldRun) {
  EXPECT_EQ(parse_error("build:\n  dockerfile: Dockerfile.in\n"),
            "porter.yaml line 2: 'build.dockerfile': Dockerfile.in is not supported: buildah would run the host's C "
            "preprocessor on it");
  EXPECT_NE(parse_error("build: {dockerfile: docker/web.in}").find("is not supported"), std::string::npos);
  EXPECT_TRUE(parse_app_config("build: {dockerfile: Dockerfile.inc}"));
}

TEST(AppConfig, RejectsBadValues) {
  EXPECT_NE(parse_error("services: {worker: {healthcheck: {path: /}}}").find("unknown key 'healthcheck'"),
            std::string::npos);
  EXPECT_NE(parse_error("services: {Web: {}}").find("service name"), std::string::npos);
  EXPECT_NE(parse_error("services: {web: {replicas: 500}}").find("replicas"), std::string::npos);
  EXPECT_NE(parse_error("predeploy: {timeout: 5}").find("predeploy.run"), std::string::npos);
  EXPECT_NE(parse_error("build: {method: magic}").find("build.method"), std::string::npos);
  EXPECT_NE(parse_error("build: {dockerfile: ../../etc/passwd}").find("relative path"), std::string::npos);
  EXPECT_NE(parse_error("build: {context: /}").find("relative path"), std::string::npos);
  EXPECT_NE(parse_error("services: {web: {healthcheck: {path: health}}}").find("start with /"), std::string::npos);
  EXPECT_NE(parse_error("services: {web: {healthcheck: {timeout: -1}}}").find("positive"), std::string::npos);
  EXPECT_NE(parse_error("- a\n- b\n").find("mapping"), std::string::npos);
}

TEST(AppConfig, ReadsResourcesAutoscalingDisksAndJobs) {
  auto parsed = parse_app_config(R"(
services:
  web:
    run: bin/web
    autoscaling: {min: 2, max: 10, cpu_percent: 70, memory_percent: 80}
    resources: {cpu: 0.5, memory: 512M}
    disk: {path: /data, size: 5G}
  worker:
    resources: {cpu: 250m}
jobs:
  sync-partners: {run: bin/sync, schedule: "*/15 * * * *", timeout: 600}
  nightly: {run: bin/report, schedule: "@daily"}
)");
  ASSERT_TRUE(parsed) << parsed.error().message;
  const auto& web = parsed->services.at("web");
  EXPECT_EQ(web.resources, (Resources{500, 512ULL << 20}));
  EXPECT_EQ(web.autoscaling, (Autoscaling{2, 10, 70, 80}));
  EXPECT_EQ(web.replicas, 2);  // autoscaling starts at min
  EXPECT_EQ(web.disk, (Disk{"/data", 5ULL << 30}));
  EXPECT_EQ(parsed->services.at("worker").resources, (Resources{250, std::nullopt}));
  const auto& sync = parsed->jobs.at("sync-partners");
  EXPECT_EQ(sync.run, "bin/sync");
  EXPECT_EQ(sync.schedule, "*/15 * * * *");
  EXPECT_EQ(sync.timeout, std::chrono::seconds(600));
  EXPECT_EQ(parsed->jobs.at("nightly").timeout, std::chrono::seconds(3600));
}

TEST(AppConfig, RefusesBadDayTwoSettingsWithTheLine) {
  EXPECT_EQ(parse_error("services:\n  web:\n    resources: {memory: lots}\n"),
            "porter.yaml line 3: 'services.web.resources.memory' is a size, like 512M or 5G, not 'lots'");
  EXPECT_EQ(parse_error("services:\n  web:\n    resources: {cpu: 100}\n"),
            "porter.yaml line 3: 'services.web.resources.cpu' is CPUs, like 0.5, 2 or 250m (at most 64), not '100'");
  EXPECT_NE(parse_error("services: {web: {autoscaling: {min: 3, max: 2, cpu_percent: 50}, resources: {cpu: 1}}}")
                .find("1 <= min <= max <= 50"),
            std::string::npos);
  EXPECT_NE(parse_error("services: {web: {autoscaling: {min: 1, max: 2}}}").find("needs cpu_percent or memory_percent"),
            std::string::npos);
  EXPECT_NE(parse_error("services: {web: {autoscaling: {min: 1, max: 2, cpu_percent: 50}}}")
                .find("a share of resources.cpu: declare it"),
            std::string::npos);
  EXPECT_NE(parse_error("services: {web: {replicas: 2, resources: {cpu: 1}, autoscaling: {min: 1, max: 2, "
                        "cpu_percent: 50}}}")
                .find("exclude each other"),
            std::string::npos);
  EXPECT_NE(parse_error("services: {web: {disk: {path: data, size: 1G}}}").find("must be an absolute path"),
            std::string::npos);
  EXPECT_NE(parse_error("services: {web: {disk: {path: /data/../etc, size: 1G}}}").find("must be an absolute path"),
            std::string::npos);
  EXPECT_NE(parse_error("services: {web: {disk: {path: /data}}}").find("needs path and size"), std::string::npos);
  EXPECT_NE(parse_error("jobs: {sync: {run: x}}").find("needs run and schedule"), std::string::npos);
  EXPECT_NE(parse_error("jobs: {sync: {run: x, schedule: y, every: 1}}").find("every"), std::string::npos);
  EXPECT_NE(parse_error("jobs: {Sync: {run: x, schedule: '* * * * *'}}").find("job name 'Sync'"), std::string::npos);
}

TEST(AppConfig, ABadScheduleRejectsThePushWithTheLine) {
  const auto message = parse_error("jobs:\n  sync:\n    run: bin/sync\n    schedule: \"61 * * * *\"\n");
  EXPECT_TRUE(message.starts_with("porter.yaml line 4: 'jobs.sync.schedule': ")) << message;
  EXPECT_NE(message.find("61"), std::string::npos) << message;
}

}  // namespace
}  // namespace porter::config
