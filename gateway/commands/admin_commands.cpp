#include "commands/admin_commands.hpp"

#include <unistd.h>

#include <sys/eventfd.h>

#include <fstream>
#include <functional>
#include <thread>

#include "pipeline/build_cache.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/scaling.hpp"
#include "proc/line_queue.hpp"
#include "proc/pty.hpp"
#include "util/log.hpp"

namespace porter::commands {
namespace {

using Clock = std::chrono::steady_clock;

int refuse(const ssh::CommandOutput& output, const std::string& message) {
  output.err("porter: " + message + "\n");
  return 1;
}

// Re-releases an environment's image with other config: a config change or a
// rollback. Holds the environment's lock throughout.
class Rerelease {
 public:
  Rerelease(const CommandServices& services, const Command& request, const ssh::Identity& who,
            const ssh::CommandOutput& output)
      : services_(services),
        request_(request),
        who_(who),
        cancel_(std::make_shared<proc::CancelToken>()),
        progress_(output.out, cancel_) {}

  std::unique_ptr<pipeline::Lease> lock(const std::string& what) {
    return services_.locks.acquire(
        pipeline::lock_key(request_.app, request_.env), what + " by " + who_.name,
        [&](const std::string& holder) { progress_.stage("waiting for " + holder + " to finish"); }, *cancel_);
  }

  // Runs `base` (a release record) again with `config`; true when live.
  bool run(const state::ReleaseRecord& base, const state::ConfigVars& config, const std::string& description,
           bool run_predeploy) {
    const auto started = Clock::now();
    auto plan = pipeline::plan_of(base);
    if (!plan) {
      progress_.verdict("release v" + std::to_string(base.version) + " " + plan.error().message + "; nothing changed");
      return false;
    }
    plan->config = config;
    progress_.mask(config);
    auto release = pipeline::prepare_release(*plan, {.app = {}, .env = {}, .deploy_id = 0,
                                                     .commit_sha = base.commit_sha, .image = {}, .plan_yaml = {},
                                                     .description = description, .pusher = who_.name, .config = {}},
                                             services_.store);
    release.run_predeploy = run_predeploy;
    const auto version = release.plan.version;
    const auto event = release.event;
    auto url = pipeline::run_release(std::move(release), progress_, services_.release);
    if (!url) {
      const auto message = progress_.masked(url.error().message);  // it may quote the app's output
      auto failed = event;
      failed["error"] = message;
      services_.release.hooks.run(pipeline::HookStage::on_failure, failed, progress_.detail_sink(), *cancel_);
      progress_.verdict(request_.env + " v" + std::to_string(version) + " failed: " + message + "; v" +
                        std::to_string(base.version) + " is still serving");
      return false;
    }
    const auto where = url->empty() ? std::string("running") : "live at " + *url;
    progress_.verdict(request_.env + " v" + std::to_string(version) + " is " + where + " (" +
                      pipeline::seconds_since(started) + ")");
    return true;
  }

  pipeline::Progress& progress() { return progress_; }

