#include "state/store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <stdexcept>

#include "state/migrations.hpp"

namespace porter::state {
namespace {

// One prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const std::string& value) {
    sqlite3_bind_text(stmt_, index, value.c_str(), -1, SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  // Named apart: sqlite's int64 (long long) would convert to a double as well as to int64_t.
  Statement& bind_real(int index, double value) {
    sqlite3_bind_double(stmt_, index, value);
    return *this;
  }
  bool step() {  // true while rows come
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("sqlite step: ") + sqlite3_errmsg(db_));
  }
  std::string text(int column) {
    auto* value = sqlite3_column_text(stmt_, column);
    return value ? reinterpret_cast<const char*>(value) : "";
  }
  std::int64_t integer(int column) { return sqlite3_column_int64(stmt_, column); }
  double real(int column) { return sqlite3_column_double(stmt_, column); }
  std::optional<std::int64_t> nullable(int column) {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return integer(column);
  }
  template <typename Integer>
  Statement& bind(int index, const std::optional<Integer>& value) {
    if (!value) {
      sqlite3_bind_null(stmt_, index);
      return *this;
    }
    return bind(index, static_cast<std::int64_t>(*value));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Config changes and rollbacks reuse an image without a deploy of their own:
// its size is the one the deploy that published it recorded.
constexpr const char* kReleaseColumns =
    "id, app, env, version, deploy_id, commit_sha, image, plan, description, pusher, status, created_at,"
    " (SELECT image_size FROM deploys WHERE deploys.image = releases.image AND image_size IS NOT NULL"
    " ORDER BY deploys.id DESC LIMIT 1)";

// A row selected with kReleaseColumns, without its config and replicas.
ReleaseRecord release_from_row(Statement& row) {
  const auto status_text = row.text(10);
  const auto status = release_status_from(status_text);
  if (!status) throw std::runtime_error("state: release " + row.text(0) + " has unknown status '" + status_text + "'");
  ReleaseRecord release;
  release.id = row.integer(0);
  release.app = row.text(1);
  release.env = row.text(2);
  release.version = static_cast<int>(row.integer(3));
  release.deploy_id = row.integer(4);
  release.commit_sha = row.text(5);
  release.image = row.text(6);
  release.plan_yaml = row.text(7);
  release.description = row.text(8);
  release.pusher = row.text(9);
  release.status = *status;
  release.created_at = row.text(11);
  if (const auto size = row.nullable(12)) release.image_size = static_cast<std::uint64_t>(*size);
  return release;
}

}  // namespace

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() was reached.
class Store::Transaction {
 public:
  explicit Transaction(Store& store) : store_(store) { store_.exec("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit() {
    store_.exec("COMMIT");
    done_ = true;
  }

 private:
  Store& store_;
  bool done_ = false;
};

const char* to_string(ReleaseStatus status) {
  switch (status) {
    case ReleaseStatus::pending: return "pending";
    case ReleaseStatus::live: return "live";
    case ReleaseStatus::failed: return "failed";
    case ReleaseStatus::superseded: return "superseded";
  }
  return "unknown";
}

std::optional<ReleaseStatus> release_status_from(std::string_view text) {
  for (auto status : {ReleaseStatus::pending, ReleaseStatus::live, ReleaseStatus::failed, ReleaseStatus::superseded})
    if (text == to_string(status)) return status;
  return std::nullopt;
}

const char* to_string(DeployStatus status) {
  switch (status) {
    case DeployStatus::queued: return "queued";
    case DeployStatus::running: return "running";
    case DeployStatus::live: return "live";
    case DeployStatus::failed: return "failed";
    case DeployStatus::cancelled: return "cancelled";
    case DeployStatus::superseded: return "superseded";
    case DeployStatus::interrupted: return "interrupted";
  }
  return "unknown";
}

Store::Store(const std::filesystem::path& db_path) {
  // sqlite3_open allocates a handle even when it fails: close it on every failure.
  try {
    if (sqlite3_open(db_path.c_str(), &db_) != SQLITE_OK)
      throw std::runtime_error("cannot open " + db_path.string() + ": " + sqlite3_errmsg(db_));
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;");
    migrate();
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
  // Config vars live here: owner-only, WAL and shared-memory files included.
  for (const auto* suffix : {"", "-wal", "-shm"}) ::chmod((db_path.string() + suffix).c_str(), 0600);
}

Store::~Store() { sqlite3_close(db_); }

void Store::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error("sqlite: " + message);
  }
}

// Each step and its new user_version commit together, so a crash leaves the
// database at one version or the next.
void Store::migrate() {
  std::size_t version = 0;
  {
    Statement query(db_, "PRAGMA user_version");
    query.step();
    version = static_cast<std::size_t>(query.integer(0));
  }
  for (; version < kMigrations.size(); ++version) {
    Transaction transaction(*this);
    exec(kMigrations[version]);
    exec(("PRAGMA user_version=" + std::to_string(version + 1)).c_str());
    transaction.commit();
  }
}

namespace {

constexpr const char* kDeployColumns =
    "id, app, env, ref, new_sha, pusher, status, started_at, COALESCE(error, ''), COALESCE(duration_ms, 0), "
    "COALESCE(log_path, '')";

DeployRecord deploy_from(Statement& row) {
  return {row.integer(0), row.text(1), row.text(2), row.text(3), row.text(4), row.text(5), row.text(6),
          row.text(7),    row.text(8), row.integer(9), row.text(10)};
}

}  // namespace

std::vector<DeployRecord> Store::deploys(const std::string& app, std::size_t limit) {
  std::lock_guard lock(mutex_);
  const auto sql = std::string("SELECT ") + kDeployColumns + " FROM deploys WHERE app = ? ORDER BY id DESC LIMIT ?";
  Statement query(db_, sql.c_str());
  query.bind(1, app).bind(2, static_cast<std::int64_t>(limit));
  std::vector<DeployRecord> found;
  while (query.step()) found.push_back(deploy_from(query));
  return found;
}

std::optional<DeployRecord> Store::deploy(std::int64_t id) {
  std::lock_guard lock(mutex_);
  const auto sql = std::string("SELECT ") + kDeployColumns + " FROM deploys WHERE id = ?";
  Statement query(db_, sql.c_str());
  query.bind(1, id);
  if (!query.step()) return std::nullopt;
  return deploy_from(query);
}

int Store::uid_slot(const std::string& app, const std::string& env) {
  std::lock_guard lock(mutex_);
  Statement find(db_, "SELECT slot FROM uid_slots WHERE app = ? AND env = ?");
  find.bind(1, app).bind(2, env);
  if (find.step()) return static_cast<int>(find.integer(0));
  Statement(db_, "INSERT INTO uid_slots(slot, app, env) SELECT COALESCE(MAX(slot) + 1, 0), ?, ? FROM uid_slots")
      .bind(1, app)
      .bind(2, env)
      .step();
  return static_cast<int>(sqlite3_last_insert_rowid(db_));
}

void Store::create_app(const std::string& app) {
  std::lock_guard lock(mutex_);
  Statement(db_, "INSERT OR IGNORE INTO apps(name) VALUES(?)").bind(1, app).step();
}

std::vector<std::string> Store::list_apps() {
  std::lock_guard lock(mutex_);
  Statement query(db_, "SELECT name FROM apps ORDER BY name");
  std::vector<std::string> apps;
  while (query.step()) apps.push_back(query.text(0));
  return apps;
}

// ---- deploys ----

std::int64_t Store::create_deploy(const NewDeploy& d, const std::filesystem::path& logs_dir) {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  Statement insert(db_,
                   "INSERT INTO deploys(app, env, ref, old_sha, new_sha, pusher, status) VALUES(?,?,?,?,?,?,'queued')");
  insert.bind(1, d.app).bind(2, d.env).bind(3, d.ref).bind(4, d.old_sha).bind(5, d.new_sha).bind(6, d.pusher).step();
  auto id = sqlite3_last_insert_rowid(db_);
  Statement(db_, "UPDATE deploys SET log_path=? WHERE id=?")
      .bind(1, (logs_dir / (std::to_string(id) + ".log")).string())
      .bind(2, id)
      .step();
  transaction.commit();
  return id;
}

void Store::set_status(std::int64_t id, DeployStatus status) {
  std::lock_guard lock(mutex_);
  Statement(db_, "UPDATE deploys SET status=? WHERE id=?").bind(1, to_string(status)).bind(2, id).step();
}

void Store::record_image(std::int64_t id, const std::string& reference, const std::string& digest,
                         std::uint64_t size) {
  std::lock_guard lock(mutex_);
  Statement(db_, "UPDATE deploys SET image=?, image_digest=?, image_size=? WHERE id=?")
      .bind(1, reference)
      .bind(2, digest)
      .bind(3, static_cast<std::int64_t>(size))
      .bind(4, id)
      .step();
}

void Store::finish(std::int64_t id, DeployStatus status, const std::string& error) {
  std::lock_guard lock(mutex_);
  Statement(db_,
            "UPDATE deploys SET status=?, error=?, finished_at=strftime('%Y-%m-%dT%H:%M:%fZ','now'),"
            " duration_ms=CAST((julianday('now')-julianday(started_at))*86400000 AS INTEGER) WHERE id=?")
      .bind(1, to_string(status))
      .bind(2, error)
      .bind(3, id)
      .step();
}

void Store::mark_deploy_live(std::int64_t id, const std::string& url) {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  Statement(db_,
            "UPDATE deploys SET status='superseded' WHERE status='live' AND id<>? AND"
            " (app, env) = (SELECT app, env FROM deploys WHERE id=?)")
      .bind(1, id)
      .bind(2, id)
      .step();
  Statement(db_,
            "UPDATE deploys SET status='live', url=?, finished_at=strftime('%Y-%m-%dT%H:%M:%fZ','now'),"
            " duration_ms=CAST((julianday('now')-julianday(started_at))*86400000 AS INTEGER) WHERE id=?")
      .bind(1, url)
      .bind(2, id)
      .step();
  transaction.commit();
}

int Store::mark_unfinished_interrupted() {
  std::lock_guard lock(mutex_);
  Statement(db_, "UPDATE deploys SET status='interrupted' WHERE status IN ('queued','running')").step();
  return sqlite3_changes(db_);
}

// ---- config vars ----

ConfigVars Store::config_vars(const std::string& app, const std::string& env) {
  std::lock_guard lock(mutex_);
  Statement query(db_, "SELECT key, value FROM config_vars WHERE app=? AND env=?");
  query.bind(1, app).bind(2, env);
  ConfigVars vars;
  while (query.step()) vars[query.text(0)] = query.text(1);
  return vars;
}

void Store::change_config_vars(const std::string& app, const std::string& env, const ConfigVars& set,
                               const std::vector<std::string>& unset) {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  for (const auto& [key, value] : set)
    Statement(db_, "INSERT OR REPLACE INTO config_vars(app, env, key, value) VALUES(?,?,?,?)")
        .bind(1, app).bind(2, env).bind(3, key).bind(4, value).step();
  for (const auto& key : unset)
    Statement(db_, "DELETE FROM config_vars WHERE app=? AND env=? AND key=?")
        .bind(1, app).bind(2, env).bind(3, key).step();
  transaction.commit();
}

void Store::replace_config_vars(const std::string& app, const std::string& env, const ConfigVars& vars) {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  Statement(db_, "DELETE FROM config_vars WHERE app=? AND env=?").bind(1, app).bind(2, env).step();
  for (const auto& [key, value] : vars)
    Statement(db_, "INSERT INTO config_vars(app, env, key, value) VALUES(?,?,?,?)")
        .bind(1, app).bind(2, env).bind(3, key).bind(4, value).step();
  transaction.commit();
}

// ---- formation ----

Formation Store::formation(const std::string& app, const std::string& env) {
  std::lock_guard lock(mutex_);
  Statement query(db_, "SELECT service, replicas, millicpu, memory_bytes FROM formation WHERE app=? AND env=?");
  query.bind(1, app).bind(2, env);
  Formation formation;
  while (query.step()) {
    auto& service = formation[query.text(0)];
    if (auto replicas = query.nullable(1)) service.replicas = static_cast<int>(*replicas);
    if (auto millicpu = query.nullable(2)) service.millicpu = static_cast<int>(*millicpu);
    if (auto memory = query.nullable(3)) service.memory_bytes = static_cast<std::uint64_t>(*memory);
  }
  return formation;
}

void Store::replace_formation(const std::string& app, const std::string& env, const Formation& formation) {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  Statement(db_, "DELETE FROM formation WHERE app=? AND env=?").bind(1, app).bind(2, env).step();
  for (const auto& [service, set] : formation) {
    Statement insert(db_, "INSERT INTO formation(app, env, service, replicas, millicpu, memory_bytes) VALUES(?,?,?,?,?,?)");
    insert.bind(1, app).bind(2, env).bind(3, service);
    insert.bind(4, set.replicas).bind(5, set.millicpu);
    insert.bind(6, set.memory_bytes);
    insert.step();
  }
  transaction.commit();
}

// ---- releases ----

ReleaseRecord Store::create_release(const NewRelease& release) {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  Statement next(db_, "SELECT IFNULL(MAX(version), 0) + 1 FROM releases WHERE app=? AND env=?");
  next.bind(1, release.app).bind(2, release.env).step();
  const auto version = next.integer(0);
  Statement(db_,
            "INSERT INTO releases(app, env, version, deploy_id, commit_sha, image, plan, description, pusher, status)"
            " VALUES(?,?,?,?,?,?,?,?,?,'pending')")
      .bind(1, release.app).bind(2, release.env).bind(3, version).bind(4, release.deploy_id)
      .bind(5, release.commit_sha).bind(6, release.image).bind(7, release.plan_yaml).bind(8, release.description)
      .bind(9, release.pusher).step();
  const auto id = sqlite3_last_insert_rowid(db_);
  for (const auto& [key, value] : release.config)
    Statement(db_, "INSERT INTO release_config(release_id, key, value) VALUES(?,?,?)")
        .bind(1, id).bind(2, key).bind(3, value).step();
  auto created = find_release("id=?", {std::to_string(id)});
  transaction.commit();
  return *created;
}

void Store::set_release_status(std::int64_t release_id, ReleaseStatus status) {
  std::lock_guard lock(mutex_);
  Statement(db_, "UPDATE releases SET status=? WHERE id=?").bind(1, to_string(status)).bind(2, release_id).step();
}

void Store::mark_release_live(std::int64_t release_id, const std::vector<release::Replica>& replicas) {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  Statement(db_,
            "UPDATE releases SET status='superseded' WHERE status='live' AND id<>? AND"
            " (app, env) = (SELECT app, env FROM releases WHERE id=?)")
      .bind(1, release_id).bind(2, release_id).step();
  Statement(db_, "UPDATE releases SET status='live' WHERE id=?").bind(1, release_id).step();
  // Only live releases keep replicas, and this one keeps exactly `replicas`.
  Statement(db_,
            "DELETE FROM replicas WHERE release_id=? OR"
            " release_id NOT IN (SELECT id FROM releases WHERE status='live')")
      .bind(1, release_id).step();
  for (const auto& replica : replicas)
    Statement(db_, "INSERT INTO replicas(release_id, service, idx, pod, port) VALUES(?,?,?,?,?)")
        .bind(1, release_id).bind(2, replica.service).bind(3, static_cast<std::int64_t>(replica.index))
        .bind(4, replica.pod).bind(5, static_cast<std::int64_t>(replica.port)).step();
  transaction.commit();
}

std::optional<ReleaseRecord> Store::find_release(const std::string& where, const std::vector<std::string>& values) {
  const auto sql = std::string("SELECT ") + kReleaseColumns + " FROM releases WHERE " + where +
                   " ORDER BY version DESC LIMIT 1";
  Statement query(db_, sql.c_str());
  for (std::size_t i = 0; i < values.size(); ++i) query.bind(static_cast<int>(i + 1), values[i]);
  if (!query.step()) return std::nullopt;
  auto found = release_from_row(query);
  load_details(found);
  return found;
}

void Store::load_details(ReleaseRecord& release) {
  Statement config(db_, "SELECT key, value FROM release_config WHERE release_id=?");
  config.bind(1, release.id);
  while (config.step()) release.config[config.text(0)] = config.text(1);
  Statement replicas(db_, "SELECT service, idx, pod, port FROM replicas WHERE release_id=? ORDER BY service, idx");
  replicas.bind(1, release.id);
  while (replicas.step())
    release.replicas.push_back({.service = replicas.text(0), .index = static_cast<int>(replicas.integer(1)),
                                .pod = replicas.text(2), .port = static_cast<int>(replicas.integer(3))});
}

std::optional<ReleaseRecord> Store::live_release(const std::string& app, const std::string& env) {
  std::lock_guard lock(mutex_);
  return find_release("app=? AND env=? AND status='live'", {app, env});
}

std::optional<ReleaseRecord> Store::release_version(const std::string& app, const std::string& env, int version) {
  std::lock_guard lock(mutex_);
  return find_release("app=? AND env=? AND version=?", {app, env, std::to_string(version)});
}

std::vector<ReleaseRecord> Store::releases(const std::string& app, const std::string& env) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  Statement query(db_, "SELECT id FROM releases WHERE app=? AND env=? ORDER BY version DESC");
  query.bind(1, app).bind(2, env);
  while (query.step()) ids.push_back(query.text(0));
  std::vector<ReleaseRecord> found;
  for (const auto& id : ids) found.push_back(*find_release("id=?", {id}));
  return found;
}

std::vector<ReleaseRecord> Store::live_releases() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  Statement query(db_, "SELECT id FROM releases WHERE status='live' ORDER BY app, env");
  while (query.step()) ids.push_back(query.text(0));
  std::vector<ReleaseRecord> found;
  for (const auto& id : ids) found.push_back(*find_release("id=?", {id}));
  return found;
}

