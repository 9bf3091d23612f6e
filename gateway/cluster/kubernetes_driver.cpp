#include "cluster/kubernetes_driver.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <functional>
#include <iomanip>
#include <sstream>
#include <map>
#include <optional>
#include <set>

#include "cluster/replica_logs.hpp"
#include "util/clock.hpp"
#include "util/file.hpp"
#include "util/log.hpp"

namespace porter::cluster {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using release::ReleasePlan;

constexpr std::chrono::milliseconds kPollInterval{500};
constexpr std::chrono::seconds kRolloutSlack{60};  // beyond the Deployments' own progress deadlines
constexpr std::size_t kMaxReasonChars = 200;

// Container states a pod does not leave by waiting longer.
const std::set<std::string> kStuckReasons = {"CrashLoopBackOff", "ImagePullBackOff", "CreateContainerConfigError",
                                             "CreateContainerError", "InvalidImageName", "RunContainerError"};

// ---- reading kubectl's JSON ----

const YAML::Node kMissing(YAML::NodeType::Undefined);

// node.a.b.c, or an undefined node when any step is missing.
YAML::Node at(const YAML::Node& node, std::initializer_list<const char*> path) {
  std::optional<YAML::Node> current(node);  // emplace, never assign: assigning yaml-cpp nodes rewrites them
  for (const char* key : path) {
    if (!current->IsMap()) return kMissing;
    const YAML::Node& map = *current;
    YAML::Node child = map[key];
    if (!child.IsDefined()) return kMissing;
    current.emplace(child);
  }
  return *current;
}

std::string text(const YAML::Node& node) { return node.IsDefined() && node.IsScalar() ? node.Scalar() : ""; }

int number(const YAML::Node& node) {
  const auto value = text(node);
  return value.empty() ? 0 : std::atoi(value.c_str());
}

std::vector<YAML::Node> items(const YAML::Node& list) {
  std::vector<YAML::Node> found;
  const auto sequence = at(list, {"items"});
  if (sequence.IsDefined() && sequence.IsSequence())
    for (const auto& item : sequence) found.push_back(item);
  return found;
}

struct Condition {
  std::string status, reason, message;
};

std::optional<Condition> condition(const YAML::Node& object, const std::string& type) {
  const auto conditions = at(object, {"status", "conditions"});
  if (!conditions.IsDefined() || !conditions.IsSequence()) return std::nullopt;
  for (const auto& entry : conditions)
    if (text(at(entry, {"type"})) == type)
      return Condition{text(at(entry, {"status"})), text(at(entry, {"reason"})), text(at(entry, {"message"}))};
  return std::nullopt;
}

// What the tests and the pusher need of a pod.
struct PodState {
  std::string name, service, phase;
  bool ready = false;
  bool deleting = false;
  std::string waiting_reason, waiting_message;
  std::optional<int> exit_code, last_exit_code;  // the container's current and previous run
};

PodState pod_state(const YAML::Node& pod) {
  PodState state;
  state.name = text(at(pod, {"metadata", "name"}));
  state.service = text(at(pod, {"metadata", "labels", "porter.service"}));
  state.phase = text(at(pod, {"status", "phase"}));
  state.deleting = at(pod, {"metadata", "deletionTimestamp"}).IsDefined();
  const auto ready = condition(pod, "Ready");
  state.ready = ready && ready->status == "True";
  const auto containers = at(pod, {"status", "containerStatuses"});
  if (containers.IsDefined() && containers.IsSequence() && containers.size() > 0) {
    const YAML::Node container = containers[0];
    state.waiting_reason = text(at(container, {"state", "waiting", "reason"}));
    state.waiting_message = text(at(container, {"state", "waiting", "message"}));
    if (const auto code = at(container, {"state", "terminated", "exitCode"}); code.IsDefined())
      state.exit_code = number(code);
    if (const auto code = at(container, {"lastState", "terminated", "exitCode"}); code.IsDefined())
      state.last_exit_code = number(code);
  }
  return state;
}

std::vector<PodState> pod_states(const YAML::Node& list) {
  std::vector<PodState> pods;
  for (const auto& pod : items(list)) pods.push_back(pod_state(pod));
  return pods;
}

// "web: CrashLoopBackOff (exit 3): back-off 10s restarting failed container"
std::optional<std::string> stuck(const PodState& pod) {
  if (!kStuckReasons.contains(pod.waiting_reason)) return std::nullopt;
  auto reason = pod.service + ": " + pod.waiting_reason;
  if (pod.last_exit_code) reason += " (exit " + std::to_string(*pod.last_exit_code) + ")";
  if (!pod.waiting_message.empty()) reason += ": " + pod.waiting_message.substr(0, kMaxReasonChars);
  return reason;
}

// As many as the Deployment asks for now: an autoscaler may have changed the count.
int desired_replicas(const YAML::Node& deployment) { return number(at(deployment, {"spec", "replicas"})); }

// A Deployment whose every replica runs the applied spec and is available.
bool rolled_out(const YAML::Node& deployment) {
  const auto replicas = desired_replicas(deployment);
  const auto status = at(deployment, {"status"});
  return number(at(deployment, {"metadata", "generation"})) <= number(at(status, {"observedGeneration"})) &&
         number(at(status, {"updatedReplicas"})) == replicas && number(at(status, {"replicas"})) == replicas &&
         number(at(status, {"availableReplicas"})) == replicas;
}

// The latest warning Kubernetes gave about a pod: why it does not start
// (FailedScheduling, FailedCreatePodSandBox, FailedMount) or is not ready (Unhealthy).
struct Warning {
  std::string reason, message, when;
  int count = 1;

