#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cluster/kubernetes_driver.hpp"
#include "proc/pty.hpp"
#include "support/temp_dir.hpp"

namespace porter::cluster {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// kubectl as a script: records each call's words, answers as a cluster
// whose one-off Job ran, printed a line and failed with exit code 3.
const char* kFakeKubectl = R"(#!/bin/sh
echo "$*" >>"$(dirname "$0")/calls"
for word in "$@"; do
  case "$word" in
    apply) exit 0 ;;
    delete) exit 0 ;;
    logs) printf 'hello from the job\nno newline'; exit 0 ;;
    job) echo '{"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}}'; exit 0 ;;
    pods) echo '{"items": [{"metadata": {"name": "the-pod"}, "status": {"phase": "Failed",
            "containerStatuses": [{"state": {"terminated": {"exitCode": 3}}}]}}]}'; exit 0 ;;
  esac
done
exit 1
)";

class KubernetesRun : public ::testing::Test {
 protected:
  KubernetesRun() {
    const auto kubectl = dir_ / "kubectl";
    std::ofstream(kubectl) << kFakeKubectl;
    fs::permissions(kubectl, fs::perms::owner_all);
    plan_.app = "shop";
    plan_.env = "production";
    plan_.version = 7;
    plan_.image = "127.0.0.1:5000/shop@sha256:abc";
  }

  std::string calls() const {
    std::ifstream file(dir_ / "calls");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  test::TempDir dir_{"kube-run"};
  KubernetesDriver driver_{config::ClusterTarget{.kind = config::ClusterTarget::Kind::kubernetes,
                                                 .kubeconfig = dir_ / "kubeconfig", .context = {},
                                                 .namespace_name = "shop-ns", .registry = {}, .domain = {},
                                                 .image_pull_secret = {}, .user_namespaces = true},
                           dir_ / "kubectl", dir_ / "releases"};
  release::ReleasePlan plan_;
  const OneOff job_{"run-1", {"bin/rake", "db:seed"}, 600s};
};

TEST_F(KubernetesRun, AOneOffIsAJobWhoseLogAndExitCodeComeBackAndWhichIsDeleted) {
  std::vector<std::string> lines;
  proc::CancelToken never;
  const auto result = driver_.run_once(plan_, job_, [&](const std::string& line) { lines.push_back(line); }, never);
  EXPECT_TRUE(result.error.empty()) << result.error;
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(lines, (std::vector<std::string>{"hello from the job", "no newline"}));
  const auto made = calls();
  EXPECT_NE(made.find("apply --server-side"), std::string::npos) << made;
  EXPECT_NE(made.find("logs --follow pod/the-pod"), std::string::npos) << made;
  EXPECT_NE(made.find("delete job shop-production-v7-run-1 "), std::string::npos) << made;
  EXPECT_FALSE(fs::exists(dir_ / "releases" / "shop" / "production" / "v7" / "shop-production-v7-run-1.yaml"));
}

TEST_F(KubernetesRun, AttachedItsLogComesAsBytes) {
  auto streams = proc::attach_pipes();
  ASSERT_TRUE(streams);
  auto job = job_;
  job.stdio = streams->child();
  proc::CancelToken never;
  const auto result = driver_.run_once(plan_, job, [](const std::string&) { FAIL() << "no lines when attached"; }, never);
  EXPECT_EQ(result.exit_code, 3);
  char buffer[256];
  const auto n = ::read(streams->output.get(), buffer, sizeof buffer);
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(std::max<ssize_t>(n, 0))), "hello from the job\nno newline");
}

TEST_F(KubernetesRun, ATerminalIsRefusedInOneLineBeforeAnythingIsMade) {
  auto streams = proc::attach_terminal({});
  ASSERT_TRUE(streams);
  auto job = job_;
  job.stdio = streams->child();
  job.term = "xterm";
  proc::CancelToken never;
  const auto result = driver_.run_once(plan_, job, [](const std::string&) {}, never);
  EXPECT_NE(result.error.find("no terminal for run on Kubernetes environments"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("without -t"), std::string::npos);
  EXPECT_EQ(result.error.find('\n'), std::string::npos);
  EXPECT_EQ(calls(), "");
}

}  // namespace
}  // namespace porter::cluster