// ---- metrics history ----

void Store::save_metrics_round(const std::vector<MetricSample>& round, const std::vector<std::string>& running,
                               const MetricsRetention& retention) {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  for (const auto& sample : round)
    Statement(db_, "INSERT INTO metric_samples(container, at, cpu_percent, memory_bytes, memory_limit) VALUES(?,?,?,?,?)")
        .bind(1, sample.container).bind(2, sample.at).bind_real(3, sample.cpu_percent)
        .bind(4, static_cast<std::int64_t>(sample.memory_bytes)).bind(5, static_cast<std::int64_t>(sample.memory_limit))
        .step();
  forget_gone_containers(running);
  for (const auto& container : running) trim_metrics(container, retention);
  transaction.commit();
}

void Store::forget_gone_containers(const std::vector<std::string>& running) {
  std::vector<std::string> kept;
  Statement query(db_, "SELECT DISTINCT container FROM metric_samples");
  while (query.step()) kept.push_back(query.text(0));
  for (const auto& container : kept)
    if (std::ranges::find(running, container) == running.end())
      Statement(db_, "DELETE FROM metric_samples WHERE container=?").bind(1, container).step();
}

void Store::trim_metrics(const std::string& container, const MetricsRetention& retention) {
  Statement(db_,
            "DELETE FROM metric_samples WHERE container=?1 AND (at < ?2 OR rowid NOT IN"
            " (SELECT rowid FROM metric_samples WHERE container=?1 ORDER BY at DESC, rowid DESC LIMIT ?3))")
      .bind(1, container).bind(2, retention.oldest).bind(3, static_cast<std::int64_t>(retention.per_container))
      .step();
}