  std::string describe() const { return reason + ": " + message.substr(0, kMaxReasonChars); }
};

// By pod name. Warnings only explain: without them the wait goes on.
std::map<std::string, Warning> pod_warnings(const Kubectl& client) {
  std::map<std::string, Warning> latest;
  auto events = client.get({"events", "--field-selector", "type=Warning,involvedObject.kind=Pod"});
  if (!events) return latest;
  for (const auto& event : items(*events)) {
    auto when = text(at(event, {"lastTimestamp"}));
    if (when.empty()) when = text(at(event, {"eventTime"}));
    Warning warning{text(at(event, {"reason"})), text(at(event, {"message"})), when,
                    std::max(1, number(at(event, {"count"})))};
    auto& slot = latest[text(at(event, {"involvedObject", "name"}))];
    if (warning.when >= slot.when) slot = warning;
  }
  return latest;
}

// A warning that retrying does not cure: the pod's sandbox cannot be made.
std::optional<std::string> hopeless(const Warning& warning) {
  if (warning.reason != "FailedCreatePodSandBox" || warning.count < 3) return std::nullopt;
  auto reason = warning.describe();
  if (warning.message.find("user namespaces") != std::string::npos)
    reason += " (set user_namespaces: false for this environment in gateway.yaml)";
  return reason;
}

// The Deployment controller gave up on the applied spec (not on an older one).
bool stalled(const YAML::Node& deployment) {
  const auto progress = condition(deployment, "Progressing");
  return progress && progress->reason == "ProgressDeadlineExceeded" &&
         number(at(deployment, {"metadata", "generation"})) <= number(at(deployment, {"status", "observedGeneration"}));
}

const PodState* first_unready(const std::vector<PodState>& pods, const std::string& service) {
  for (const auto& pod : pods)
    if (pod.service == service && !pod.ready && !pod.deleting) return &pod;
  return nullptr;
}

// Tells the pusher the latest warning about `pod` when it is new (`reported`
// keeps the last one told); returns it when retrying will not cure it.
std::optional<std::string> explain(const Kubectl& client, const PodState& pod, const proc::LineSink& output,
                                   std::string& reported) {
  const auto warnings = pod_warnings(client);
  const auto found = warnings.find(pod.name);
  if (found == warnings.end()) return std::nullopt;
  const auto told = pod.service + ": " + found->second.describe();
  if (told != reported) output(reported = told);
  return hopeless(found->second);
}

std::optional<YAML::Node> named(const std::vector<YAML::Node>& objects, const std::string& name) {
  for (const auto& object : objects)
    if (text(at(object, {"metadata", "name"})) == name) return object;
  return std::nullopt;
}

// ---- selectors ----

std::string environment_selector(const ReleasePlan& plan) {
  return "porter.app=" + plan.app + ",porter.env=" + plan.env + ",app.kubernetes.io/managed-by=porter";
}

std::string version_label(int version) { return "v" + std::to_string(version); }

std::string release_selector(const ReleasePlan& plan) {
  return environment_selector(plan) + ",porter.release=" + version_label(plan.version);
}

proc::RunResult ended(int exit_code, bool timed_out = false, bool cancelled = false) {
  proc::RunResult result;
  result.exit_code = exit_code;
  result.timed_out = timed_out;
  result.cancelled = cancelled;
  return result;
}

proc::RunResult failed(const std::string& error) {
  proc::RunResult result;
  result.error = error;
  return result;
}

// Follows Job `job_name` to its end: once its pod runs, `follow_log` follows
// the pod's log until the container ends; then the Job's verdict is read.
// Why a pod does not start goes to `output`, and fails the run when waiting
// will not cure it.
proc::RunResult follow_job(const Kubectl& client, const std::string& job_name, std::chrono::seconds timeout,
                           const std::function<void(const std::string& pod)>& follow_log,
                           const proc::LineSink& output, const proc::CancelToken& cancel) {
  const auto deadline = Clock::now() + timeout + kRolloutSlack;
  bool logged = false;
  std::string reported;
  while (true) {
    auto job = client.get({"job", job_name});
    auto pods = client.get({"pods", "-l", "job-name=" + job_name});
    if (!job) return failed(job.error().message);
    if (!pods) return failed(pods.error().message);
    const auto states = pod_states(*pods);
    const auto* pod = states.empty() ? nullptr : &states.front();
    if (pod && !logged && (pod->phase == "Running" || pod->phase == "Succeeded" || pod->phase == "Failed")) {
      follow_log(pod->name);
      logged = true;
      continue;
    }
    if (const auto done = condition(*job, "Complete"); done && done->status == "True") return ended(0);
    if (const auto gone = condition(*job, "Failed"); gone && gone->status == "True") {
      return ended(pod && pod->exit_code ? *pod->exit_code : 1, gone->reason == "DeadlineExceeded");
    }
    if (pod)
      if (auto reason = stuck(*pod)) return failed(*reason);
    if (pod && pod->phase == "Pending")
      if (auto warning = explain(client, *pod, output, reported); warning) return failed(*warning);
    if (Clock::now() > deadline) return ended(-1, true);
    if (!proc::sleep_until(cancel, Clock::now() + kPollInterval)) return ended(-1, false, true);
  }
}

// Lines for a client attached by its descriptors (a one-off's warnings), each
// dropped rather than waited for when the pipe is full: the client reads it
// on another thread, which may be gone.
proc::LineSink to_descriptor(int fd) {
  return [fd](const std::string& line) {
    const auto text = line.substr(0, PIPE_BUF - 1) + "\n";
    pollfd room{fd, POLLOUT, 0};
    if (::poll(&room, 1, 0) == 1 && (room.revents & POLLOUT)) (void)!::write(fd, text.data(), text.size());
  };
}

// Where the rollout may take longest: a web service's health check budget.
std::chrono::seconds rollout_budget(const ReleasePlan& plan) {
  std::chrono::seconds budget{120};
  if (const auto* web = plan.web())
    budget = std::max(budget, web->healthcheck.timeout * web->healthcheck.attempts);
  return budget + kRolloutSlack;
}

}  // namespace

