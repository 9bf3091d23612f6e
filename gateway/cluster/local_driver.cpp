#include "cluster/local_driver.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "cluster/replica_logs.hpp"
#include "http/probe.hpp"
#include "sandbox/network.hpp"
#include "util/clock.hpp"
#include "util/file.hpp"
#include "util/log.hpp"

namespace porter::cluster {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using release::Replica;
using util::seconds_since;

constexpr std::chrono::seconds kPodmanTimeout{600};  // kube play may pull a large image from the registry
constexpr std::chrono::milliseconds kHealthInterval{500};
constexpr long kIdsPerEnvironment = 65536;

proc::RunResult podman(std::vector<std::string> args, const proc::LineSink& output, const proc::CancelToken& cancel) {
  return proc::run({.program = "podman", .args = std::move(args), .env = {}, .dir = {}}, output, cancel,
                   kPodmanTimeout);
}

const proc::LineSink quiet = [](const std::string&) {};

constexpr int kCrashLogLines = 20;


// Why waiting longer will not make a replica healthy: its process exited
// (podman restarts it at once, restartPolicy Always). Its last lines go to
// `output`.
struct ContainerState {
  int restarts = 0;
  std::string status;
  int exit_code = 0;  // of the last run; podman shows 0 while it runs again

  bool stopped() const { return status == "exited" || status == "stopped"; }
};

std::optional<ContainerState> container_state(const std::string& container) {
  const auto state = proc::output_of(
      {.program = "podman", .args = {"inspect", "--format", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}",
                                     container}, .env = {}, .dir = {}},
      std::chrono::seconds(10));
  if (!state || state->empty()) return std::nullopt;
  ContainerState found;
  std::istringstream(state->front()) >> found.restarts >> found.status >> found.exit_code;
  return found;
}

std::string replica_name(const Replica& replica) { return replica.service + "." + std::to_string(replica.index); }

// A failing replica's last output, for the pusher to see why.
void show_last_lines(const Replica& replica, const proc::LineSink& output) {
  const proc::Command logs_command{
      .program = "podman",
      .args = {"logs", "--tail", std::to_string(kCrashLogLines), LocalDriver::container_of(replica)},
      .env = {},
      .dir = {}};
  const auto logs = proc::output_of(logs_command, std::chrono::seconds(10));
  for (const auto& line : logs.value_or(std::vector<std::string>{})) output(replica_name(replica) + "| " + line);
}

// Why waiting longer will not make a replica healthy: its process exited
// (podman restarts it at once, restartPolicy Always). Its last lines go to
// `output`. The exit code shows only while the container is down between
// runs: a few looks catch one.
std::optional<std::string> exited(const Replica& replica, const proc::LineSink& output) {
  const auto container = LocalDriver::container_of(replica);
  auto state = container_state(container);
  if (!state || (state->restarts == 0 && !state->stopped())) return std::nullopt;
  for (int look = 0; look < 20 && !state->stopped(); ++look) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (auto again = container_state(container)) state = again;
  }
  show_last_lines(replica, output);
  const auto how = state->stopped() ? "exited with code " + std::to_string(state->exit_code)
                                    : "keeps exiting (restarted " + std::to_string(state->restarts) + " times)";
  return replica_name(replica) + " " + how + " while starting (its last lines are above)";
}

// A one-off container's config vars, as podman secrets of type env: exact
// bytes, newlines included (an --env-file is read line by line), and never
// on a command line. Removed with this object.
class ConfigSecrets {
 public:
  ConfigSecrets(const std::string& prefix, const std::map<std::string, std::string>& config,
                const fs::path& private_dir) {
    const auto file = private_dir / "secret.value";
    for (const auto& [key, value] : config) {
      const auto name = prefix + "-" + key;
      names_.push_back(name);
      args_.insert(args_.end(), {"--secret", name + ",type=env,target=" + key});
      proc::CancelToken never;
      podman({"secret", "rm", name}, quiet, never);  // left by a crash
      made_ = made_ && util::write_private_file(file, value) &&
              podman({"secret", "create", name, file.string()}, quiet, never).ok();
    }
    fs::remove(file);
  }
  ~ConfigSecrets() {
    if (names_.empty()) return;
    std::vector<std::string> args = {"secret", "rm"};
    args.insert(args.end(), names_.begin(), names_.end());
    proc::CancelToken never;
    podman(args, quiet, never);
  }
  ConfigSecrets(const ConfigSecrets&) = delete;
  ConfigSecrets& operator=(const ConfigSecrets&) = delete;