std::vector<MetricSample> Store::metric_samples(std::int64_t since) {
  std::lock_guard lock(mutex_);
  Statement query(db_,
                  "SELECT container, at, cpu_percent, memory_bytes, memory_limit FROM metric_samples"
                  " WHERE at > ? ORDER BY container, at, rowid");
  query.bind(1, since);
  std::vector<MetricSample> found;
  while (query.step())
    found.push_back({query.text(0), query.integer(1), query.real(2), static_cast<std::uint64_t>(query.integer(3)),
                     static_cast<std::uint64_t>(query.integer(4))});
  return found;
}

// ---- cron runs ----

const char* to_string(CronRunStatus status) {
  switch (status) {
    case CronRunStatus::running: return "running";
    case CronRunStatus::succeeded: return "succeeded";
    case CronRunStatus::failed: return "failed";
    case CronRunStatus::timed_out: return "timed out";
    case CronRunStatus::skipped: return "skipped";
    case CronRunStatus::interrupted: return "interrupted";
  }
  return "unknown";
}

namespace {

constexpr const char* kCronRunColumns =
    "id, app, env, job, version, scheduled_for, status, started_at, COALESCE(finished_at, ''), "
    "COALESCE(duration_ms, 0), exit_code, container, COALESCE(log_path, '')";

CronRunRecord cron_run_from(Statement& row) {
  CronRunRecord run{row.integer(0), row.text(1), row.text(2), row.text(3), static_cast<int>(row.integer(4)),
                    row.text(5),    row.text(6), row.text(7), row.text(8), row.integer(9), std::nullopt,
                    row.text(11),   row.text(12)};
  if (!row.text(10).empty()) run.exit_code = static_cast<int>(row.integer(10));
  return run;
}

}  // namespace