 private:
  const CommandServices& services_;
  const Command& request_;
  const ssh::Identity& who_;
  std::shared_ptr<proc::CancelToken> cancel_;
  pipeline::Progress progress_;
};

// config:set KEY --stdin: the value is the client's standard input, byte for
// byte (a final newline included). Read before the environment's lock is
// taken, so a slow client holds up no deploy.
Result<> take_value_from_stdin(Command& command, const ssh::CommandOutput& output) {
  const auto key = command.args[0];
  if (!output.read_input) return fail("standard input cannot be read here");
  auto value = output.read_input(kMaxStdinValue);
  if (!value) return fail("cannot read the value of " + key + ": " + value.error().message);
  if (auto checked = check_config_value(key, *value); !checked) return checked;
  command.args[0] = key + "=" + *value;
  return ok();
}

// `config` shows one KEY=value line per variable: a value spanning lines is
// written with \n and \r escapes and its backslashes doubled, so that it
// reads back unambiguously (config:get prints values as stored).
std::string on_one_line(const std::string& value) {
  if (value.find_first_of("\r\n") == std::string::npos) return value;
  std::string line;
  for (const char c : value) line += c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\\' ? "\\\\" : std::string(1, c);
  return line;
}

// Runs `job` on a thread of its own while this (the session's) thread passes
// its lines to the client and attends to the connection, so a client that
// goes away cancels it even while it prints nothing. At most kQueuedLines
// wait for a slow client; the job waits beyond that.
proc::RunResult relay_while_attending(
    const ssh::CommandOutput& output,
    const std::function<proc::RunResult(const proc::LineSink&, const proc::CancelToken&)>& job) {
  constexpr std::size_t kQueuedLines = 1000;
  constexpr std::chrono::milliseconds kAttendTime{100};
  proc::CancelToken cancel;
  proc::LineQueue queue(kQueuedLines, cancel);
  proc::RunResult result;
  std::jthread worker([&] {
    result = job([&](const std::string& line) { queue.push(line + "\n"); }, cancel);
    queue.close();
  });
  for (bool finished = false; !finished;) {
    auto batch = queue.take();
    finished = batch.closed;
    for (const auto& line : batch.lines)
      if (!output.out(line)) cancel.cancel();
    if (!finished && !output.attend(kAttendTime)) cancel.cancel();
  }
  return result;
}

using AttachedJob = std::function<proc::RunResult(const proc::Stdio&, const proc::CancelToken&)>;

// Runs `job` on a thread of its own with its standard streams on pipes, or on
// a terminal when the client has one, while this (the session's) thread
// relays them to the client; a client that goes away cancels it. The child's
// ends stay open until the job has returned: the relay ends when the job has
// and its output is drained, not at an EOF that an escaped process could hold off.
proc::RunResult attach_while_running(const ssh::CommandOutput& output, const AttachedJob& job) {
  auto streams = output.terminal ? proc::attach_terminal(output.terminal->size) : proc::attach_pipes();
  if (!streams) return proc::RunResult{.error = streams.error().message, .last_lines = {}};
  proc::Fd ended(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  proc::CancelToken cancel;
  proc::RunResult result;
  {
    std::jthread worker([&] {
      try {
        result = job(streams->child(), cancel);
      } catch (const std::exception& e) {  // a full disk, say: this thread must not take the daemon down
        util::logger("commands")->error("one-off failed: {}", e.what());
        result = proc::RunResult{.error = "internal error", .last_lines = {}};
      }
      ::eventfd_write(ended.get(), 1);
    });
    if (!output.relay(*streams, ended.get())) cancel.cancel();
  }
  return result;
}

}  // namespace

int AdminCommands::run(const std::vector<std::string>& words, const ssh::Identity& who,
                       const ssh::CommandOutput& output) {
  auto command = parse_command(words);
  if (!command) return refuse(output, command.error().message);
  // A deploy id names its app and environment, which the key must be allowed.
  if (command->verb == Verb::deploy_log) {
    const auto id = command->args[0].front() == '#' ? command->args[0].substr(1) : command->args[0];
    const auto found = services_.store.deploy(std::stoll(id));
    if (!found || !who.may_use_app(found->app) || !who.may_use_environment(found->env))
      return refuse(output, "no deploy #" + id + " that your key may see");
    command->app = found->app;
    command->env = found->env;
  }
  util::logger("commands")->info("command user={} verb={} app={} env={}", who.name, command->name, command->app,
                                 command->env);
  if (command->verb == Verb::apps_list) return apps_list(who, output);
  if (command->verb == Verb::dashboard) return dashboard_login(who, output);
  if (command->verb == Verb::dashboard_logout_all) return dashboard_logout_all(who, output);
  if (!who.may_use_app(command->app))
    return refuse(output, "access denied: your key may not use app '" + command->app + "'");
  if (!command->env.empty() && !who.may_use_environment(command->env))
    return refuse(output, "access denied: your key may not use " + command->env);
  // cache:purge without -e purges every environment, including ones a key
  // limited to some environments may not touch (and ones made later).
  if (command->verb == Verb::cache_purge && command->env.empty() && who.environments)
    return refuse(output, "access denied: your key may not purge every environment's cache; name one with -e");
  if (command->verb == Verb::apps_create) return apps_create(*command, output);
  if (!services_.repos.exists(command->app)) return refuse(output, "no app named '" + command->app + "'");
  if (command->value_on_stdin)
    if (auto taken = take_value_from_stdin(*command, output); !taken) return refuse(output, taken.error().message);
  return dispatch(*command, who, output);
}

int AdminCommands::dispatch(const Command& command, const ssh::Identity& who, const ssh::CommandOutput& output) {
  switch (command.verb) {
    case Verb::apps_list: return apps_list(who, output);
    case Verb::apps_create: return apps_create(command, output);
    case Verb::cache_purge: return cache_purge(command, output);
    case Verb::config_show: return config_show(command, output);
    case Verb::config_get: return config_get(command, output);
    case Verb::config_set:
    case Verb::config_unset: return config_change(command, who, output);
    case Verb::releases: return releases(command, output);
    case Verb::rollback: return rollback(command, who, output);
    case Verb::deploys: return deploys(command, who, output);
    case Verb::deploy_log: return deploy_log(command, output);
    case Verb::run: return run_one_off(command, who, output);
    case Verb::ps: return ps(command, output);
    case Verb::ps_scale: return ps_scale(command, who, output);
    case Verb::ps_resize:
    case Verb::ps_restart: return ps_rerelease(command, who, output);
    case Verb::logs: return logs(command, output);
    case Verb::jobs: return jobs(command, output);
    case Verb::jobs_log: return jobs_log(command, output);
    case Verb::dashboard: return dashboard_login(who, output);
    case Verb::dashboard_logout_all: return dashboard_logout_all(who, output);
  }
  return refuse(output, "unknown command " + command.name);
}

int AdminCommands::apps_list(const ssh::Identity& who, const ssh::CommandOutput& output) {
  for (const auto& app : services_.store.list_apps())
    if (who.may_use_app(app)) output.out(app + "\n");
  return 0;
}

int AdminCommands::apps_create(const Command& request, const ssh::CommandOutput& output) {
  if (services_.repos.exists(request.app)) return refuse(output, "app '" + request.app + "' already exists");
  if (auto created = services_.ensure_app(request.app); !created) return refuse(output, created.error().message);
  output.out("created app '" + request.app + "'\n");
  return 0;
}

int AdminCommands::cache_purge(const Command& request, const ssh::CommandOutput& output) {
  pipeline::purge_cache(services_.config.cache_dir(), request.app, request.env);
  output.out("purged the build cache of " + request.app + (request.env.empty() ? "" : " (" + request.env + ")") + "\n");
  return 0;
}

int AdminCommands::config_show(const Command& request, const ssh::CommandOutput& output) {
  for (const auto& [key, value] : services_.store.config_vars(request.app, request.env))
    output.out(key + "=" + on_one_line(value) + "\n");
  return 0;
}

int AdminCommands::config_get(const Command& request, const ssh::CommandOutput& output) {
  auto vars = services_.store.config_vars(request.app, request.env);
  auto it = vars.find(request.args[0]);
  if (it == vars.end()) return refuse(output, request.args[0] + " is not set in " + request.app + " (" + request.env + ")");
  output.out(it->second + "\n");
  return 0;
}

int AdminCommands::config_change(const Command& request, const ssh::Identity& who,
                                 const ssh::CommandOutput& output) {
  state::ConfigVars set;
  std::vector<std::string> unset;
  for (const auto& arg : request.args) {
    const auto equals = arg.find('=');
    if (request.verb == Verb::config_set) set[arg.substr(0, equals)] = arg.substr(equals + 1);
    else unset.push_back(arg);
  }
  return apply_config(request, set, unset, who, output);
}

int AdminCommands::change_config(const std::string& app, const std::string& env, const state::ConfigVars& set,
                                 const std::vector<std::string>& unset, const ssh::Identity& who,
                                 const ssh::CommandOutput& output) {
  const auto name = unset.empty() ? "config:set" : set.empty() ? "config:unset" : "config:set+unset";
  if (set.empty() && unset.empty()) return refuse(output, "nothing to change: set or unset at least one key");
  if (!who.may_use_app(app)) return refuse(output, "access denied: your key may not use app '" + app + "'");
  if (!who.may_use_environment(env)) return refuse(output, "access denied: your key may not use " + env);
  if (!services_.repos.exists(app)) return refuse(output, "no app named '" + app + "'");
  for (const auto& [key, value] : set) {
    if (!is_valid_config_key(key)) return refuse(output, "invalid config key: keys are letters, digits and _, not starting with a digit");
    if (auto checked = check_config_value(key, value); !checked) return refuse(output, checked.error().message);
  }
  for (const auto& key : unset)
    if (!is_valid_config_key(key)) return refuse(output, "invalid config key: keys are letters, digits and _, not starting with a digit");
  util::logger("commands")->info("command user={} verb={} app={} env={}", who.name, name, app, env);
  const Command request{.verb = Verb::config_set, .name = name, .app = app, .env = env, .args = {}};
  return apply_config(request, set, unset, who, output);
}

int AdminCommands::apply_config(const Command& request, const state::ConfigVars& set,
                                const std::vector<std::string>& unset, const ssh::Identity& who,
                                const ssh::CommandOutput& output) {
  Rerelease rerelease(services_, request, who, output);
  auto lease = rerelease.lock(request.name);
  if (!lease) return 1;
  const auto before = services_.store.config_vars(request.app, request.env);
  const auto listed = [](const auto& keys, auto key_of) {
    std::string names;
    for (const auto& item : keys) names += (names.empty() ? "" : ", ") + key_of(item);
    return names;
  };
  // Over SSH, the keys in the order they were typed (one of set and unset is empty then).
  const auto typed = listed(request.args, [](const std::string& arg) { return arg.substr(0, arg.find('=')); });
  const bool was_typed = !request.args.empty();
  const auto set_names = was_typed ? (set.empty() ? "" : typed) : listed(set, [](const auto& entry) { return entry.first; });
  const auto unset_names = was_typed ? (unset.empty() ? "" : typed) : listed(unset, [](const auto& key) { return key; });
  const auto names = set_names + (set_names.empty() || unset_names.empty() ? "" : ", ") + unset_names;
  services_.store.change_config_vars(request.app, request.env, set, unset);
  util::logger("commands")->info("config changed app={} env={} keys={} user={}", request.app, request.env, names, who.name);
  auto& progress = rerelease.progress();
  const auto what = set.empty()     ? "Unset " + unset_names
                    : unset.empty() ? "Set " + set_names
                                    : "Set " + set_names + "; unset " + unset_names;
  progress.stage(what + " on " + request.app + " (" + request.env + ")");

  const auto live = services_.store.live_release(request.app, request.env);
  if (!live) {
    progress.verdict("no release of " + request.env + " yet: the change takes effect at the next deploy");
    return 0;
  }
  if (rerelease.run(*live, services_.store.config_vars(request.app, request.env), request.name + " " + names, true))
    return 0;
  // The release failed: put the config back as it was, so nothing changed.
  services_.store.replace_config_vars(request.app, request.env, before);
  return 1;
}

// A one-use link to the web dashboard, for this key with its apps= and environments= limits.
int AdminCommands::dashboard_login(const ssh::Identity& who, const ssh::CommandOutput& output) {
  const auto link = services_.dashboard.link ? services_.dashboard.link(who) : std::string();
  if (link.empty()) return refuse(output, "the dashboard is not running on this gateway");
  util::logger("commands")->info("dashboard login link issued user={}", who.name);
  output.out("Open " + link + " within " + std::to_string(services_.dashboard.link_ttl.count()) + " s (one use)\n");
  return 0;
}

int AdminCommands::dashboard_logout_all(const ssh::Identity& who, const ssh::CommandOutput& output) {
  const auto ended = services_.dashboard.logout_all ? services_.dashboard.logout_all(who.name) : 0;
  util::logger("commands")->info("dashboard sessions revoked user={} count={}", who.name, ended);
  output.out("ended " + std::to_string(ended) + " dashboard session" + (ended == 1 ? "" : "s") + " of " + who.name + "\n");
  return 0;
}

int AdminCommands::releases(const Command& request, const ssh::CommandOutput& output) {
  auto all = services_.store.releases(request.app, request.env);
  if (all.empty()) output.out("no releases of " + request.app + " (" + request.env + ") yet\n");
  for (const auto& release : all) {
    char line[1024];
    std::snprintf(line, sizeof line, "v%-4d %-10s %-7.7s %s  %s  %s  %s\n", release.version, state::to_string(release.status),
                  release.commit_sha.c_str(), release.image.c_str(), release.pusher.c_str(),
                  release.created_at.c_str(), release.description.c_str());
    output.out(line);
  }
  return 0;
}

// Newest first; without -e, every environment the key may see.
int AdminCommands::deploys(const Command& request, const ssh::Identity& who, const ssh::CommandOutput& output) {
  constexpr std::size_t kShown = 50;
  int shown = 0;
  for (const auto& deploy : services_.store.deploys(request.app, kShown)) {
    if (!request.env.empty() ? deploy.env != request.env : !who.may_use_environment(deploy.env)) continue;
    char took[32] = "-";
    if (deploy.duration_ms) std::snprintf(took, sizeof took, "%.1f s", static_cast<double>(deploy.duration_ms) / 1000);
    char line[512];
    const auto branch = deploy.ref.starts_with("refs/heads/") ? deploy.ref.substr(11) : deploy.ref;
    std::snprintf(line, sizeof line, "#%-5lld %-12s %-14s %-7.7s %-10s %-11s %-20.20s %s\n",
                  static_cast<long long>(deploy.id), deploy.env.c_str(), branch.c_str(),
                  deploy.new_sha.c_str(), deploy.status.c_str(), deploy.pusher.c_str(), deploy.started_at.c_str(), took);
    output.out(line);
    ++shown;
  }
  if (shown == 0) output.out("no deploys of " + request.app + (request.env.empty() ? "" : " (" + request.env + ")") + " yet\n");
  return 0;
}

// The whole log as the pusher saw it (its config values masked), as it is
// now: a running deploy's so far.
int AdminCommands::deploy_log(const Command& request, const ssh::CommandOutput& output) {
  const auto id = request.args[0].front() == '#' ? request.args[0].substr(1) : request.args[0];
  const auto deploy = services_.store.deploy(std::stoll(id));
  std::ifstream log(deploy ? deploy->log_path : std::filesystem::path());
  if (!log) return refuse(output, "the log of deploy #" + id + " is gone: older logs go past limits.logs_mb");
  std::string chunk(64 * 1024, '\0');
  while (log.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || log.gcount() > 0)
    if (!output.out(chunk.substr(0, static_cast<std::size_t>(log.gcount())))) break;  // the client went away
  return 0;
}

// A new container from the environment's live release (its image and
// config), not a serving replica: the client's stdin to it, its output back
// as it comes (through a terminal if the client asked for one: ssh -t), its
// exit code as ours; ended when the client goes away. The log records who ran what
// program, never its arguments (they may hold secrets).
int AdminCommands::run_one_off(const Command& request, const ssh::Identity& who, const ssh::CommandOutput& output) {
  constexpr std::chrono::hours kOneOffTimeout{1};
  const auto live = services_.store.live_release(request.app, request.env);
  if (!live) return refuse(output, "nothing runs in " + request.app + " (" + request.env + ") yet: push first");
  auto plan = pipeline::plan_of(*live);
  if (!plan) return refuse(output, "release v" + std::to_string(live->version) + " " + plan.error().message);
  const auto started = Clock::now();
  const auto name = "run-" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  auto& driver = services_.release.drivers.for_env(request.env);
  const auto term = output.terminal ? output.terminal->term : std::string();
  const proc::LineSink silent = [](const std::string&) {};
  const auto attached = [&](const proc::Stdio& stdio, const proc::CancelToken& cancel) {
    return driver.run_once(*plan, {name, request.args, kOneOffTimeout, stdio, term}, silent, cancel);
  };
  const auto in_lines = [&](const proc::LineSink& sink, const proc::CancelToken& cancel) {
    return driver.run_once(*plan, {name, request.args, kOneOffTimeout}, sink, cancel);
  };
  // Attached (stdin; a terminal if the client has one) where the session relays bytes.
  const auto result = output.relay ? attach_while_running(output, attached) : relay_while_attending(output, in_lines);
  const int status = !result.error.empty() || result.timed_out ? 1 : result.exit_code < 0 ? 255 : result.exit_code;
  util::logger("commands")->info("one-off app={} env={} user={} release=v{} program={} exit={} took={}", request.app,
                                 request.env, who.name, live->version, request.args.front(), status,
                                 pipeline::seconds_since(started));
  if (!result.error.empty()) return refuse(output, result.error);
  if (result.timed_out) return refuse(output, "stopped after " + std::to_string(kOneOffTimeout.count()) + " h");
  return status;
}

// ---- processes ----

namespace {

// "12.1 MiB"
std::string in_mib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024 * 1024));
  return text;
}

