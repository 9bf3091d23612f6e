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

const ClusterSite kSite{"shop-ns", "apps.example.com", "regcred"};

std::string env_value(const YAML::Node& container, const std::string& name) {
  for (const auto& variable : container["env"])
    if (variable["name"].as<std::string>() == name) return variable["value"].as<std::string>();
  return "<unset>";
}

std::vector<std::string> kinds(const std::vector<YAML::Node>& documents) {
  std::vector<std::string> kinds;
  for (const auto& document : documents) kinds.push_back(document["kind"].as<std::string>());
  return kinds;
}

std::vector<YAML::Node> of_kind(const std::vector<YAML::Node>& documents, const std::string& kind) {
  std::vector<YAML::Node> found;
  for (const auto& document : documents)
    if (document["kind"].as<std::string>() == kind) found.push_back(document);
  return found;
}

// The documents that run pods: Deployments and the Job.
std::vector<YAML::Node> workloads(const std::vector<YAML::Node>& documents) {
  std::vector<YAML::Node> found;
  for (const auto& document : documents)
    if (document["spec"] && document["spec"]["template"]) found.push_back(document);
  return found;
}

YAML::Node first_container(const YAML::Node& workload) { return workload["spec"]["template"]["spec"]["containers"][0]; }

TEST(Manifests, ClusterFormHasSetupThenPredeployThenServices) {
  auto documents = YAML::LoadAll(render_cluster_manifests(sample_plan(), kSite));
  EXPECT_EQ(kinds(documents), (std::vector<std::string>{"Namespace", "NetworkPolicy", "Secret", "Job", "Deployment",
                                                        "Service", "Ingress", "Deployment"}));
  EXPECT_EQ(render_cluster_manifests(sample_plan(), kSite),
            render_release_setup(sample_plan(), kSite) + "---\n" + render_predeploy_job(sample_plan(), kSite) +
                render_release_services(sample_plan(), kSite));

  auto plan = sample_plan();
  plan.predeploy.clear();
  EXPECT_TRUE(of_kind(YAML::LoadAll(render_cluster_manifests(plan, kSite)), "Job").empty());
}