std::string KubernetesDriver::name() const {
  return target_.context.empty() ? "kubernetes" : target_.context + " (kubernetes)";
}

ClusterSite KubernetesDriver::site(const ReleasePlan& plan) const {
  return {target_.namespace_name.empty() ? default_namespace(plan) : target_.namespace_name, target_.domain,
          target_.image_pull_secret, target_.user_namespaces};
}

Kubectl KubernetesDriver::kubectl(const ReleasePlan& plan) const {
  return Kubectl(kubectl_, target_.kubeconfig, target_.context, site(plan).namespace_name);
}

fs::path KubernetesDriver::release_dir(const ReleasePlan& plan) const {
  return releases_dir_ / plan.app / plan.env / version_label(plan.version);
}

// The file keeps config vars (the Secret): private to the gateway.
Result<> KubernetesDriver::apply(const ReleasePlan& plan, const std::string& file,
                                 const std::string& manifests) const {
  const auto path = release_dir(plan) / file;
  if (!util::write_private_file(path, manifests)) return fail("cannot write " + path.string());
  if (auto applied = kubectl(plan).apply(path); !applied)
    return fail("cluster " + name() + ": " + applied.error().message);
  return ok();
}

Result<> KubernetesDriver::prepare(const ReleasePlan& plan, const Output& output, const proc::CancelToken&) {
  if (auto applied = apply(plan, "setup.yaml", render_release_setup(plan, site(plan))); !applied) return applied;
  output.detail("namespace " + site(plan).namespace_name + ", config " + config_secret_name(plan));
  return ok();
}