  bool made() const { return made_; }
  const std::vector<std::string>& args() const { return args_; }

 private:
  std::vector<std::string> names_, args_;
  bool made_ = true;
};

// An attached one-off keeps its stdin (-i) and, given a terminal, gets one
// in the container (-t: podman passes on the size and its changes). No
// detach keys: a detached container would outlive its session. No signal
// proxy: a cancel's SIGTERM ends podman at once (the container is removed
// next), where the container's PID 1, an interactive shell, would ignore it.
std::vector<std::string> attach_args(const OneOff& job) {
  if (!job.stdio) return {};
  std::vector<std::string> args = {"--interactive", "--detach-keys", "", "--sig-proxy=false"};
  if (job.stdio->terminal) args.push_back("--tty");
  if (job.stdio->terminal && !job.term.empty()) args.insert(args.end(), {"--env", "TERM=" + job.term});
  return args;
}

std::vector<int> web_ports(const std::vector<Replica>& replicas) {
  std::vector<int> ports;
  for (const auto& replica : replicas)
    if (replica.service == "web") ports.push_back(replica.port);
  return ports;
}

}  // namespace

fs::path LocalDriver::release_dir(const release::ReleasePlan& plan) const {
  return releases_dir_ / plan.app / plan.env / ("v" + std::to_string(plan.version));
}

fs::path LocalDriver::manifest_file(const release::ReleasePlan& plan, const Replica& replica) const {
  return release_dir(plan) / (replica.service + "-" + std::to_string(replica.index) + ".yaml");
}

Placement LocalDriver::placement(const release::ReleasePlan& plan, const release::Service& service,
                                 const Replica& replica) const {
  Placement placement{object_name(plan, "v" + std::to_string(plan.version) + "-" + service.name + "-" +
                                            std::to_string(replica.index)),
                      1, std::nullopt, std::nullopt};
  if (service.is_web()) {
    placement.port = service.port.value_or(kDefaultContainerPort);
    placement.host_port = replica.port;
  }
  return placement;
}

// The `containers` subordinate range scripts/setup writes: "containers:START:COUNT".
std::optional<std::pair<long, long>> containers_ids() {
  std::ifstream file("/etc/subuid");
  for (std::string line; std::getline(file, line);) {
    long start = 0, count = 0;
    if (std::sscanf(line.c_str(), "containers:%ld:%ld", &start, &count) == 2) return std::pair{start, count};
  }
  return std::nullopt;
}

// Every release of an environment maps root to the same host ids, so what
// one release wrote to a disk the next one owns; no two environments share
// ids. (Builds use another range: sandbox/build_store.hpp.)
Result<std::string> LocalDriver::user_namespace(const release::ReleasePlan& plan) const {
  static const auto range = containers_ids();
  if (!range) return fail("no 'containers' range in /etc/subuid: run scripts/setup");
  const long slot = uid_slots_(plan.app, plan.env);
  if ((slot + 1) * kIdsPerEnvironment > range->second)
    return fail("the 'containers' subordinate ids are used up (" + std::to_string(slot) + " environments)");
  const auto map = "0:" + std::to_string(range->first + slot * kIdsPerEnvironment) + ":" +
                   std::to_string(kIdsPerEnvironment);
  return "--userns=auto:size=" + std::to_string(kIdsPerEnvironment) + ",uidmapping=" + map + ",gidmapping=" + map;
}

Result<std::string> LocalDriver::network(const release::ReleasePlan& plan) {
  auto network = sandbox::ensure_network(sandbox::app_network_name(plan.app, plan.env), host_ports_);
  if (!network) return std::unexpected(network.error());
  return network->name;
}

fs::path LocalDriver::log_file(const release::ReleasePlan& plan, const Replica& replica) const {
  return logs_.dir / plan.app / plan.env / ("v" + std::to_string(plan.version)) /
         (replica.service + "." + std::to_string(replica.index) + ".log");
}