TEST(Manifests, ClusterFormHasADeploymentPerService) {
  const auto deployments = of_kind(YAML::LoadAll(render_release_services(sample_plan(), kSite)), "Deployment");
  ASSERT_EQ(deployments.size(), 2u);

  const auto& web = deployments[0];
  EXPECT_EQ(web["apiVersion"].as<std::string>(), "apps/v1");
  EXPECT_EQ(web["metadata"]["name"].as<std::string>(), "shop-production-web");
  EXPECT_EQ(web["spec"]["replicas"].as<int>(), 3);
  EXPECT_EQ(web["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>(),
            web["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"].as<std::string>());
  const auto container = first_container(web);
  EXPECT_EQ(container["image"].as<std::string>(), "127.0.0.1:5000/shop@sha256:abc");
  EXPECT_EQ(container["command"].as<std::vector<std::string>>(), (std::vector<std::string>{"/bin/sh", "-c", "./serve"}));
  EXPECT_EQ(env_value(container, "PORT"), std::to_string(kDefaultContainerPort));
  EXPECT_EQ(container["ports"][0]["containerPort"].as<int>(), kDefaultContainerPort);
  EXPECT_FALSE(container["ports"][0]["hostPort"]);
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  EXPECT_EQ(container["readinessProbe"]["failureThreshold"].as<int>(), 9);

  const auto& worker = deployments[1];
  EXPECT_EQ(worker["metadata"]["name"].as<std::string>(), "shop-production-worker");
  EXPECT_EQ(worker["spec"]["replicas"].as<int>(), 2);
  const auto worker_container = first_container(worker);
  EXPECT_FALSE(worker_container["ports"]);
  EXPECT_FALSE(worker_container["readinessProbe"]);
  EXPECT_FALSE(worker_container["env"]);  // not even PORT
}

TEST(Manifests, TheSecretHoldsEveryConfigVarUnderTheReleasesName) {
  auto plan = sample_plan();
  plan.config["API_TOKEN"] = "tok-123";
  const auto secrets = of_kind(YAML::LoadAll(render_release_setup(plan, kSite)), "Secret");
  ASSERT_EQ(secrets.size(), 1u);
  const auto& secret = secrets[0];
  EXPECT_EQ(config_secret_name(plan), "shop-production-config-v7");
  EXPECT_EQ(secret["metadata"]["name"].as<std::string>(), config_secret_name(plan));
  EXPECT_EQ(secret["metadata"]["namespace"].as<std::string>(), "shop-ns");
  EXPECT_EQ(secret["metadata"]["labels"]["porter.service"].as<std::string>(), "config");
  EXPECT_EQ(secret["type"].as<std::string>(), "Opaque");
  const auto data = secret["stringData"];
  EXPECT_EQ(data["DATABASE_URL"].as<std::string>(), "postgres://u:p@db/shop");
  EXPECT_EQ(data["API_TOKEN"].as<std::string>(), "tok-123");
  EXPECT_FALSE(data["PORT"]);  // the gateway sets PORT, as on the local engine
  EXPECT_EQ(data.size(), 2u);

  plan.version = 8;
  EXPECT_EQ(config_secret_name(plan), "shop-production-config-v8");
}

// Deployments and Jobs are readable by more people than Secrets.
TEST(Manifests, NoConfigValueIsInADeploymentOrJob) {
  auto plan = sample_plan();
  plan.config["API_TOKEN"] = "tok-123";
  const auto all = render_cluster_manifests(plan, kSite);
  const auto pods = render_predeploy_job(plan, kSite) + render_release_services(plan, kSite);
  for (const auto& [name, value] : plan.config) {
    if (name == "PORT") continue;
    EXPECT_NE(all.find(value), std::string::npos) << value;  // in the Secret: the search below can find it
    EXPECT_EQ(pods.find(value), std::string::npos) << value;
  }
  for (const auto& workload : workloads(YAML::LoadAll(pods))) {
    const auto container = first_container(workload);
    EXPECT_EQ(container["envFrom"][0]["secretRef"]["name"].as<std::string>(), config_secret_name(plan));
    for (const auto& variable : container["env"]) EXPECT_EQ(variable["name"].as<std::string>(), "PORT");
  }
}

TEST(Manifests, DeploymentsRollWithoutDroppingBelowTheirReplicas) {
  auto plan = sample_plan();
  plan.services[0].healthcheck = {"/healthz", std::chrono::seconds(5), 60};
  const auto deployments = of_kind(YAML::LoadAll(render_release_services(plan, kSite)), "Deployment");
  ASSERT_EQ(deployments.size(), 2u);
  for (const auto& deployment : deployments) {
    const auto spec = deployment["spec"];
    EXPECT_EQ(spec["strategy"]["type"].as<std::string>(), "RollingUpdate");
    EXPECT_EQ(spec["strategy"]["rollingUpdate"]["maxUnavailable"].as<int>(), 0);
    EXPECT_EQ(spec["strategy"]["rollingUpdate"]["maxSurge"].as<int>(), 1);
    EXPECT_EQ(spec["revisionHistoryLimit"].as<int>(), 5);
    EXPECT_EQ(deployment["metadata"]["namespace"].as<std::string>(), "shop-ns");
  }
  EXPECT_EQ(deployments[0]["spec"]["progressDeadlineSeconds"].as<int>(), 300);  // web: 5s x 60 attempts
  EXPECT_EQ(deployments[1]["spec"]["progressDeadlineSeconds"].as<int>(), 120);

  plan.services[0].healthcheck = {"/healthz", std::chrono::seconds(1), 3};
  const auto quick = of_kind(YAML::LoadAll(render_release_services(plan, kSite)), "Deployment");
  EXPECT_EQ(quick[0]["spec"]["progressDeadlineSeconds"].as<int>(), 30);  // the floor
}

// A release that only changes config vars must still replace the pods.
TEST(Manifests, ANewReleaseChangesThePodTemplate) {
  auto plan = sample_plan();
  const auto before = of_kind(YAML::LoadAll(render_release_services(plan, kSite)), "Deployment");
  plan.version = 8;
  const auto after = of_kind(YAML::LoadAll(render_release_services(plan, kSite)), "Deployment");
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i]["spec"]["template"]["metadata"]["labels"]["porter.release"].as<std::string>(), "v7");
    EXPECT_EQ(after[i]["spec"]["template"]["metadata"]["labels"]["porter.release"].as<std::string>(), "v8");
    EXPECT_EQ(first_container(after[i])["envFrom"][0]["secretRef"]["name"].as<std::string>(),
              "shop-production-config-v8");
  }
}

