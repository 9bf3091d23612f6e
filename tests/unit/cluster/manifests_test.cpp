#include "cluster/manifests.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace porter::cluster {
namespace {

release::ReleasePlan sample_plan() {
  release::ReleasePlan plan;
  plan.app = "shop";
  plan.env = "production";
  plan.version = 7;
  plan.image = "127.0.0.1:5000/shop@sha256:abc";
  plan.config = {{"DATABASE_URL", "postgres://u:p@db/shop"}, {"PORT", "ignored"}};
  plan.predeploy = {"/bin/sh", "-c", "bin/migrate"};
  release::Service web{"web", {"/bin/sh", "-c", "./serve"}, 3, std::nullopt, {"/healthz", std::chrono::seconds(2), 9}, {}};
  release::Service worker{"worker", {"/bin/sh", "-c", "./work"}, 2, std::nullopt, {}, {}};
  plan.services = {web, worker};
  return plan;
}

std::string env_value(const YAML::Node& container, const std::string& name) {
  for (const auto& variable : container["env"])
    if (variable["name"].as<std::string>() == name) return variable["value"].as<std::string>();
  return "<unset>";
}

TEST(Manifests, ClusterFormHasADeploymentPerServiceAndAPredeployJob) {
  auto documents = YAML::LoadAll(render_cluster_manifests(sample_plan()));
  ASSERT_EQ(documents.size(), 4u);
  EXPECT_EQ(documents[0]["kind"].as<std::string>(), "NetworkPolicy");
  EXPECT_EQ(documents[1]["kind"].as<std::string>(), "Job");
  EXPECT_EQ(documents[1]["spec"]["template"]["spec"]["restartPolicy"].as<std::string>(), "Never");
  EXPECT_EQ(documents[1]["spec"]["backoffLimit"].as<int>(), 0);

  const auto& web = documents[2];
  EXPECT_EQ(web["apiVersion"].as<std::string>(), "apps/v1");
  EXPECT_EQ(web["kind"].as<std::string>(), "Deployment");
  EXPECT_EQ(web["metadata"]["name"].as<std::string>(), "shop-production-web");
  EXPECT_EQ(web["spec"]["replicas"].as<int>(), 3);
  EXPECT_EQ(web["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>(),
            web["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"].as<std::string>());
  const auto container = web["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["image"].as<std::string>(), "127.0.0.1:5000/shop@sha256:abc");
  EXPECT_EQ(container["command"].as<std::vector<std::string>>(), (std::vector<std::string>{"/bin/sh", "-c", "./serve"}));
  EXPECT_EQ(env_value(container, "DATABASE_URL"), "postgres://u:p@db/shop");
  EXPECT_EQ(env_value(container, "PORT"), std::to_string(kDefaultContainerPort));
  EXPECT_EQ(container["ports"][0]["containerPort"].as<int>(), kDefaultContainerPort);
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  EXPECT_EQ(container["readinessProbe"]["failureThreshold"].as<int>(), 9);

  const auto& worker = documents[3];
  EXPECT_EQ(worker["spec"]["replicas"].as<int>(), 2);
  const auto worker_container = worker["spec"]["template"]["spec"]["containers"][0];
  EXPECT_FALSE(worker_container["ports"]);
  EXPECT_FALSE(worker_container["readinessProbe"]);
  EXPECT_EQ(env_value(worker_container, "PORT"), "<unset>");
}

TEST(Manifests, LocalFormIsOneReplicaWithAPortPublishedOnLoopback) {
  auto plan = sample_plan();
  Placement placement{"shop-production-v7-web-0", 1, 41002, 8000};
  auto deployment = YAML::Load(render_deployment(plan, plan.services[0], placement));
  EXPECT_EQ(deployment["spec"]["replicas"].as<int>(), 1);
  EXPECT_EQ(deployment["spec"]["template"]["spec"]["restartPolicy"].as<std::string>(), "Always");
  const auto container = deployment["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(env_value(container, "PORT"), "8000");
  const auto port = container["ports"][0];
  EXPECT_EQ(port["containerPort"].as<int>(), 8000);
  EXPECT_EQ(port["hostPort"].as<int>(), 41002);
  EXPECT_EQ(port["hostIP"].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["port"].as<int>(), 8000);
}

TEST(Manifests, PodsRunInTheirOwnUserNamespaceWithoutRawSocketsOrChroot) {
  auto documents = YAML::LoadAll(render_cluster_manifests(sample_plan()));
  for (const auto& document : documents) {
    if (document["kind"].as<std::string>() == "NetworkPolicy") continue;
    const auto pod = document["spec"]["template"]["spec"];
    EXPECT_FALSE(pod["hostUsers"].as<bool>());
    EXPECT_FALSE(pod["hostNetwork"]);
    EXPECT_EQ(pod["containers"][0]["securityContext"]["capabilities"]["drop"].as<std::vector<std::string>>(),
              (std::vector<std::string>{"NET_RAW", "SYS_CHROOT"}));
  }
}

// Every pod of the release (the predeploy's too) is selected by the policy.
TEST(Manifests, TheNetworkPolicyIsolatesTheEnvironment) {
  auto documents = YAML::LoadAll(render_cluster_manifests(sample_plan()));
  const auto policy = documents[0];
  ASSERT_EQ(policy["kind"].as<std::string>(), "NetworkPolicy");
  const auto selected = policy["spec"]["podSelector"]["matchLabels"];
  EXPECT_EQ(selected.size(), 2u);
  for (std::size_t i = 1; i < documents.size(); ++i) {
    const auto labels = documents[i]["spec"]["template"]["metadata"]["labels"];
    for (const auto& label : selected)
      EXPECT_EQ(labels[label.first.as<std::string>()].as<std::string>(), label.second.as<std::string>())
          << documents[i]["kind"].as<std::string>();
  }
  EXPECT_EQ(policy["spec"]["policyTypes"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"Ingress", "Egress"}));
  const auto internet = policy["spec"]["egress"][2]["to"][0]["ipBlock"];
  EXPECT_EQ(internet["cidr"].as<std::string>(), "0.0.0.0/0");
  EXPECT_EQ(internet["except"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"}));
}

TEST(Manifests, ValuesAreQuotedSafely) {
  auto plan = sample_plan();
  plan.config = {{"TRICKY", "a: b\n- c # d \"e\""}};
  auto documents = YAML::LoadAll(render_cluster_manifests(plan));
  EXPECT_EQ(env_value(documents[2]["spec"]["template"]["spec"]["containers"][0], "TRICKY"), "a: b\n- c # d \"e\"");
}

}  // namespace
}  // namespace porter::cluster