// podman's own chatter (ids) stays out of the progress; its error lines do not.
bool LocalDriver::play(const release::ReleasePlan& plan, const Replica& replica, const proc::LineSink& output,
                       const proc::CancelToken& cancel) {
  auto network_name = network(plan);
  if (!network_name) {
    output(network_name.error().message);
    return false;
  }
  auto userns = user_namespace(plan);
  if (!userns) {
    output(userns.error().message);
    return false;
  }
  // A replica's log is capped: conmon starts it over past 10 MB. It is a
  // file of ours, so it outlives the pod.
  const auto log = log_file(plan, replica);
  fs::create_directories(log.parent_path());
  auto result = podman({"kube", "play", "--quiet", *userns, "--network", *network_name, "--log-opt",
                        "max-size=10mb", "--log-opt", "path=" + log.string(), manifest_file(plan, replica).string()},
                       quiet, cancel);
  if (!result.ok())
    for (const auto& line : result.last_lines) output(line);
  return result.ok();
}

// podman has no local Job runner: the predeploy Job's container runs as a one-off.
proc::RunResult LocalDriver::run_predeploy(const release::ReleasePlan& plan, const proc::LineSink& output,
                                           const proc::CancelToken& cancel) {
  util::write_private_file(release_dir(plan) / "predeploy.yaml", render_predeploy_job(plan));
  return run_once(plan, {"predeploy", plan.predeploy, plan.predeploy_timeout}, output, cancel);
}

proc::RunResult LocalDriver::run_once(const release::ReleasePlan& plan, const OneOff& job,
                                      const proc::LineSink& output, const proc::CancelToken& cancel) {
  const auto name = object_name(plan, "v" + std::to_string(plan.version) + "-" + job.name);
  fs::create_directories(release_dir(plan));
  auto network_name = network(plan);
  if (!network_name) return proc::RunResult{.error = network_name.error().message, .last_lines = {}};
  auto userns = user_namespace(plan);
  if (!userns) return proc::RunResult{.error = userns.error().message, .last_lines = {}};
  const ConfigSecrets secrets(name, plan.config, release_dir(plan));
  if (!secrets.made()) return proc::RunResult{.error = "podman could not store the config vars", .last_lines = {}};
  std::vector<std::string> args = {"run", "--rm", "--name", name, *userns, "--network", *network_name,
                                   "--cap-drop", "NET_RAW", "--cap-drop", "SYS_CHROOT"};
  const auto secret_args = secrets.args();
  args.insert(args.end(), secret_args.begin(), secret_args.end());
  const auto attached = attach_args(job);
  args.insert(args.end(), attached.begin(), attached.end());
  args.insert(args.end(), {"--entrypoint", job.argv.front(), plan.image});
  args.insert(args.end(), job.argv.begin() + 1, job.argv.end());
  const proc::Command command{.program = "podman", .args = args, .env = {}, .dir = {}};
  auto result = job.stdio ? proc::run_attached(command, *job.stdio, cancel, job.timeout)
                          : proc::run(command, output, cancel, job.timeout);
  if (!result.ok()) {
    proc::CancelToken never;
    podman({"rm", "--force", "--time", "0", name}, quiet, never);  // a killed client leaves the container
  }
  return result;
}

Result<std::vector<Replica>> LocalDriver::start(const release::ReleasePlan& plan, const Output& output,
                                                const proc::CancelToken& cancel) {
  util::write_private_file(release_dir(plan) / "kubernetes.yaml", render_cluster_manifests(plan));
  auto replicas = play_all(plan, output, cancel);
  if (!replicas) return replicas;
  if (auto healthy = wait_healthy(plan, *replicas, output, cancel); !healthy) {
    stop(*replicas);
    return std::unexpected(healthy.error());
  }
  return replicas;
}

Result<Replica> LocalDriver::play_replica(const release::ReleasePlan& plan, const release::Service& service,
                                          int index, const Output& output, const proc::CancelToken& cancel) {
  Replica replica{service.name, index, "", service.is_web() ? sandbox::unclaimed_port() : 0};
  if (service.is_web() && replica.port == 0) return fail("no free port on 127.0.0.1 for " + service.name);
  const auto spec = placement(plan, service, replica);
  replica.pod = spec.name + "-pod-0";  // podman's name for a Deployment's pod
  util::write_private_file(manifest_file(plan, replica), render_deployment(plan, service, spec));
  if (!play(plan, replica, output.detail, cancel)) {
    stop({replica});  // kube play may have left it half made
    return fail(cancel.cancelled() ? "cancelled" : "starting " + replica.pod + " failed");
  }
  return replica;
}