std::uint64_t host_memory() {
  return static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// "3h12m", "4m05s", "12s"
std::string uptime(std::int64_t started_at) {
  if (started_at <= 0) return "-";
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const auto up = std::max<std::int64_t>(0, now - started_at);
  char text[32];
  if (up >= 3600) std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(up / 3600),
                                static_cast<long long>(up / 60 % 60));
  else if (up >= 60) std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(up / 60),
                                   static_cast<long long>(up % 60));
  else std::snprintf(text, sizeof text, "%llds", static_cast<long long>(up));
  return text;
}

// Why `counts` cannot apply to `plan`; nullopt when they can.
std::optional<std::string> unscalable(const release::ReleasePlan& plan, const std::map<std::string, int>& counts) {
  for (const auto& [name, count] : counts) {
    const auto* service = plan.service(name);
    if (!service) {
      std::string known;
      for (const auto& other : plan.services) known += (known.empty() ? "" : ", ") + other.name;
      return "no service '" + name + "' in " + plan.app + " (" + plan.env + "): it has " + known;
    }
    if (service->autoscaling)
      return name + " autoscales between " + std::to_string(service->autoscaling->min) + " and " +
             std::to_string(service->autoscaling->max) + " (porter.yaml): change the bounds there";
    if (service->is_web() && count == 0) return "web cannot scale to 0: it serves " + plan.env + "'s traffic";
  }
  return std::nullopt;
}

}  // namespace