TEST(Manifests, ThePredeployJobRunsOnceWithinItsTimeout) {
  auto plan = sample_plan();
  plan.predeploy_timeout = std::chrono::seconds(900);
  const auto job = YAML::Load(render_predeploy_job(plan, kSite));
  EXPECT_EQ(job["kind"].as<std::string>(), "Job");
  EXPECT_EQ(job["metadata"]["name"].as<std::string>(), "shop-production-predeploy-v7");
  EXPECT_EQ(job["metadata"]["namespace"].as<std::string>(), "shop-ns");
  EXPECT_EQ(job["spec"]["backoffLimit"].as<int>(), 0);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"].as<int>(), 900);
  EXPECT_EQ(job["spec"]["ttlSecondsAfterFinished"].as<int>(), 86400);
  EXPECT_EQ(job["spec"]["template"]["spec"]["restartPolicy"].as<std::string>(), "Never");
  const auto container = first_container(job);
  EXPECT_EQ(container["command"].as<std::vector<std::string>>(), plan.predeploy);
  EXPECT_EQ(container["envFrom"][0]["secretRef"]["name"].as<std::string>(), "shop-production-config-v7");
  EXPECT_FALSE(container["env"]);
}

// `run` on a cluster: its own Job in the live release's image, with its
// config from the release's Secret, never retried, within the one-off's time.
TEST(Manifests, AOneOffIsAJobOfItsOwnInTheReleasesImageWithItsConfig) {
  const auto plan = sample_plan();
  const std::vector<std::string> argv = {"bin/rake", "db:seed", "--name=it's \"quoted\""};
  const auto job = YAML::Load(render_one_off_job(plan, kSite, "run-1700000000000", argv, std::chrono::seconds(3600)));
  EXPECT_EQ(job["apiVersion"].as<std::string>(), "batch/v1");
  EXPECT_EQ(job["kind"].as<std::string>(), "Job");
  EXPECT_EQ(job["metadata"]["name"].as<std::string>(), "shop-production-v7-run-1700000000000");
  EXPECT_EQ(one_off_job_name(plan, "run-1700000000000"), "shop-production-v7-run-1700000000000");
  EXPECT_EQ(job["metadata"]["namespace"].as<std::string>(), "shop-ns");
  const auto labels = job["metadata"]["labels"];
  EXPECT_EQ(labels["porter.app"].as<std::string>(), "shop");
  EXPECT_EQ(labels["porter.env"].as<std::string>(), "production");
  EXPECT_EQ(labels["porter.service"].as<std::string>(), "run");
  EXPECT_EQ(labels["porter.release"].as<std::string>(), "v7");
  EXPECT_EQ(labels["app.kubernetes.io/managed-by"].as<std::string>(), "porter");
  EXPECT_EQ(job["spec"]["backoffLimit"].as<int>(), 0);
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"].as<int>(), 3600);
  const auto pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"].as<std::string>(), "Never");
  EXPECT_TRUE(pod["hostUsers"].IsDefined());
  EXPECT_FALSE(pod["hostUsers"].as<bool>());
  EXPECT_EQ(job["spec"]["template"]["metadata"]["labels"]["porter.app"].as<std::string>(), "shop");  // the network policy's
  const auto container = first_container(job);
  EXPECT_EQ(container["name"].as<std::string>(), "run");
  EXPECT_EQ(container["image"].as<std::string>(), plan.image);
  EXPECT_EQ(container["command"].as<std::vector<std::string>>(), argv);  // the argv as given, no shell
  EXPECT_EQ(container["envFrom"][0]["secretRef"]["name"].as<std::string>(), "shop-production-config-v7");
  EXPECT_FALSE(container["env"]);  // no config value in the Job
  EXPECT_EQ(container["securityContext"]["capabilities"]["drop"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"NET_RAW", "SYS_CHROOT"}));
  EXPECT_EQ(pod["imagePullSecrets"][0]["name"].as<std::string>(), "regcred");
}

