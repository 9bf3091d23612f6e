#pragma once
// The gateway's durable state, in SQLite (WAL): apps, deploy records (one per
// pushed ref), releases (one per version of an environment, with the config
// snapshot they ran with), config vars and the replicas of live releases.
// Written only by the daemon; one connection behind a mutex. SQLite failures
// (disk full, a corrupt file) throw: they are not expected outcomes.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "release/replica.hpp"

namespace porter::state {

enum class DeployStatus { queued, running, live, failed, cancelled, superseded, interrupted };
const char* to_string(DeployStatus status);

struct NewDeploy {
  std::string app, env, ref, old_sha, new_sha, pusher;
};

// A deploy as the history shows it.
struct DeployRecord {
  std::int64_t id = 0;
  std::string app, env, ref, new_sha, pusher, status, started_at, error;
  std::int64_t duration_ms = 0;  // 0 while it runs
  std::filesystem::path log_path;
};

enum class ReleaseStatus { pending, live, failed, superseded };
const char* to_string(ReleaseStatus status);
// The inverse of to_string; nullopt for any other text.
std::optional<ReleaseStatus> release_status_from(std::string_view text);

using ConfigVars = std::map<std::string, std::string>;

struct NewRelease {
  std::string app, env;
  std::int64_t deploy_id = 0;  // 0 for config changes and rollbacks
  std::string commit_sha, image, plan_yaml, description, pusher;
  ConfigVars config;
};

struct ReleaseRecord {
  std::int64_t id = 0;
  std::string app, env;
  int version = 0;
  std::int64_t deploy_id = 0;
  std::string commit_sha, image, plan_yaml, description, pusher;
  ReleaseStatus status = ReleaseStatus::pending;
  std::string created_at;
  ConfigVars config;
  std::vector<release::Replica> replicas;  // live releases only
  std::optional<std::uint64_t> image_size;  // as published by the deploy that built the image
};

// One scheduled time of a cron job (local engine), claimed before it runs.
enum class CronRunStatus { running, succeeded, failed, timed_out, skipped, interrupted };
const char* to_string(CronRunStatus status);  // "timed out" for timed_out

struct NewCronRun {
  std::string app, env, job;
  int version = 0;
  std::string scheduled_for;  // "2026-11-29T21:15Z": the cron time, UTC, to the minute
  CronRunStatus status = CronRunStatus::running;  // running, or skipped (the previous run still ran)
  std::string container;      // what the run's container is named, to remove it after a crash
};

struct CronRunRecord {
  std::int64_t id = 0;
  std::string app, env, job;
  int version = 0;
  std::string scheduled_for, status, started_at, finished_at;
  std::int64_t duration_ms = 0;
  std::optional<int> exit_code;
  std::string container;
  std::filesystem::path log_path;  // empty for a skipped time
};

// What ps:scale and ps:resize set for one service of an environment. It
// outlasts releases and wins over porter.yaml and the Procfile; unset
// fields leave theirs.
struct ServiceFormation {
  std::optional<int> replicas;
  std::optional<int> millicpu;
  std::optional<std::uint64_t> memory_bytes;

  bool operator==(const ServiceFormation&) const = default;
};
using Formation = std::map<std::string, ServiceFormation>;  // by service name

// One CPU and memory reading of a replica's container (see cluster::Metrics).
struct MetricSample {
  std::string container;
  std::int64_t at = 0;  // Unix seconds
  double cpu_percent = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t memory_limit = 0;