int AdminCommands::ps(const Command& request, const ssh::CommandOutput& output) {
  const auto live = services_.store.live_release(request.app, request.env);
  if (!live) return refuse(output, "nothing runs in " + request.app + " (" + request.env + ") yet: push first");
  auto plan = pipeline::plan_of(*live);
  if (!plan) return refuse(output, "release v" + std::to_string(live->version) + " " + plan.error().message);
  const auto version = "v" + std::to_string(live->version);
  output.out("REPLICA          RELEASE  STATE        RESTARTS  UP       CPU      MEMORY\n");
  for (const auto& replica : services_.release.drivers.for_env(request.env).status(*plan, live->replicas)) {
    const auto sample = replica.container.empty() ? std::nullopt : services_.metrics.latest(replica.container);
    char cpu[16] = "-";
    if (sample) std::snprintf(cpu, sizeof cpu, "%.1f%%", sample->cpu_percent);
    std::string memory = sample ? in_mib(sample->memory_bytes) : "-";
    if (sample && sample->memory_limit > 0 && sample->memory_limit < host_memory())  // else: no limit set
      memory += " / " + in_mib(sample->memory_limit);
    char line[256];
    std::snprintf(line, sizeof line, "%-16s %-8s %-12s %-9d %-8s %-8s %s\n", replica.name.c_str(), version.c_str(),
                  replica.state.c_str(), replica.restarts, uptime(replica.started_at).c_str(), cpu, memory.c_str());
    output.out(line);
  }
  for (const auto& service : plan->services)
    if (service.autoscaling)
      output.out(service.name + ": autoscaling between " + std::to_string(service.autoscaling->min) + " and " +
                 std::to_string(service.autoscaling->max) +
                 (service.autoscaling->cpu_percent ? ", CPU " + std::to_string(*service.autoscaling->cpu_percent) + "%" : "") +
                 (service.autoscaling->memory_percent ? ", memory " + std::to_string(*service.autoscaling->memory_percent) + "%" : "") +
                 "\n");
  return 0;
}

