#pragma once
// Runs porter.yaml `jobs:` of the releases live on the local engine, on their
// schedules (UTC), each time as a new container of the release's image with
// its config vars (Driver::run_once). Kubernetes environments are left to
// their CronJobs.
//
// - No overlap: a time that comes while the job's previous run still runs is
//   recorded as skipped, never run.
// - No double runs: each (app, env, job, scheduled time) is claimed in the
//   store (UNIQUE) before its container starts; a time with a row never runs
//   again, whichever daemon made the row.
// - A time missed while the daemon was down is not run late, except the most
//   recent one when it is at most kGrace old (a restart across a minute's
//   turn).
// - Each run's output goes to its own log, masked and cut at kMaxLogBytes;
//   the newest kKeptRuns runs of each job are kept.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "cluster/driver.hpp"
#include "cron/cron.hpp"
#include "state/store.hpp"

namespace porter::pipeline {

// The clock schedules are read on: UTC. For tests only, the environment
// variable PORTER_CRON_SECONDS_PER_MINUTE=N makes one cron minute last N
// seconds of wall time, so an e2e test sees "* * * * *" run every N seconds.
// The fast clock counts from a fixed epoch (2026-01-01), so it goes on where
// it was across daemon restarts; its dates lie in the future.
class CronClock {
 public:
  static constexpr const char* kTestVariable = "PORTER_CRON_SECONDS_PER_MINUTE";
  // Real time unless the test variable holds a whole number from 1 to 60.
  static CronClock from_environment();

  explicit CronClock(int seconds_per_minute = 60) : seconds_per_minute_(seconds_per_minute) {}
  bool is_real_time() const { return seconds_per_minute_ == 60; }
  int seconds_per_minute() const { return seconds_per_minute_; }

  std::chrono::sys_seconds now() const { return cron_time_of(std::chrono::system_clock::now()); }
  std::chrono::sys_seconds cron_time_of(std::chrono::system_clock::time_point wall) const;
  // When (wall clock) cron time `cron` comes; never before it.
  std::chrono::system_clock::time_point wall_time_of(std::chrono::sys_seconds cron) const;

 private:
  int seconds_per_minute_;
};

// "2026-11-29T21:15Z"
std::string minute_text(std::chrono::sys_seconds time);

// What to do about one job when the runner looks at cron time `now`.
enum class CronAction { none, run, skip };
struct CronDecision {
  CronAction action = CronAction::none;
  std::chrono::sys_seconds scheduled_for{};
};

// The job's most recent scheduled time after `checked_until`, at most `now`
// and at most `grace` old: run it, or skip it when the job still runs.
// Older times are not run late.
CronDecision decide(const cron::Schedule& schedule, std::chrono::sys_seconds checked_until,
                    std::chrono::sys_seconds now, bool still_running, std::chrono::seconds grace);

// What the runner needs; the functions are the engine's, given by the
// gateway (fakes in tests).
struct CronServices {
  state::Store& store;
  std::filesystem::path logs_dir;
  CronClock clock;
  // Whether an environment's jobs run here (the local engine), not on a cluster.
  std::function<bool(const std::string& env)> runs_here;
  // Runs a job once: the environment's Driver::run_once.
  std::function<proc::RunResult(const release::ReleasePlan& plan, const cluster::OneOff& job,
                                const proc::LineSink& output, const proc::CancelToken& cancel)>
      run_once;
  // Removes a container a crashed daemon's run left behind.
  std::function<void(const std::string& container)> remove_container;
};

class CronRunner {
 public:
  static constexpr std::chrono::seconds kGrace{60};  // cron time
  static constexpr std::size_t kMaxLogBytes = 1 << 20;
  static constexpr std::size_t kKeptRuns = 100;

  explicit CronRunner(CronServices services) : services_(std::move(services)) {}
  ~CronRunner() { stop(); }
  CronRunner(const CronRunner&) = delete;
  CronRunner& operator=(const CronRunner&) = delete;

  // Ends what a crashed predecessor left running, then ticks at every cron
  // minute on a thread of its own until stop().
  void start();
  // Stops ticking, interrupts the runs in progress and waits for them.
  void stop();

  // One look at cron time `now`: claims and starts (or skips) what is due.
  // Returns how many runs it started. Public for tests.
  int tick(std::chrono::sys_seconds now);
  // Waits until no run is in progress. For tests.
  void wait_idle();
  // The one-off's name, "cron-<job>-<epoch of the scheduled time>", part
  // of its container's name.
  static std::string one_off_name(const std::string& job, std::chrono::sys_seconds scheduled_for);

 private:
  struct Run {
    std::uint64_t id;
    std::shared_ptr<proc::CancelToken> cancel;
    std::jthread thread;
  };

  void recover_interrupted();
  void loop(std::stop_token stop);
  bool launch(const std::string& key, const release::ReleasePlan& plan, const release::ScheduledJob& job,
              std::chrono::sys_seconds when);
  void record_skipped(const release::ReleasePlan& plan, const release::ScheduledJob& job,
                      std::chrono::sys_seconds when);
  void execute(const release::ReleasePlan& plan, const release::ScheduledJob& job, std::chrono::sys_seconds when,
               std::int64_t row, const std::filesystem::path& log_path, const proc::CancelToken& cancel);
  void reap_finished();

  CronServices services_;
  std::map<std::string, std::chrono::sys_seconds> checked_until_;  // by job key; the ticking thread's own
  std::mutex mutex_;                                               // guards the members below
  std::condition_variable idle_;
  std::set<std::string> running_;     // job keys with a run in progress
  std::set<std::uint64_t> finished_;  // runs whose thread has ended, to join
  std::list<Run> runs_;
  std::uint64_t next_run_id_ = 0;
  std::jthread ticker_;  // last: stopped first
};

}  // namespace porter::pipeline