proc::RunResult KubernetesDriver::run_predeploy(const ReleasePlan& plan, const proc::LineSink& output,
                                                const proc::CancelToken& cancel) {
  if (auto applied = apply(plan, "predeploy.yaml", render_predeploy_job(plan, site(plan))); !applied)
    return failed(applied.error().message);
  const auto client = kubectl(plan);
  return follow_job(
      client, predeploy_job_name(plan), plan.predeploy_timeout,
      [&](const std::string& pod) {
        client.stream({"logs", "--follow", "pod/" + pod}, output, cancel, plan.predeploy_timeout);
      },
      output, cancel);
}

// A Job of its own, followed as the predeploy's is, then deleted (its pod
// with it). Attached, its log streams as bytes to the client's stdout;
// nothing reaches its stdin (the client's input is left unread), and there
// is no terminal to give it.
proc::RunResult KubernetesDriver::run_once(const ReleasePlan& plan, const OneOff& job, const proc::LineSink& output,
                                           const proc::CancelToken& cancel) {
  if (job.stdio && job.stdio->terminal)
    return failed("no terminal for run on Kubernetes environments (" + name() + "): run it without -t");
  const auto job_name = one_off_job_name(plan, job.name);
  const auto file = job_name + ".yaml";
  if (auto applied = apply(plan, file, render_one_off_job(plan, site(plan), job.name, job.argv, job.timeout));
      !applied)
    return failed(applied.error().message);
  const auto client = kubectl(plan);
  const auto follow_log = [&](const std::string& pod) {
    const std::vector<std::string> args = {"logs", "--follow", "pod/" + pod};
    if (job.stdio)
      client.attach(args, *job.stdio, cancel, job.timeout);
    else
      client.stream(args, output, cancel, job.timeout);
  };
  auto result = follow_job(client, job_name, job.timeout, follow_log,
                           job.stdio ? to_descriptor(job.stdio->err) : output, cancel);
  if (auto removed = client.run({"delete", "job", job_name, "--ignore-not-found", "--wait=false",
                                 "--cascade=background"});
      !removed)
    util::logger("cluster")->error("removing one-off job {} failed: {}", job_name, removed.error().message);
  std::error_code ignored;
  fs::remove(release_dir(plan) / file, ignored);
  return result;
}

Result<std::vector<release::Replica>> KubernetesDriver::start(const ReleasePlan& plan, const Output& output,
                                                              const proc::CancelToken& cancel) {
  if (auto applied = apply(plan, "services.yaml", render_release_services(plan, site(plan))); !applied)
    return std::unexpected(applied.error());
  if (auto done = wait_rollout(plan, output, cancel); !done) return std::unexpected(done.error());
  std::vector<release::Replica> replicas;
  for (const auto& service : plan.services)
    for (int index = 0; index < service.replicas; ++index)
      replicas.push_back({service.name, index, object_name(plan, service.name), 0});
  return replicas;
}

// The same release's Deployments with other replica counts: their pod
// template is unchanged, so nothing that runs restarts.
Result<std::vector<release::Replica>> KubernetesDriver::scale(const ReleasePlan& plan,
                                                              const std::vector<release::Replica>&,
                                                              const Output& output, const proc::CancelToken& cancel) {
  return start(plan, output, cancel);
}