// In place: what runs keeps running; the counts are kept for later releases.
int AdminCommands::ps_scale(const Command& request, const ssh::Identity& who, const ssh::CommandOutput& output) {
  const auto counts = *scale_counts(request.args);
  Rerelease rerelease(services_, request, who, output);
  auto lease = rerelease.lock(request.name);
  if (!lease) return 1;
  const auto live = services_.store.live_release(request.app, request.env);
  if (!live) return refuse(output, "nothing runs in " + request.app + " (" + request.env + ") yet: push first");
  auto plan = pipeline::plan_of(*live);
  if (!plan) return refuse(output, "release v" + std::to_string(live->version) + " " + plan.error().message);
  if (auto why = unscalable(*plan, counts)) return refuse(output, *why);
  const auto before = services_.store.formation(request.app, request.env);
  auto formation = before;
  for (const auto& [service, count] : counts) formation[service].replicas = count;
  services_.store.replace_formation(request.app, request.env, formation);
  auto& progress = rerelease.progress();
  std::string wanted;
  for (const auto& [service, count] : counts) wanted += (wanted.empty() ? "" : ", ") + service + " x" + std::to_string(count);
  progress.stage("Scaling " + request.app + " (" + request.env + ") to " + wanted);
  const auto started = std::chrono::steady_clock::now();
  const auto scaled = pipeline::scale_live(services_.release, request.app, request.env, counts,
                                           {[&](const std::string& text) { progress.stage(text); }, progress.detail_sink()},
                                           progress.cancel());
  util::logger("commands")->info("scaled app={} env={} to={} user={} ok={}", request.app, request.env, wanted, who.name,
                                 scaled.has_value());
  if (!scaled) {
    services_.store.replace_formation(request.app, request.env, before);
    progress.verdict("scaling failed: " + progress.masked(scaled.error().message) + "; nothing changed");
    return 1;
  }
  progress.verdict(request.env + " runs " + wanted + " (" + pipeline::seconds_since(started) + ")");
  return 0;
}