Result<std::vector<Replica>> LocalDriver::play_all(const release::ReleasePlan& plan, const Output& output,
                                                   const proc::CancelToken& cancel) {
  std::vector<Replica> started;
  for (const auto& service : plan.services) {
    for (int index = 0; index < service.replicas; ++index) {
      auto replica = play_replica(plan, service, index, output, cancel);
      if (!replica) {
        stop(started);
        return std::unexpected(replica.error());
      }
      started.push_back(*replica);
    }
  }
  return started;
}

Result<std::vector<Replica>> LocalDriver::scale(const release::ReleasePlan& plan, const std::vector<Replica>& current,
                                                const Output& output, const proc::CancelToken& cancel) {
  std::vector<Replica> kept, added, surplus;
  for (const auto& replica : current) {
    const auto* service = plan.service(replica.service);
    (service && replica.index < service->replicas ? kept : surplus).push_back(replica);
  }
  for (const auto& service : plan.services) {
    for (int index = 0; index < service.replicas; ++index) {
      const bool runs = std::ranges::any_of(
          kept, [&](const Replica& replica) { return replica.service == service.name && replica.index == index; });
      if (runs) continue;
      output.stage("Starting " + service.name + "." + std::to_string(index));
      auto replica = play_replica(plan, service, index, output, cancel);
      if (replica) added.push_back(*replica);
      if (!replica) {
        stop(added);
        return std::unexpected(replica.error());
      }
    }
  }
  if (auto healthy = wait_healthy(plan, added, output, cancel); !healthy) {
    stop(added);
    return std::unexpected(healthy.error());
  }
  auto running = kept;
  running.insert(running.end(), added.begin(), added.end());
  if (!added.empty() || !surplus.empty())
    if (auto routed = route(plan, running, output); !routed) {
      stop(added);
      return std::unexpected(routed.error());
    }
  stop(surplus);
  return running;
}

// Every web replica must answer 2xx/3xx on the health path before any
// traffic moves, and no replica may have exited.
Result<> LocalDriver::wait_healthy(const release::ReleasePlan& plan, const std::vector<Replica>& replicas,
                                   const Output& output, const proc::CancelToken& cancel) {
  if (auto healthy = wait_web_healthy(plan, replicas, output, cancel); !healthy) return healthy;
  // Other services have no health check: a process that already exited is the one failure to see.
  for (const auto& replica : replicas)
    if (replica.service != "web")
      if (auto reason = exited(replica, output.detail))
        return fail("release v" + std::to_string(plan.version) + " failed: " + *reason + "; rolled back");
  return ok();
}

// Fails at once when a web replica exits instead of answering.
Result<> LocalDriver::wait_web_healthy(const release::ReleasePlan& plan, const std::vector<Replica>& replicas,
                                       const Output& output, const proc::CancelToken& cancel) {
  const auto* web = plan.web();
  const auto count = std::ranges::count(replicas, std::string("web"), &Replica::service);
  if (!web || count == 0) return ok();
  const auto& check = web->healthcheck;
  output.stage("Health check GET " + check.path + " on web x" + std::to_string(count));
  const auto started = Clock::now();
  for (const auto& replica : replicas) {
    if (replica.service != "web") continue;
    Result<int> status = fail("not asked");
    for (int attempt = 1; attempt <= check.attempts; ++attempt) {
      const auto attempt_started = Clock::now();
      status = http::get_status("127.0.0.1", replica.port, check.path, check.timeout);
      if (status && *status >= 200 && *status < 400) break;
      if (auto reason = exited(replica, output.detail))
        return fail("release v" + std::to_string(plan.version) + " failed: " + *reason + "; rolled back");
      // Attempts are spaced: a refused connection returns at once.
      if (!proc::sleep_until(cancel, attempt_started + kHealthInterval)) return fail("cancelled");
    }
    if (!status || *status < 200 || *status >= 400) {
      show_last_lines(replica, output.detail);
      return fail("release v" + std::to_string(plan.version) + " never became healthy: GET " + check.path + " on " +
                  replica_name(replica) + " " +
                  (status ? "answered " + std::to_string(*status) : "got no answer (" + status.error().message + ")") +
                  " after " + std::to_string(check.attempts) + " attempts; rolled back");
    }
  }
  output.detail("ok: all web replicas healthy after " + seconds_since(started));
  return ok();
}