std::vector<ReplicaStatus> KubernetesDriver::status(const ReleasePlan& plan, const std::vector<release::Replica>&) {
  std::vector<ReplicaStatus> found;
  auto pods = kubectl(plan).get({"pods", "-l", release_selector(plan)});
  if (!pods) return found;
  for (const auto& pod : items(*pods)) {
    const auto state = pod_state(pod);
    ReplicaStatus status{state.service + "." + state.name.substr(state.name.rfind('-') + 1), "", 0, 0, ""};
    status.state = !state.waiting_reason.empty() ? state.waiting_reason
                   : state.deleting             ? "terminating"
                   : state.ready                ? "running"
                                                : "not ready (" + state.phase + ")";
    if (const auto containers = at(pod, {"status", "containerStatuses"}); containers.IsSequence() && containers.size())
      status.restarts = number(at(containers[0], {"restartCount"}));
    std::tm started{};
    if (std::istringstream(text(at(pod, {"status", "startTime"}))) >> std::get_time(&started, "%Y-%m-%dT%H:%M:%SZ"))
      status.started_at = timegm(&started);
    found.push_back(std::move(status));
  }
  return found;
}

Result<> KubernetesDriver::logs(const ReleasePlan& plan, const std::vector<release::Replica>&,
                                const LogRequest& request, const proc::LineSink& output,
                                const proc::CancelToken& cancel) {
  constexpr std::chrono::hours kLongest{24};
  auto selector = release_selector(plan);
  if (!request.service.empty()) selector += ",porter.service=" + request.service;
  std::vector<std::string> args = {"logs", "-l", selector, "--prefix", "--timestamps", "--max-log-requests", "50",
                                   "--tail", std::to_string(request.tail)};
  if (request.follow) args.push_back("--follow");
  const auto result = kubectl(plan).stream(
      args, [&](const std::string& line) { output(from_kubectl_log(line)); }, cancel, kLongest);
  if (!result.error.empty()) return fail("cluster " + name() + ": " + result.error);
  if (!result.ok() && !cancel.cancelled())
    return fail("cluster " + name() + ": " + (result.last_lines.empty() ? "kubectl logs failed" : result.last_lines.back()));
  return ok();
}

// Reports "web 2/3 ready, worker 1/1 ready" as it changes, until every
// Deployment has rolled out; fails on the first reason a pod gives.
Result<> KubernetesDriver::wait_rollout(const ReleasePlan& plan, const Output& output,
                                        const proc::CancelToken& cancel) const {
  const auto client = kubectl(plan);
  const auto started = Clock::now();
  const auto deadline = started + rollout_budget(plan);
  const auto not_ready = "release " + version_label(plan.version) + " did not roll out: ";
  std::string reported, warned;
  while (true) {
    auto deployments = client.get({"deployments", "-l", environment_selector(plan)});
    auto pods = client.get({"pods", "-l", release_selector(plan)});
    if (!deployments) return fail("cluster " + name() + ": " + deployments.error().message);
    if (!pods) return fail("cluster " + name() + ": " + pods.error().message);
    const auto states = pod_states(*pods);
    const auto objects = items(*deployments);
    std::string report;
    bool complete = true;
    for (const auto& service : plan.services) {
      const auto deployment = named(objects, object_name(plan, service.name));
      const int desired = deployment ? desired_replicas(*deployment) : service.replicas;
      int ready = 0;
      for (const auto& pod : states) {
        if (pod.service != service.name) continue;
        if (auto reason = stuck(pod)) return fail(not_ready + *reason);
        ready += pod.ready && !pod.deleting;
      }
      if (const auto* waiting = first_unready(states, service.name))
        if (auto hopeless = explain(client, *waiting, output.detail, warned))
          return fail(not_ready + service.name + ": " + *hopeless);
      report += (report.empty() ? "" : ", ") + service.name + " " + std::to_string(std::min(ready, desired)) + "/" +
                std::to_string(desired) + " ready";
      if (!deployment || !rolled_out(*deployment)) complete = false;
      if (deployment && stalled(*deployment))
        return fail(not_ready + service.name + ": ProgressDeadlineExceeded (" + report +
                    (warned.empty() ? "" : "; " + warned) + ")");
    }
    if (report != reported) output.detail(reported = report);
    if (complete) {
      output.detail("rolled out in " + util::seconds_since(started));
      return ok();
    }
    if (Clock::now() > deadline)
      return fail(not_ready + "not ready after " + util::seconds_since(started) + " (" + report +
                  (warned.empty() ? "" : "; " + warned) + ")");
    if (!proc::sleep_until(cancel, Clock::now() + kPollInterval)) return fail("cancelled");
  }
}