std::optional<std::int64_t> Store::claim_cron_run(const NewCronRun& run, const std::filesystem::path& logs_dir) {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  // Skipped times end as they are claimed: they never run.
  Statement(db_,
            "INSERT OR IGNORE INTO cron_runs(app, env, job, version, scheduled_for, status, container, finished_at,"
            " duration_ms) VALUES(?,?,?,?,?,?,?, CASE WHEN ?6='skipped' THEN strftime('%Y-%m-%dT%H:%M:%fZ','now')"
            " END, CASE WHEN ?6='skipped' THEN 0 END)")
      .bind(1, run.app).bind(2, run.env).bind(3, run.job).bind(4, static_cast<std::int64_t>(run.version))
      .bind(5, run.scheduled_for).bind(6, to_string(run.status)).bind(7, run.container).step();
  if (sqlite3_changes(db_) == 0) return std::nullopt;  // that time has a row: never again
  const auto id = sqlite3_last_insert_rowid(db_);
  if (run.status != CronRunStatus::skipped)
    Statement(db_, "UPDATE cron_runs SET log_path=? WHERE id=?")
        .bind(1, (logs_dir / "cron" / (std::to_string(id) + ".log")).string()).bind(2, id).step();
  transaction.commit();
  return id;
}

void Store::finish_cron_run(std::int64_t id, CronRunStatus status, std::optional<int> exit_code) {
  std::lock_guard lock(mutex_);
  Statement update(db_,
                   "UPDATE cron_runs SET status=?, exit_code=?, finished_at=strftime('%Y-%m-%dT%H:%M:%fZ','now'),"
                   " duration_ms=CAST((julianday('now') - julianday(started_at)) * 86400000 AS INTEGER) WHERE id=?");
  update.bind(1, to_string(status)).bind(3, id);
  if (exit_code) update.bind(2, static_cast<std::int64_t>(*exit_code));  // else NULL: no exit code
  update.step();
}

