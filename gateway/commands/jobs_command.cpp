// `jobs` and `jobs:log`: an environment's cron jobs (porter.yaml `jobs:`),
// when they run next, and how their last runs went (pipeline/cron_runner.hpp).
#include <cstdio>
#include <fstream>

#include "commands/admin_commands.hpp"
#include "cron/cron.hpp"
#include "pipeline/cron_runner.hpp"

namespace porter::commands {
namespace {

constexpr std::size_t kRunsShown = 5;
constexpr std::size_t kRowsRead = 200;  // skipped times included

int refuse(const ssh::CommandOutput& output, const std::string& message) {
  output.err("porter: " + message + "\n");
  return 1;
}

// The command as porter.yaml wrote it: the release's argv without the shell around it.
std::string command_text(const std::vector<std::string>& argv) {
  if (argv.size() == 3 && argv[1] == "-c") return argv[2];
  std::string text;
  for (const auto& word : argv) text += (text.empty() ? "" : " ") + word;
  return text;
}

// "2026-11-29T22:00:00.123Z" -> "2026-11-29T22:00:00Z"
std::string to_the_second(const std::string& timestamp) {
  if (timestamp.size() <= 19) return timestamp;
  auto seconds = timestamp.substr(0, 20);
  seconds.back() = 'Z';
  return seconds;
}

std::string run_line(const state::CronRunRecord& run) {
  const auto exit_code = run.exit_code ? std::to_string(*run.exit_code) : std::string("-");
  char took[32] = "-";
  if (!run.finished_at.empty() && run.status != "skipped")
    std::snprintf(took, sizeof took, "%.1f s", static_cast<double>(run.duration_ms) / 1000);
  char line[256];
  std::snprintf(line, sizeof line, "  %-18s %-12s %-5s %-21s %s\n", run.scheduled_for.c_str(), run.status.c_str(),
                exit_code.c_str(), to_the_second(run.started_at).c_str(), took);
  return line;
}

// The last runs that ran; the times skipped meanwhile (a job running longer
// than its interval skips many) are counted on one line, not listed.
void show_runs(const std::vector<state::CronRunRecord>& rows, const ssh::CommandOutput& output) {
  std::vector<state::CronRunRecord> ran;
  std::size_t skipped = 0;
  std::string last_skipped;
  for (const auto& row : rows) {
    if (ran.size() == kRunsShown) break;
    if (row.status != "skipped") {
      ran.push_back(row);
    } else if (skipped++ == 0) {
      last_skipped = row.scheduled_for;
    }
  }
  if (ran.empty() && skipped == 0) {
    output.out("  no runs yet\n");
    return;
  }
  char header[128];
  std::snprintf(header, sizeof header, "  %-18s %-12s %-5s %-21s %s\n", "scheduled for", "status", "exit", "started",
                "took");
  output.out(header);
  for (const auto& run : ran) output.out(run_line(run));
  if (skipped > 0)
    output.out("  skipped " + std::to_string(skipped) + " time(s) meanwhile, the last " + last_skipped +
               ": the run before still ran\n");
}

}  // namespace

int AdminCommands::jobs(const Command& request, const ssh::CommandOutput& output) {
  const auto where = request.app + " (" + request.env + ")";
  const auto live = services_.store.live_release(request.app, request.env);
  if (!live) return refuse(output, "nothing runs in " + where + " yet: push first");
  auto plan = pipeline::plan_of(*live);
  if (!plan) return refuse(output, "release v" + std::to_string(live->version) + " " + plan.error().message);
  if (plan->jobs.empty()) {
    output.out("no cron jobs in " + where + " v" + std::to_string(live->version) + " (porter.yaml `jobs:`)\n");
    return 0;
  }
  const bool here = services_.release.drivers.for_env(request.env).name() == "local";
  const auto clock = pipeline::CronClock::from_environment();
  for (const auto& job : plan->jobs) {
    output.out(job.name + ": " + job.schedule + " (UTC), timeout " + std::to_string(job.timeout.count()) +
               " s: " + command_text(job.argv) + "\n");
    auto schedule = cron::Schedule::parse(job.schedule);
    const auto next = schedule ? schedule->next_after(clock.now()) : std::nullopt;
    output.out("  next run " + (next ? pipeline::minute_text(*next) : std::string("never")) + "\n");
    if (!here) {
      output.out("  runs on the cluster as a CronJob; its runs: kubectl get jobs\n");
      continue;
    }
    show_runs(services_.store.cron_runs(request.app, request.env, job.name, kRowsRead), output);
  }
  return 0;
}

// The output of the job's last run that ran (not skipped), a running one's so far.
int AdminCommands::jobs_log(const Command& request, const ssh::CommandOutput& output) {
  const auto& job = request.args[0];
  for (const auto& run : services_.store.cron_runs(request.app, request.env, job, pipeline::CronRunner::kKeptRuns)) {
    if (run.log_path.empty()) continue;
    output.out("-----> " + job + " scheduled for " + run.scheduled_for + ": " + run.status + "\n");
    std::ifstream log(run.log_path);
    std::string chunk(64 * 1024, '\0');
    while (log.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || log.gcount() > 0)
      if (!output.out(chunk.substr(0, static_cast<std::size_t>(log.gcount())))) break;  // the client went away
    return 0;
  }
  return refuse(output, "no runs of job '" + job + "' in " + request.app + " (" + request.env + ") yet");
}

}  // namespace porter::commands