TEST(Manifests, TheWebServiceSendsPort80ToTheContainerPort) {
  auto plan = sample_plan();
  plan.services[0].port = 8080;
  const auto documents = YAML::LoadAll(render_release_services(plan, kSite));
  const auto services = of_kind(documents, "Service");
  ASSERT_EQ(services.size(), 1u);
  const auto& service = services[0];
  EXPECT_EQ(service["metadata"]["name"].as<std::string>(), "shop-production-web");
  EXPECT_EQ(service["metadata"]["namespace"].as<std::string>(), "shop-ns");
  EXPECT_EQ(service["spec"]["ports"][0]["port"].as<int>(), 80);
  EXPECT_EQ(service["spec"]["ports"][0]["targetPort"].as<int>(), 8080);
  const auto web = of_kind(documents, "Deployment")[0];
  EXPECT_EQ(first_container(web)["ports"][0]["containerPort"].as<int>(), 8080);
  EXPECT_EQ(service["spec"]["selector"]["app.kubernetes.io/name"].as<std::string>(),
            web["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"].as<std::string>());

  plan.services.erase(plan.services.begin());  // no web: no Service, no Ingress
  EXPECT_EQ(kinds(YAML::LoadAll(render_release_services(plan, kSite))), (std::vector<std::string>{"Deployment"}));
}