std::vector<CronRunRecord> Store::interrupt_running_cron_runs() {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  const auto sql = std::string("SELECT ") + kCronRunColumns + " FROM cron_runs WHERE status='running'";
  Statement query(db_, sql.c_str());
  std::vector<CronRunRecord> found;
  while (query.step()) found.push_back(cron_run_from(query));
  Statement(db_,
            "UPDATE cron_runs SET status='interrupted', finished_at=strftime('%Y-%m-%dT%H:%M:%fZ','now')"
            " WHERE status='running'")
      .step();
  transaction.commit();
  return found;
}

std::vector<CronRunRecord> Store::cron_runs(const std::string& app, const std::string& env, const std::string& job,
                                            std::size_t limit) {
  std::lock_guard lock(mutex_);
  const auto sql = std::string("SELECT ") + kCronRunColumns +
                   " FROM cron_runs WHERE app=? AND env=? AND (?3='' OR job=?3) ORDER BY id DESC LIMIT ?4";
  Statement query(db_, sql.c_str());
  query.bind(1, app).bind(2, env).bind(3, job).bind(4, static_cast<std::int64_t>(limit));
  std::vector<CronRunRecord> found;
  while (query.step()) found.push_back(cron_run_from(query));
  return found;
}

std::vector<std::filesystem::path> Store::prune_cron_runs(const std::string& app, const std::string& env,
                                                          const std::string& job, std::size_t keep) {
  std::lock_guard lock(mutex_);
  Transaction transaction(*this);
  constexpr const char* kOlder =
      " FROM cron_runs WHERE app=?1 AND env=?2 AND job=?3 AND status<>'running' AND id NOT IN"
      " (SELECT id FROM cron_runs WHERE app=?1 AND env=?2 AND job=?3 ORDER BY id DESC LIMIT ?4)";
  Statement query(db_, (std::string("SELECT COALESCE(log_path, '')") + kOlder).c_str());
  query.bind(1, app).bind(2, env).bind(3, job).bind(4, static_cast<std::int64_t>(keep));
  std::vector<std::filesystem::path> logs;
  while (query.step())
    if (!query.text(0).empty()) logs.emplace_back(query.text(0));
  Statement(db_, (std::string("DELETE") + kOlder).c_str())
      .bind(1, app).bind(2, env).bind(3, job).bind(4, static_cast<std::int64_t>(keep)).step();
  transaction.commit();
  return logs;
}

}  // namespace porter::state
