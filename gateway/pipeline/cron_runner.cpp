#include "pipeline/cron_runner.hpp"

#include <time.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "cluster/manifests.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/release_runner.hpp"
#include "util/log.hpp"

namespace porter::pipeline {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;

const auto& log() {
  static const auto logger = util::logger("cron");
  return logger;
}

// The fast test clock's fixed origin, so it reads the same across restarts.
constexpr sys_seconds kTestEpoch{std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}};

std::string job_key(const std::string& app, const std::string& env, const std::string& job) {
  return app + "/" + env + "/" + job;
}

// A run's output as kept: at most `cap` bytes, then one line saying the rest
// was cut; the closing summary is always written.
class BoundedLog {
 public:
  BoundedLog(const std::filesystem::path& file, std::size_t cap) : cap_(cap) {
    std::error_code ignored;
    std::filesystem::create_directories(file.parent_path(), ignored);
    out_.open(file, std::ios::app);
  }

  void write(const std::string& text) {
    if (written_ + text.size() > cap_) {
      if (!cut_) write_always("[porter: output cut at " + std::to_string(cap_ >> 10) + " KiB; the job ran on]\n");
      cut_ = true;
      return;
    }
    write_always(text);
  }
  void write_always(const std::string& text) {
    out_.write(text.data(), static_cast<std::streamsize>(text.size())).flush();
    written_ += text.size();
  }

 private:
  std::ofstream out_;
  std::size_t cap_;
  std::size_t written_ = 0;
  bool cut_ = false;
};

state::CronRunStatus status_of(const proc::RunResult& result) {
  if (!result.error.empty()) return state::CronRunStatus::failed;
  if (result.timed_out) return state::CronRunStatus::timed_out;
  if (result.cancelled) return state::CronRunStatus::interrupted;
  return result.exit_code == 0 ? state::CronRunStatus::succeeded : state::CronRunStatus::failed;
}

// The last line of a run's log: how it ended, in the gateway's words.
std::string summary_of(const proc::RunResult& result, const release::ScheduledJob& job, const std::string& took) {
  if (!result.error.empty()) return "porter: the job could not run: " + result.error;
  if (result.timed_out)
    return "porter: stopped after its timeout of " + std::to_string(job.timeout.count()) + " s";
  if (result.cancelled) return "porter: interrupted: the gateway stopped (" + took + ")";
  return "porter: exited " + std::to_string(result.exit_code) + " (" + took + ")";
}

}  // namespace

// ---- the clock ----

CronClock CronClock::from_environment() {
  const char* value = std::getenv(kTestVariable);
  if (!value || !*value) return CronClock();
  int seconds = 0;
  const auto* end = value + std::strlen(value);
  if (auto [at, error] = std::from_chars(value, end, seconds); error != std::errc() || at != end || seconds < 1 ||
                                                               seconds > 60) {
    log()->warn("{}={} is not a whole number of seconds from 1 to 60: cron runs on real time", kTestVariable, value);
    return CronClock();
  }
  return CronClock(seconds);
}

sys_seconds CronClock::cron_time_of(std::chrono::system_clock::time_point wall) const {
  if (is_real_time()) return std::chrono::floor<std::chrono::seconds>(wall);
  const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(wall - kTestEpoch);
  return kTestEpoch + std::chrono::floor<std::chrono::seconds>(since * 60 / seconds_per_minute_);
}

std::chrono::system_clock::time_point CronClock::wall_time_of(sys_seconds cron) const {
  if (is_real_time()) return cron;
  const std::chrono::milliseconds since = cron - kTestEpoch;
  // Rounded up, so that cron_time_of(wall_time_of(t)) is never before t.
  const auto wall = (since * seconds_per_minute_ + 59ms) / 60;
  return kTestEpoch + wall;
}

std::string minute_text(sys_seconds time) {
  const time_t seconds = std::chrono::system_clock::to_time_t(time);
  struct tm parts {};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%MZ", &parts);
  return text;
}

