#include "commands/admin_commands.hpp"

#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "pipeline/build_cache.hpp"
#include "pipeline/progress.hpp"
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
  std::mutex mutex;
  std::condition_variable drained;
  std::deque<std::string> lines;
  bool done = false;
  proc::CancelToken cancel;
  proc::RunResult result;
  std::jthread worker([&] {
    result = job(
        [&](const std::string& line) {
          std::unique_lock lock(mutex);
          drained.wait(lock, [&] { return lines.size() < kQueuedLines || cancel.cancelled(); });
          lines.push_back(line + "\n");
        },
        cancel);
    std::lock_guard lock(mutex);
    done = true;
  });
  for (bool finished = false; !finished;) {
    std::deque<std::string> ready;
    {
      std::lock_guard lock(mutex);
      ready.swap(lines);
      finished = done;
    }
    drained.notify_all();
    for (const auto& line : ready)
      if (!output.out(line)) cancel.cancel();
    if (!finished && !output.attend(kAttendTime)) cancel.cancel();
    if (cancel.cancelled()) drained.notify_all();
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
  Rerelease rerelease(services_, request, who, output);
  auto lease = rerelease.lock(request.name);
  if (!lease) return 1;
  const auto before = services_.store.config_vars(request.app, request.env);
  const bool setting = request.verb == Verb::config_set;
  state::ConfigVars changed;
  std::vector<std::string> keys;
  for (const auto& arg : request.args) {
    auto equals = arg.find('=');
    keys.push_back(arg.substr(0, equals));
    if (equals != std::string::npos) changed[keys.back()] = arg.substr(equals + 1);
  }
  std::string names;
  for (const auto& key : keys) names += (names.empty() ? "" : ", ") + key;
  services_.store.change_config_vars(request.app, request.env, changed, setting ? std::vector<std::string>{} : keys);
  util::logger("commands")->info("config changed app={} env={} keys={} user={}", request.app, request.env, names, who.name);
  auto& progress = rerelease.progress();
  progress.stage((setting ? "Set " : "Unset ") + names + " on " + request.app + " (" +
                 request.env + ")");

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
// config), not a serving replica: its output as it comes, its exit code as
// ours; ended when the client goes away. The log records who ran what
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
  const auto result = relay_while_attending(output, [&](const proc::LineSink& sink, const proc::CancelToken& cancel) {
    return driver.run_once(*plan, {name, request.args, kOneOffTimeout}, sink, cancel);
  });
  const int status = !result.error.empty() || result.timed_out ? 1 : result.exit_code < 0 ? 255 : result.exit_code;
  util::logger("commands")->info("one-off app={} env={} user={} release=v{} program={} exit={} took={}", request.app,
                                 request.env, who.name, live->version, request.args.front(), status,
                                 pipeline::seconds_since(started));
  if (!result.error.empty()) return refuse(output, result.error);
  if (result.timed_out) return refuse(output, "stopped after " + std::to_string(kOneOffTimeout.count()) + " h");
  return status;
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