Result<std::string> LocalDriver::route(const release::ReleasePlan& plan, const std::vector<Replica>& replicas,
                                       const Output& output) {
  const auto* web = plan.web();
  if (!web || web->replicas == 0) return std::string();
  const auto started = Clock::now();
  if (auto routed = proxy_.route(plan.app, plan.env, web_ports(replicas), web->timeouts); !routed)
    return fail("switching traffic failed: " + routed.error().message);
  output.detail("traffic switched to v" + std::to_string(plan.version) + " in " + seconds_since(started));
  return proxy_.url(plan.app, plan.env);
}

void LocalDriver::retire(const release::ReleasePlan&, const std::vector<Replica>& replicas,
                         const release::ReleasePlan&) {
  stop(replicas);
  // Release directories are <dir>/<app>/<env>/v<N>.
  const auto live = [&](const fs::path& release_dir) {
    const auto version = release_dir.filename().string().substr(1);
    return logs_.is_live(release_dir.parent_path().parent_path().filename(), release_dir.parent_path().filename(),
                         std::atoi(version.c_str()));
  };
  if (const int removed = evict_replica_logs(logs_.dir, logs_.budget_bytes, live); removed > 0)
    util::logger("cluster")->info("replica logs evicted releases={}", removed);
}

void LocalDriver::stop(const std::vector<Replica>& replicas) {
  // Traffic has already moved away (the proxy drained), so a short grace will
  // do. `pod stop` then `pod rm` is far faster than `pod rm --force --time`,
  // and podman stops the pods one after the other: one podman per pod.
  std::vector<std::jthread> stoppers;
  for (const auto& replica : replicas)
    stoppers.emplace_back([pod = replica.pod] {
      proc::CancelToken never;
      podman({"pod", "stop", "--ignore", "--time", "2", pod}, quiet, never);
      podman({"pod", "rm", "--force", "--ignore", pod}, quiet, never);
    });
}

std::vector<Replica> LocalDriver::missing(const std::vector<Replica>& replicas) {
  std::set<std::string> running;
  proc::CancelToken never;
  const auto listed = podman({"pod", "ps", "--format", "{{.Name}} {{.Status}}"}, [&](const std::string& line) {
    const auto space = line.find(' ');
    const auto status = space == std::string::npos ? "" : line.substr(space + 1);
    if (status == "Running" || status == "Degraded") running.insert(line.substr(0, space));
  }, never);
  if (!listed.ok()) return {};  // no answer is no evidence: restore nothing
  std::vector<Replica> gone;
  for (const auto& replica : replicas)
    if (!running.contains(replica.pod)) gone.push_back(replica);
  return gone;
}

bool LocalDriver::restore(const release::ReleasePlan& plan, const Replica& replica) {
  proc::CancelToken never;
  stop({replica});
  return play(plan, replica, quiet, never);
}

// One `podman inspect` for all: ps is asked for while deploys keep podman busy.
std::vector<ReplicaStatus> LocalDriver::status(const release::ReleasePlan&, const std::vector<Replica>& replicas) {
  std::vector<ReplicaStatus> found;
  std::vector<std::string> args = {"container", "inspect", "--format",
                                   "{{.Name}} {{.State.Status}} {{.RestartCount}} {{.State.StartedAt.Unix}}"};
  for (const auto& replica : replicas) {
    found.push_back({replica.service + "." + std::to_string(replica.index), "gone", 0, 0, container_of(replica)});
    args.push_back(found.back().container);
  }
  // A missing container fails the command after the others are printed.
  proc::CancelToken never;
  podman(args, [&](const std::string& line) {
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    for (auto& status : found)
      if (status.container == name) fields >> status.state >> status.restarts >> status.started_at;
  }, never);
  return found;
}

// Read from the replicas' files, not `podman logs`: they outlive the pods,
// and one reader follows every replica.
Result<> LocalDriver::logs(const release::ReleasePlan& plan, const std::vector<Replica>& replicas,
                           const LogRequest& request, const proc::LineSink& output, const proc::CancelToken& cancel) {
  constexpr std::chrono::milliseconds kFollowInterval{200};
  std::vector<LogSource> sources;
  for (const auto& replica : replicas)
    if (request.service.empty() || replica.service == request.service)
      sources.push_back({replica.service + "." + std::to_string(replica.index), log_file(plan, replica)});
  LogFollower follower(sources);  // from here on: a line written meanwhile is not lost
  for (const auto& line : tail_logs(sources, request.tail)) output(line.formatted());
  while (request.follow && proc::sleep_until(cancel, Clock::now() + kFollowInterval))
    for (const auto& line : follower.read_new()) output(line.formatted());
  return ok();
}

}  // namespace porter::cluster