CronDecision decide(const cron::Schedule& schedule, sys_seconds checked_until, sys_seconds now, bool still_running,
                    std::chrono::seconds grace) {
  // Times older than the grace are not run late: look no further back.
  const auto from = std::max(checked_until, now - grace - 1s);
  std::optional<sys_seconds> latest;
  for (auto time = schedule.next_after(from); time && *time <= now; time = schedule.next_after(*time)) latest = time;
  if (!latest) return {};
  return {still_running ? CronAction::skip : CronAction::run, *latest};
}

// ---- the runner ----

std::string CronRunner::one_off_name(const std::string& job, sys_seconds scheduled_for) {
  return "cron-" + job + "-" + std::to_string(scheduled_for.time_since_epoch().count());
}

void CronRunner::start() {
  if (!services_.clock.is_real_time())
    log()->warn("test clock: one cron minute lasts {} s ({})", services_.clock.seconds_per_minute(),
                CronClock::kTestVariable);
  recover_interrupted();
  ticker_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

void CronRunner::stop() {
  if (ticker_.joinable()) {
    ticker_.request_stop();
    ticker_.join();
  }
  std::list<Run> runs;
  {
    std::lock_guard lock(mutex_);
    for (auto& run : runs_) run.cancel->cancel();
    runs.swap(runs_);
    finished_.clear();
  }
  runs.clear();  // joins each: cancelled, run_once removes its container
}

// A run that was going when the daemon died has no result: it is recorded as
// interrupted and its container removed (it may still be running). Its time
// is claimed, so it is not run again.
void CronRunner::recover_interrupted() {
  for (const auto& run : services_.store.interrupt_running_cron_runs()) {
    log()->warn("cron run interrupted by a gateway stop app={} env={} job={} scheduled_for={}", run.app, run.env,
                run.job, run.scheduled_for);
    if (!run.container.empty()) services_.remove_container(run.container);
    if (!run.log_path.empty())
      BoundedLog(run.log_path, kMaxLogBytes).write_always("porter: interrupted: the gateway stopped\n");
  }
}

void CronRunner::loop(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  while (!stop.stop_requested()) {
    const auto now = services_.clock.now();
    try {
      tick(now);
    } catch (const std::exception& e) {
      log()->error("cron tick failed: {}", e.what());
    }
    // Until the next minute turns (or at once when stopped).
    const auto next_minute = std::chrono::floor<std::chrono::minutes>(now) + 1min;
    wake.wait_until(lock, stop, services_.clock.wall_time_of(next_minute), [] { return false; });
  }
}

int CronRunner::tick(sys_seconds now) {
  reap_finished();
  int started = 0;
  for (const auto& release : services_.store.live_releases()) {
    if (!services_.runs_here(release.env)) continue;  // a cluster runs them as CronJobs
    auto plan = plan_of(release);
    if (!plan) continue;
    for (const auto& job : plan->jobs) {
      auto schedule = cron::Schedule::parse(job.schedule);
      if (!schedule) continue;  // refused at push time; an old plan may hold one
      const auto key = job_key(plan->app, plan->env, job.name);
      auto& checked = checked_until_.try_emplace(key, sys_seconds::min()).first->second;
      bool running = false;
      {
        std::lock_guard lock(mutex_);
        running = running_.contains(key);
      }
      const auto decision = decide(*schedule, checked, now, running, kGrace);
      checked = std::max(checked, now);
      if (decision.action == CronAction::skip) record_skipped(*plan, job, decision.scheduled_for);
      if (decision.action == CronAction::run && launch(key, *plan, job, decision.scheduled_for)) ++started;
    }
  }
  return started;
}

void CronRunner::record_skipped(const release::ReleasePlan& plan, const release::ScheduledJob& job, sys_seconds when) {
  const state::NewCronRun skipped{plan.app, plan.env, job.name, plan.version, minute_text(when),
                                  state::CronRunStatus::skipped, ""};
  if (services_.store.claim_cron_run(skipped, services_.logs_dir))
    log()->info("cron skipped app={} env={} job={} scheduled_for={}: its previous run still runs", plan.app, plan.env,
                job.name, skipped.scheduled_for);
}

// Claims the time, then runs it on a thread of its own. False when the time
// was claimed before (by this daemon or a predecessor).
bool CronRunner::launch(const std::string& key, const release::ReleasePlan& plan, const release::ScheduledJob& job,
                        sys_seconds when) {
  const auto name = one_off_name(job.name, when);
  // As LocalDriver::run_once names it.
  const auto container = cluster::object_name(plan, "v" + std::to_string(plan.version) + "-" + name);
  const state::NewCronRun claim{plan.app, plan.env, job.name, plan.version, minute_text(when),
                                state::CronRunStatus::running, container};
  const auto row = services_.store.claim_cron_run(claim, services_.logs_dir);
  if (!row) {
    log()->info("cron app={} env={} job={} scheduled_for={} already ran", plan.app, plan.env, job.name,
                claim.scheduled_for);
    return false;
  }
  const auto runs = services_.store.cron_runs(plan.app, plan.env, job.name, 1);
  const auto log_path = runs.empty() ? std::filesystem::path() : runs.front().log_path;
  log()->info("cron run app={} env={} job={} scheduled_for={} release=v{}", plan.app, plan.env, job.name,
              claim.scheduled_for, plan.version);
  std::lock_guard lock(mutex_);
  running_.insert(key);
  const auto id = next_run_id_++;
  auto cancel = std::make_shared<proc::CancelToken>();
  auto& run = runs_.emplace_back(Run{id, cancel, {}});
  run.thread = std::jthread([this, key, id, cancel, plan, job, when, row = *row, log_path] {
    try {
      execute(plan, job, when, row, log_path, *cancel);
    } catch (const std::exception& e) {
      log()->error("cron run failed app={} env={} job={}: {}", plan.app, plan.env, job.name, e.what());
    }
    std::lock_guard done(mutex_);
    running_.erase(key);
    finished_.insert(id);
    idle_.notify_all();
  });
  return true;
}

void CronRunner::execute(const release::ReleasePlan& plan, const release::ScheduledJob& job, sys_seconds when,
                         std::int64_t row, const std::filesystem::path& log_path, const proc::CancelToken& cancel) {
  BoundedLog output(log_path, kMaxLogBytes);
  // Progress masks config values as deploy output is masked; the log never refuses a line.
  Progress masking(
      [&](const std::string& text) {
        output.write(text);
        return true;
      },
      std::make_shared<proc::CancelToken>());
  masking.mask(plan.config);
  const auto started = std::chrono::steady_clock::now();
  const auto result = services_.run_once(plan, {one_off_name(job.name, when), job.argv, job.timeout},
                                      [&](const std::string& line) { masking.line(line); }, cancel);
  const auto took = seconds_since(started);
  output.write_always(masking.masked(summary_of(result, job, took)) + "\n");
  const auto status = status_of(result);
  const bool exited = result.error.empty() && !result.timed_out && !result.cancelled && result.exit_code >= 0;
  services_.store.finish_cron_run(row, status, exited ? std::optional<int>(result.exit_code) : std::nullopt);
  log()->info("cron finished app={} env={} job={} scheduled_for={} status={} exit={} took={}", plan.app, plan.env,
              job.name, minute_text(when), state::to_string(status), result.exit_code, took);
  for (const auto& old : services_.store.prune_cron_runs(plan.app, plan.env, job.name, kKeptRuns)) {
    std::error_code ignored;
    std::filesystem::remove(old, ignored);
  }
}

void CronRunner::reap_finished() {
  std::list<Run> ended;
  {
    std::lock_guard lock(mutex_);
    for (auto it = runs_.begin(); it != runs_.end();) {
      auto next = std::next(it);
      if (finished_.erase(it->id)) ended.splice(ended.end(), runs_, it);
      it = next;
    }
  }
  ended.clear();  // joins: their threads are ending
}

void CronRunner::wait_idle() {
  {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return running_.empty(); });
  }
  reap_finished();
}

}  // namespace porter::pipeline