  bool operator==(const MetricSample&) const = default;
};

// How much metrics history is kept: rows from `oldest` on (Unix seconds),
// at most `per_container` of each container.
struct MetricsRetention {
  std::int64_t oldest = 0;
  std::size_t per_container = 0;
};

class Store {
 public:
  // Opens (creating and migrating) the database; throws on failure at startup.
  explicit Store(const std::filesystem::path& db_path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  void create_app(const std::string& app);
  std::vector<std::string> list_apps();

  std::int64_t create_deploy(const NewDeploy& deploy, const std::filesystem::path& logs_dir);
  void set_status(std::int64_t id, DeployStatus status);
  // The built image as published: reference with digest, and its size.
  void record_image(std::int64_t id, const std::string& reference, const std::string& digest, std::uint64_t size);
  void finish(std::int64_t id, DeployStatus status, const std::string& error);
  // Marks deploy `id` live and the environment's previous live deploy superseded.
  void mark_deploy_live(std::int64_t id, const std::string& url);
  // Deploys left queued/running by a crash are recorded as interrupted; returns how many.
  int mark_unfinished_interrupted();

  ConfigVars config_vars(const std::string& app, const std::string& env);
  // Sets `set` and removes `unset` (removal wins for a key in both), in one transaction.
  void change_config_vars(const std::string& app, const std::string& env, const ConfigVars& set,
                          const std::vector<std::string>& unset);
  // Makes the environment's config exactly `vars`, in one transaction: restores
  // a snapshot after a failed change, or a rolled-back release's config.
  void replace_config_vars(const std::string& app, const std::string& env, const ConfigVars& vars);

  // A new pending release with the next version number of its environment.
  ReleaseRecord create_release(const NewRelease& release);
  void set_release_status(std::int64_t release_id, ReleaseStatus status);
  // In one transaction: the release becomes live with exactly `replicas`, the
  // environment's previous live release superseded and its replicas dropped.
  void mark_release_live(std::int64_t release_id, const std::vector<release::Replica>& replicas);
  std::optional<ReleaseRecord> live_release(const std::string& app, const std::string& env);
  std::optional<ReleaseRecord> release_version(const std::string& app, const std::string& env, int version);
  std::vector<ReleaseRecord> releases(const std::string& app, const std::string& env);  // newest first
  std::vector<ReleaseRecord> live_releases();

  // The app's deploys, newest first, at most `limit`.
  std::vector<DeployRecord> deploys(const std::string& app, std::size_t limit);
  std::optional<DeployRecord> deploy(std::int64_t id);

  Formation formation(const std::string& app, const std::string& env);
  // Makes the environment's formation exactly `formation`, in one transaction.
  void replace_formation(const std::string& app, const std::string& env, const Formation& formation);

  // The environment's own slot of subordinate ids (0, 1, ...): the same for
  // all its releases, never another environment's. Made at first use.
  int uid_slot(const std::string& app, const std::string& env);

  // Metrics history. One sampling round in one transaction: adds `round`,
  // then forgets containers not in `running` and what `retention` drops.
  void save_metrics_round(const std::vector<MetricSample>& round, const std::vector<std::string>& running,
                          const MetricsRetention& retention);
  // Samples newer than `since`, by container, oldest first.
  std::vector<MetricSample> metric_samples(std::int64_t since);

  // Cron runs. A claim inserts the (app, env, job, scheduled_for) row, with
  // its log under logs_dir/cron/ unless skipped; nullopt when that time
  // already has a row (it ran, or was skipped, before).
  std::optional<std::int64_t> claim_cron_run(const NewCronRun& run, const std::filesystem::path& logs_dir);
  void finish_cron_run(std::int64_t id, CronRunStatus status, std::optional<int> exit_code);
  // Runs left running by a crash become interrupted; returns them as they were.
  std::vector<CronRunRecord> interrupt_running_cron_runs();
  // Newest first, at most `limit`; every job's when `job` is empty.
  std::vector<CronRunRecord> cron_runs(const std::string& app, const std::string& env, const std::string& job,
                                       std::size_t limit);
  // Forgets all but the newest `keep` runs of a job; returns their log files to delete.
  std::vector<std::filesystem::path> prune_cron_runs(const std::string& app, const std::string& env,
                                                     const std::string& job, std::size_t keep);

 private:
  class Transaction;
  void migrate();
  void exec(const char* sql);
  // These expect mutex_ held, so a record and its details are read together.
  std::optional<ReleaseRecord> find_release(const std::string& where, const std::vector<std::string>& values);
  void load_details(ReleaseRecord& release);
  void forget_gone_containers(const std::vector<std::string>& running);
  void trim_metrics(const std::string& container, const MetricsRetention& retention);

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

}  // namespace porter::state