// ps:resize and ps:restart: a new release of the live one, its replicas
// replaced with zero downtime. A new size is kept for later releases.
int AdminCommands::ps_rerelease(const Command& request, const ssh::Identity& who, const ssh::CommandOutput& output) {
  Rerelease rerelease(services_, request, who, output);
  auto lease = rerelease.lock(request.name);
  if (!lease) return 1;
  const auto live = services_.store.live_release(request.app, request.env);
  if (!live) return refuse(output, "nothing runs in " + request.app + " (" + request.env + ") yet: push first");
  const auto before = services_.store.formation(request.app, request.env);
  std::string description = request.name;
  if (request.verb == Verb::ps_resize) {
    const auto resize = *resize_request(request.args);
    auto plan = pipeline::plan_of(*live);
    if (plan && !plan->service(resize.service))
      return refuse(output, "no service '" + resize.service + "' in " + request.app + " (" + request.env + ")");
    auto formation = before;
    if (resize.millicpu) formation[resize.service].millicpu = resize.millicpu;
    if (resize.memory_bytes) formation[resize.service].memory_bytes = resize.memory_bytes;
    services_.store.replace_formation(request.app, request.env, formation);
    for (const auto& word : request.args) description += " " + word;
  }
  rerelease.progress().stage(description + " " + request.app + " (" + request.env + "): a new release of v" +
                             std::to_string(live->version) + ", no rebuild");
  if (rerelease.run(*live, services_.store.config_vars(request.app, request.env), description, false)) return 0;
  services_.store.replace_formation(request.app, request.env, before);
  return 1;
}