TEST(Manifests, TheIngressRoutesTheEnvironmentsHostWithTheWebTimeouts) {
  auto plan = sample_plan();
  plan.services[0].timeouts = {std::chrono::seconds(3), std::chrono::seconds(30), std::chrono::seconds(120)};
  const auto text = render_release_services(plan, kSite);
  const auto ingresses = of_kind(YAML::LoadAll(text), "Ingress");
  ASSERT_EQ(ingresses.size(), 1u);
  const auto& ingress = ingresses[0];
  EXPECT_EQ(ingress["apiVersion"].as<std::string>(), "networking.k8s.io/v1");
  EXPECT_EQ(ingress["metadata"]["namespace"].as<std::string>(), "shop-ns");
  const auto rule = ingress["spec"]["rules"][0];
  EXPECT_EQ(rule["host"].as<std::string>(), "production.shop.apps.example.com");
  const auto path = rule["http"]["paths"][0];
  EXPECT_EQ(path["path"].as<std::string>(), "/");
  EXPECT_EQ(path["pathType"].as<std::string>(), "Prefix");
  EXPECT_EQ(path["backend"]["service"]["name"].as<std::string>(), "shop-production-web");
  EXPECT_EQ(path["backend"]["service"]["port"]["number"].as<int>(), 80);
  const auto annotations = ingress["metadata"]["annotations"];
  EXPECT_EQ(annotations["nginx.ingress.kubernetes.io/proxy-connect-timeout"].as<std::string>(), "3");
  EXPECT_EQ(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"].as<std::string>(), "30");
  EXPECT_EQ(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"].as<std::string>(), "120");
  // Annotations are strings: a bare 120 would be a number, and kubectl refuses it.
  EXPECT_NE(text.find("nginx.ingress.kubernetes.io/proxy-read-timeout: \"120\""), std::string::npos);
}

TEST(Manifests, NoIngressWithoutADomain) {
  const ClusterSite no_domain{"shop-ns", "", ""};
  EXPECT_TRUE(of_kind(YAML::LoadAll(render_release_services(sample_plan(), no_domain)), "Ingress").empty());
  EXPECT_EQ(of_kind(YAML::LoadAll(render_release_services(sample_plan(), no_domain)), "Service").size(), 1u);
}

TEST(Manifests, ImagePullSecretsOnlyWhenTheSiteHasOne) {
  const auto with = workloads(YAML::LoadAll(render_cluster_manifests(sample_plan(), kSite)));
  ASSERT_EQ(with.size(), 3u);
  for (const auto& workload : with)
    EXPECT_EQ(workload["spec"]["template"]["spec"]["imagePullSecrets"][0]["name"].as<std::string>(), "regcred");
  const auto without = workloads(YAML::LoadAll(render_cluster_manifests(sample_plan(), {"shop-ns", "", ""})));
  ASSERT_EQ(without.size(), 3u);
  for (const auto& workload : without) EXPECT_FALSE(workload["spec"]["template"]["spec"]["imagePullSecrets"]);
}

// `kubectl get deploy,svc,ing,secret,job -l porter.app=shop,porter.env=production` finds them all.
TEST(Manifests, EveryClusterObjectIsLabelledAndNamespaced) {
  const auto documents = YAML::LoadAll(render_cluster_manifests(sample_plan(), kSite));
  for (const auto& document : documents) {
    const auto kind = document["kind"].as<std::string>();
    const auto metadata = document["metadata"];
    EXPECT_EQ(metadata["labels"]["porter.app"].as<std::string>(), "shop") << kind;
    EXPECT_EQ(metadata["labels"]["porter.env"].as<std::string>(), "production") << kind;
    EXPECT_EQ(metadata["labels"]["app.kubernetes.io/managed-by"].as<std::string>(), "porter") << kind;
    if (kind == "Namespace") {
      EXPECT_EQ(metadata["name"].as<std::string>(), "shop-ns");
      EXPECT_FALSE(metadata["namespace"]);
    } else {
      EXPECT_EQ(metadata["namespace"].as<std::string>(), "shop-ns") << kind;
      EXPECT_EQ(metadata["labels"]["porter.release"].as<std::string>(), "v7") << kind;
    }
  }
  for (const auto& workload : workloads(documents))
    EXPECT_EQ(workload["spec"]["template"]["metadata"]["labels"]["porter.release"].as<std::string>(), "v7");
}

TEST(Manifests, WithoutASiteTheNamespaceIsTheEnvironmentsAndThereIsNoIngress) {
  const auto plan = sample_plan();
  EXPECT_EQ(default_namespace(plan), "shop-production");
  const auto documents = YAML::LoadAll(render_cluster_manifests(plan));
  EXPECT_EQ(kinds(documents), (std::vector<std::string>{"Namespace", "NetworkPolicy", "Secret", "Job", "Deployment",
                                                        "Service", "Deployment"}));
  EXPECT_EQ(documents[0]["metadata"]["name"].as<std::string>(), "shop-production");
  for (std::size_t i = 1; i < documents.size(); ++i)
    EXPECT_EQ(documents[i]["metadata"]["namespace"].as<std::string>(), "shop-production");
  EXPECT_FALSE(workloads(documents)[0]["spec"]["template"]["spec"]["imagePullSecrets"]);
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

// The local engine (podman kube play) gets exactly what it got before the
// cluster form existed: config inline, no namespace, no rollout settings.
TEST(Manifests, LocalFormIsUnchanged) {
  auto plan = sample_plan();
  Placement placement{"shop-production-v7-web-0", 1, 41002, 8000};
  EXPECT_EQ(render_deployment(plan, plan.services[0], placement), R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-production-v7-web-0
  labels:
    app.kubernetes.io/name: shop-production-web
    porter.app: shop
    porter.env: production
    porter.service: web
    porter.release: v7
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: shop-production-web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: shop-production-web
        porter.app: shop
        porter.env: production
        porter.service: web
        porter.release: v7
    spec:
      hostUsers: false
      shareProcessNamespace: true
      restartPolicy: Always
      terminationGracePeriodSeconds: 5
      containers:
        - name: web
          image: 127.0.0.1:5000/shop@sha256:abc
          imagePullPolicy: IfNotPresent
          command: [/bin/sh, -c, ./serve]
          env:
            - name: DATABASE_URL
              value: "postgres://u:p@db/shop"
            - name: PORT
              value: "8000"
          securityContext:
            capabilities:
              drop: [NET_RAW, SYS_CHROOT]
          ports:
            - containerPort: 8000
              hostPort: 41002
              hostIP: 127.0.0.1
          readinessProbe:
            httpGet:
              path: /healthz
              port: 8000
            timeoutSeconds: 2
            periodSeconds: 1
            failureThreshold: 9
)");

  const auto job = YAML::Load(render_predeploy_job(plan));
  EXPECT_FALSE(job["metadata"]["namespace"]);
  EXPECT_FALSE(job["metadata"]["labels"]["app.kubernetes.io/managed-by"]);
  EXPECT_FALSE(job["spec"]["ttlSecondsAfterFinished"]);
  EXPECT_EQ(job["spec"]["backoffLimit"].as<int>(), 0);
  const auto container = first_container(job);
  EXPECT_EQ(env_value(container, "DATABASE_URL"), "postgres://u:p@db/shop");
  EXPECT_FALSE(container["envFrom"]);
  EXPECT_FALSE(job["spec"]["template"]["spec"]["imagePullSecrets"]);
}

TEST(Manifests, PodsRunInTheirOwnUserNamespaceWithoutRawSocketsOrChroot) {
  for (const auto& workload : workloads(YAML::LoadAll(render_cluster_manifests(sample_plan(), kSite)))) {
    const auto pod = workload["spec"]["template"]["spec"];
    EXPECT_FALSE(pod["hostUsers"].as<bool>());
    EXPECT_FALSE(pod["hostNetwork"]);
    EXPECT_EQ(pod["containers"][0]["securityContext"]["capabilities"]["drop"].as<std::vector<std::string>>(),
              (std::vector<std::string>{"NET_RAW", "SYS_CHROOT"}));
  }
}

// A runtime without user namespaces (containerd 1.x) refuses hostUsers: false.
TEST(Manifests, AClusterWithoutUserNamespacesGetsPodsWithoutTheSetting) {
  auto site = kSite;
  site.user_namespaces = false;
  const auto pods = workloads(YAML::LoadAll(render_cluster_manifests(sample_plan(), site)));
  ASSERT_EQ(pods.size(), 3u);
  for (const auto& workload : pods) {
    EXPECT_FALSE(workload["spec"]["template"]["spec"]["hostUsers"]);
    EXPECT_EQ(first_container(workload)["securityContext"]["capabilities"]["drop"].as<std::vector<std::string>>(),
              (std::vector<std::string>{"NET_RAW", "SYS_CHROOT"}));
  }
}

// Every pod of the release (the predeploy's too) is selected by the policy.
TEST(Manifests, TheNetworkPolicyIsolatesTheEnvironment) {
  const auto text = render_cluster_manifests(sample_plan(), kSite);
  const auto documents = YAML::LoadAll(text);
  const auto policies = of_kind(documents, "NetworkPolicy");
  ASSERT_EQ(policies.size(), 1u);
  const auto& policy = policies[0];
  EXPECT_EQ(policy["metadata"]["namespace"].as<std::string>(), "shop-ns");
  const auto selected = policy["spec"]["podSelector"]["matchLabels"];
  EXPECT_EQ(selected.size(), 2u);
  for (const auto& workload : workloads(documents)) {
    const auto labels = workload["spec"]["template"]["metadata"]["labels"];
    for (const auto& label : selected)
      EXPECT_EQ(labels[label.first.as<std::string>()].as<std::string>(), label.second.as<std::string>())
          << workload["kind"].as<std::string>();
  }
  EXPECT_EQ(policy["spec"]["policyTypes"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"Ingress", "Egress"}));
  // Label values are strings: a bare true is a boolean, and kubectl refuses it.
  EXPECT_NE(text.find(std::string(kIngressNamespaceLabel) + ": \"true\""), std::string::npos);
  const auto internet = policy["spec"]["egress"][2]["to"][0]["ipBlock"];
  EXPECT_EQ(internet["cidr"].as<std::string>(), "0.0.0.0/0");
  EXPECT_EQ(internet["except"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"}));
}

TEST(Manifests, ValuesAreQuotedSafely) {
  auto plan = sample_plan();
  plan.config = {{"TRICKY", "a: b\n- c # d \"e\""}};
  const auto secret = of_kind(YAML::LoadAll(render_release_setup(plan, kSite)), "Secret")[0];
  EXPECT_EQ(secret["stringData"]["TRICKY"].as<std::string>(), "a: b\n- c # d \"e\"");
  const auto local = YAML::Load(render_deployment(plan, plan.services[1], {"shop-production-v7-worker-0"}));
  EXPECT_EQ(env_value(first_container(local), "TRICKY"), "a: b\n- c # d \"e\"");
}

release::ReleasePlan day2_plan() {
  auto plan = sample_plan();
  auto& web = plan.services[0];
  web.resources = {500, 512ULL << 20};
  web.autoscaling = config::Autoscaling{2, 10, 70, 80};
  web.disk = config::Disk{"/data", 5ULL << 30};
  plan.jobs = {{"sync", {"/bin/sh", "-c", "bin/sync"}, "*/15 * * * *", std::chrono::seconds(600)}};
  return plan;
}

TEST(Manifests, ResourcesAreRequestedAndLimitedAlike) {
  const auto web = of_kind(YAML::LoadAll(render_release_services(day2_plan(), kSite)), "Deployment")[0];
  const auto resources = first_container(web)["resources"];
  for (const char* kind : {"requests", "limits"}) {
    EXPECT_EQ(resources[kind]["cpu"].as<std::string>(), "500m") << kind;
    EXPECT_EQ(resources[kind]["memory"].as<std::string>(), "512Mi") << kind;
  }
  const auto worker = of_kind(YAML::LoadAll(render_release_services(day2_plan(), kSite)), "Deployment")[1];
  EXPECT_FALSE(first_container(worker)["resources"]);  // none declared: no limits
}

TEST(Manifests, ADiskIsAClaimKeptAcrossReleasesAndMountedAtItsPath) {
  const auto documents = YAML::LoadAll(render_release_services(day2_plan(), kSite));
  const auto claims = of_kind(documents, "PersistentVolumeClaim");
  ASSERT_EQ(claims.size(), 1u);
  const auto& claim = claims[0];
  EXPECT_EQ(claim["metadata"]["name"].as<std::string>(), "shop-production-web-disk");
  EXPECT_EQ(claim["metadata"]["namespace"].as<std::string>(), "shop-ns");
  EXPECT_EQ(claim["spec"]["accessModes"][0].as<std::string>(), "ReadWriteOnce");
  EXPECT_EQ(claim["spec"]["resources"]["requests"]["storage"].as<std::string>(), "5Gi");
  const auto web = of_kind(documents, "Deployment")[0];
  const auto pod = web["spec"]["template"]["spec"];
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"].as<std::string>(), "shop-production-web-disk");
  EXPECT_EQ(first_container(web)["volumeMounts"][0]["mountPath"].as<std::string>(), "/data");
  EXPECT_EQ(first_container(web)["volumeMounts"][0]["name"].as<std::string>(),
            pod["volumes"][0]["name"].as<std::string>());
}

TEST(Manifests, AutoscalingIsAnHpaV2AndTheDeploymentLeavesItTheCount) {
  const auto documents = YAML::LoadAll(render_release_services(day2_plan(), kSite));
  const auto hpas = of_kind(documents, "HorizontalPodAutoscaler");
  ASSERT_EQ(hpas.size(), 1u);
  const auto& hpa = hpas[0];
  EXPECT_EQ(hpa["apiVersion"].as<std::string>(), "autoscaling/v2");
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"]["kind"].as<std::string>(), "Deployment");
  EXPECT_EQ(hpa["spec"]["scaleTargetRef"]["name"].as<std::string>(), "shop-production-web");
  EXPECT_EQ(hpa["spec"]["minReplicas"].as<int>(), 2);
  EXPECT_EQ(hpa["spec"]["maxReplicas"].as<int>(), 10);
  const auto metrics = hpa["spec"]["metrics"];
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[0]["resource"]["name"].as<std::string>(), "cpu");
  EXPECT_EQ(metrics[0]["resource"]["target"]["averageUtilization"].as<int>(), 70);
  EXPECT_EQ(metrics[1]["resource"]["name"].as<std::string>(), "memory");
  EXPECT_EQ(metrics[1]["resource"]["target"]["averageUtilization"].as<int>(), 80);
  const auto deployments = of_kind(documents, "Deployment");
  EXPECT_FALSE(deployments[0]["spec"]["replicas"]);  // the HPA's
  EXPECT_EQ(deployments[1]["spec"]["replicas"].as<int>(), 2);
}

TEST(Manifests, AJobIsACronJobThatNeverOverlaps) {
  const auto cron_jobs = of_kind(YAML::LoadAll(render_release_services(day2_plan(), kSite)), "CronJob");
  ASSERT_EQ(cron_jobs.size(), 1u);
  const auto& cron = cron_jobs[0];
  EXPECT_EQ(cron["metadata"]["name"].as<std::string>(), "shop-production-job-sync");
  EXPECT_EQ(cron["metadata"]["labels"]["porter.service"].as<std::string>(), "job-sync");
  EXPECT_EQ(cron["spec"]["schedule"].as<std::string>(), "*/15 * * * *");
  EXPECT_EQ(cron["spec"]["timeZone"].as<std::string>(), "Etc/UTC");
  EXPECT_EQ(cron["spec"]["concurrencyPolicy"].as<std::string>(), "Forbid");
  const auto job = cron["spec"]["jobTemplate"]["spec"];
  EXPECT_EQ(job["backoffLimit"].as<int>(), 0);
  EXPECT_EQ(job["activeDeadlineSeconds"].as<int>(), 600);
  const auto pod = job["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"].as<std::string>(), "Never");
  EXPECT_EQ(pod["containers"][0]["command"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"/bin/sh", "-c", "bin/sync"}));
  EXPECT_EQ(pod["containers"][0]["envFrom"][0]["secretRef"]["name"].as<std::string>(), "shop-production-config-v7");
}

}  // namespace
}  // namespace porter::cluster
