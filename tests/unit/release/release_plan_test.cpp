#include "release/release_plan.hpp"

#include <gtest/gtest.h>

namespace porter::release {
namespace {

const std::vector<std::string> kLauncher = {"/usr/local/bin/porter-launch"};
const std::vector<std::string> kShell = {"/bin/sh", "-c"};

ReleasePlan plan_ok(const config::AppConfig& config, const builders::ProcessTypes& processes,
                    const std::vector<std::string>& shell, bool image_has_command) {
  auto planned = plan_release(config, processes, shell, image_has_command);
  if (!planned) ADD_FAILURE() << planned.error().message;
  return planned.value_or(ReleasePlan{});
}

TEST(ReleasePlan, BareDockerfileIsOneWebReplicaRunningTheImageCommand) {
  auto plan = plan_ok({}, {}, kShell, true);
  ASSERT_EQ(plan.services.size(), 1u);
  EXPECT_EQ(plan.services[0].name, "web");
  EXPECT_TRUE(plan.services[0].argv.empty());
  EXPECT_EQ(plan.services[0].replicas, 1);
  EXPECT_TRUE(plan.predeploy.empty());
}

TEST(ReleasePlan, ProcfileGivesServicesAndReleasePhase) {
  auto plan = plan_ok({}, {{"web", "npm start"}, {"worker", "node w.js"}, {"release", "bin/migrate"}}, kLauncher, false);
  ASSERT_EQ(plan.services.size(), 2u);
  EXPECT_EQ(plan.web()->argv, (std::vector<std::string>{"/usr/local/bin/porter-launch", "npm start"}));
  EXPECT_EQ(plan.predeploy, (std::vector<std::string>{"/usr/local/bin/porter-launch", "bin/migrate"}));
}

TEST(ReleasePlan, PorterYamlOverridesCommandsReplicasAndPredeploy) {
  config::AppConfig config;
  config.services["web"].replicas = 3;
  config.services["worker"].run = "./work";
  config.services["worker"].replicas = 2;
  config.predeploy = config::Predeploy{"bin/migrate --all", std::chrono::seconds(30)};
  auto plan = plan_ok(config, {{"web", "./serve"}, {"release", "ignored"}}, kShell, true);
  EXPECT_EQ(describe_services(plan), "web x3, worker x2");
  EXPECT_EQ(plan.services[1].argv, (std::vector<std::string>{"/bin/sh", "-c", "./work"}));
  EXPECT_EQ(plan.predeploy.back(), "bin/migrate --all");
  EXPECT_EQ(plan.predeploy_timeout, std::chrono::seconds(30));
}

TEST(ReleasePlan, ServiceWithoutCommandIsAnError) {
  config::AppConfig config;
  config.services["worker"].replicas = 1;
  auto worker = plan_release(config, {{"web", "x"}}, kLauncher, false);
  ASSERT_FALSE(worker);
  EXPECT_EQ(worker.error().message,
            "service 'worker' has no command: add it to the Procfile or set services.worker.run");
  auto nothing = plan_release({}, {}, kLauncher, false);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().message,
            "nothing to run: the image has no command and there is no Procfile; add one, or services.web.run");
}

TEST(ReleasePlan, AWorkerOnlyAppRunsItsWorker) {
  for (bool image_has_command : {false, true}) {  // a Dockerfile's CMD (even a base image's bash) is no web
    auto plan = plan_ok({}, {{"worker", "python worker.py"}}, kLauncher, image_has_command);
    EXPECT_EQ(describe_services(plan), "worker x1");
    EXPECT_EQ(plan.web(), nullptr);
  }
}

TEST(ReleasePlan, ProcfileTypesBeyondWebAndWorkerStartAtZeroUntilDeclared) {
  const builders::ProcessTypes procfile = {{"web", "bin/web"}, {"worker", "bin/work"}, {"custom", "echo -n"},
                                           {"clock", "bin/clock"}};
  EXPECT_EQ(describe_services(plan_ok({}, procfile, kLauncher, false)), "clock x0, custom x0, web x1, worker x1");
  config::AppConfig config;
  config.services["clock"].replicas = 1;
  EXPECT_EQ(describe_services(plan_ok(config, procfile, kLauncher, false)), "clock x1, custom x0, web x1, worker x1");
}

TEST(ReleasePlan, YamlRoundTripKeepsEverythingButConfig) {
  config::AppConfig config;
  config.services["web"].replicas = 2;
  config.services["web"].port = 8000;
  config.services["web"].healthcheck = {"/up", std::chrono::seconds(3), 7};
  config.services["web"].timeouts = {std::chrono::seconds(1), std::chrono::seconds(2), std::chrono::seconds(3)};
  auto plan = plan_ok(config, {{"web", "serve --bind 'x y'"}, {"release", "migrate"}}, kShell, true);
  plan.image = "127.0.0.1:5000/shop@sha256:abc";
  plan.config = {{"SECRET", "hunter2"}};
  const auto text = to_yaml(plan);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  auto back = from_yaml(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->image, plan.image);
  EXPECT_EQ(back->predeploy, plan.predeploy);
  ASSERT_EQ(back->services.size(), 1u);
  const auto& web = back->services[0];
  EXPECT_EQ(web.argv, plan.services[0].argv);
  EXPECT_EQ(web.replicas, 2);
  EXPECT_EQ(web.port, 8000);
  EXPECT_EQ(web.healthcheck.path, "/up");
  EXPECT_EQ(web.healthcheck.attempts, 7);
  EXPECT_EQ(web.timeouts.read, std::chrono::seconds(3));
}

TEST(ReleasePlan, YamlRoundTripKeepsResourcesAutoscalingDisksAndJobs) {
  config::AppConfig config;
  config.services["web"].resources = {500, 512ULL << 20};
  config.services["web"].autoscaling = config::Autoscaling{2, 10, 70, std::nullopt};
  config.services["web"].disk = config::Disk{"/data", 5ULL << 30};
  config.jobs["sync"] = {"bin/sync", "*/15 * * * *", std::chrono::seconds(600)};
  auto plan = plan_ok(config, {{"web", "serve"}, {"worker", "work"}}, kShell, true);
  ASSERT_EQ(plan.jobs.size(), 1u);
  EXPECT_EQ(plan.jobs[0].argv, (std::vector<std::string>{"/bin/sh", "-c", "bin/sync"}));
  auto back = from_yaml(to_yaml(plan));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->services.size(), 2u);
  const auto& web = back->services[0];
  EXPECT_EQ(web.resources, plan.services[0].resources);
  EXPECT_EQ(web.autoscaling, plan.services[0].autoscaling);
  EXPECT_EQ(web.disk, plan.services[0].disk);
  EXPECT_EQ(back->services[1].resources, config::Resources{});
  EXPECT_FALSE(back->services[1].autoscaling);
  ASSERT_EQ(back->jobs.size(), 1u);
  EXPECT_EQ(back->jobs[0].name, "sync");
  EXPECT_EQ(back->jobs[0].argv, plan.jobs[0].argv);
  EXPECT_EQ(back->jobs[0].schedule, "*/15 * * * *");
  EXPECT_EQ(back->jobs[0].timeout, std::chrono::seconds(600));
}

TEST(ReleasePlan, UnreadablePlansAreErrors) {
  EXPECT_FALSE(from_yaml("services: [{name: web}]"));
  EXPECT_FALSE(from_yaml("image: [unclosed"));
  auto plan = plan_ok({}, {{"web", "serve"}}, kShell, true);
  auto text = to_yaml(plan);
  const auto timeouts = text.find("proxy_timeouts: [5, 60, 60]");
  ASSERT_NE(timeouts, std::string::npos) << text;
  text.replace(timeouts, std::string("proxy_timeouts: [5, 60, 60]").size(), "proxy_timeouts: [5, 60]");
  auto back = from_yaml(text);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().message, "release plan: proxy_timeouts must hold 3 values");
}

TEST(ReleasePlan, ProcessTypesMustBeValidServiceNames) {
  auto planned = plan_release({}, {{"web", "serve"}, {"Bad_Name", "x"}}, kShell, true);
  ASSERT_FALSE(planned);
  EXPECT_EQ(planned.error().message, "process type 'Bad_Name' must match [a-z][a-z0-9-]{0,30}");
}

}  // namespace
}  // namespace porter::release