// The live release's output; with -f, until the client goes away.
int AdminCommands::logs(const Command& request, const ssh::CommandOutput& output) {
  const auto wanted = *log_request(request.args);
  const auto live = services_.store.live_release(request.app, request.env);
  if (!live) return refuse(output, "nothing runs in " + request.app + " (" + request.env + ") yet: push first");
  auto plan = pipeline::plan_of(*live);
  if (!plan) return refuse(output, "release v" + std::to_string(live->version) + " " + plan.error().message);
  if (!wanted.service.empty() && !plan->service(wanted.service))
    return refuse(output, "no service '" + wanted.service + "' in " + request.app + " (" + request.env + ")");
  auto& driver = services_.release.drivers.for_env(request.env);
  const auto result = relay_while_attending(output, [&](const proc::LineSink& sink, const proc::CancelToken& cancel) {
    auto read = driver.logs(*plan, live->replicas, wanted, sink, cancel);
    return proc::RunResult{.error = read ? "" : read.error().message, .last_lines = {}};
  });
  if (!result.error.empty()) return refuse(output, result.error);
  return 0;
}

int AdminCommands::rollback(const Command& request, const ssh::Identity& who,
                            const ssh::CommandOutput& output) {
  auto text = request.args[0];
  const int version = std::stoi(text.front() == 'v' ? text.substr(1) : text);
  Rerelease rerelease(services_, request, who, output);
  auto lease = rerelease.lock("rollback");
  if (!lease) return 1;
  const auto target = services_.store.release_version(request.app, request.env, version);
  if (!target) return refuse(output, "no release v" + std::to_string(version) + " of " + request.app + " (" + request.env + ")");
  if (target->status == state::ReleaseStatus::live) return refuse(output, "v" + std::to_string(version) + " is already live");
  auto& progress = rerelease.progress();
  progress.stage("Rolling back " + request.app + " (" + request.env + ") to v" + std::to_string(version) + ": image " +
                 target->image + " with its config, no rebuild");
  progress.warning("database migrations run by later releases are not undone");
  if (!rerelease.run(*target, target->config, "rollback to v" + std::to_string(version), false)) return 1;
  // Like Heroku: the environment's config vars become the rolled-back release's.
  services_.store.replace_config_vars(request.app, request.env, target->config);
  return 0;
}

}  // namespace porter::commands