Result<std::string> KubernetesDriver::route(const ReleasePlan& plan, const std::vector<release::Replica>&,
                                            const Output&) {
  const auto* web = plan.web();
  if (!web || web->replicas == 0) return std::string();
  if (!target_.domain.empty()) return "http://" + plan.env + "." + plan.app + "." + target_.domain;
  return "http://" + object_name(plan, "web") + "." + site(plan).namespace_name + ".svc.cluster.local";
}

// Deletes the Deployments of services `kept` has not, and its web Service
// and Ingress when it has no web service.
void KubernetesDriver::prune(const ReleasePlan& kept) const {
  std::vector<std::string> services, autoscaled, jobs;
  for (const auto& service : kept.services) {
    services.push_back(service.name);
    if (service.autoscaling) autoscaled.push_back(service.name);
  }
  for (const auto& job : kept.jobs) jobs.push_back("job-" + job.name);
  // The objects of `kind` whose porter.service is none of `names` (all of them for none).
  const auto others = [&](const std::vector<std::string>& names) {
    std::string list;
    for (const auto& name : names) list += (list.empty() ? "" : ",") + name;
    return environment_selector(kept) + (list.empty() ? "" : ",porter.service notin (" + list + ")");
  };
  const auto client = kubectl(kept);
  auto removed = client.remove("deployments", others(services));
  if (removed) removed = client.remove("horizontalpodautoscalers", others(autoscaled));
  if (removed) removed = client.remove("cronjobs", others(jobs));
  if (removed && !kept.web()) removed = client.remove("services,ingresses", environment_selector(kept));
  if (!removed) util::logger("cluster")->error("pruning failed app={} env={}: {}", kept.app, kept.env,
                                               removed.error().message);
}

void KubernetesDriver::abandon(const ReleasePlan& plan, const std::vector<release::Replica>&,
                               const ReleasePlan* previous) {
  const auto log = util::logger("cluster");
  const auto client = kubectl(plan);
  if (previous) {
    // Its pods still serve (maxUnavailable 0): this takes the new ones away.
    proc::CancelToken never;
    const Output quiet{[](const std::string&) {}, [](const std::string&) {}};
    auto restored = apply(*previous, "services.yaml", render_release_services(*previous, site(*previous)));
    if (restored) restored = wait_rollout(*previous, quiet, never);
    if (!restored)
      log->error("restoring v{} failed app={} env={}: {}", previous->version, plan.app, plan.env,
                 restored.error().message);
    prune(*previous);
  } else if (auto removed = client.remove("deployments,services,ingresses,horizontalpodautoscalers,cronjobs",
                                          environment_selector(plan));
             !removed) {
    log->error("removing v{} failed app={} env={}: {}", plan.version, plan.app, plan.env, removed.error().message);
  }
  if (auto removed = client.remove("secrets,jobs", release_selector(plan)); !removed)
    log->error("removing v{}'s config failed app={} env={}: {}", plan.version, plan.app, plan.env,
               removed.error().message);
}

// The previous release's Secret stays: a rollback can still find its pods' config.
void KubernetesDriver::retire(const ReleasePlan& previous, const std::vector<release::Replica>&,
                              const ReleasePlan& live) {
  prune(live);
  const auto kept = version_label(live.version) + "," + version_label(previous.version);
  if (auto removed =
          kubectl(live).remove("secrets", environment_selector(live) + ",porter.service=config,porter.release notin (" +
                                              kept + ")");
      !removed)
    util::logger("cluster")->error("removing old config failed app={} env={}: {}", live.app, live.env,
                                   removed.error().message);
}

}  // namespace porter::cluster
