#include "state/store.hpp"

#include <array>
#include <stdexcept>

namespace porter::state {
namespace {

// Schema versions, applied in order; never edit one that has shipped.
constexpr std::array kMigrations = {
    R"sql(
CREATE TABLE apps(
  name TEXT PRIMARY KEY,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
CREATE TABLE deploys(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  app TEXT NOT NULL, env TEXT NOT NULL, ref TEXT NOT NULL,
  old_sha TEXT NOT NULL, new_sha TEXT NOT NULL, pusher TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  finished_at TEXT, duration_ms INTEGER,
  image TEXT, container TEXT, port INTEGER, url TEXT, error TEXT, log_path TEXT);
CREATE INDEX deploys_by_env ON deploys(app, env, status);
)sql",
    R"sql(
ALTER TABLE deploys ADD COLUMN image_digest TEXT;
ALTER TABLE deploys ADD COLUMN image_size INTEGER;
)sql",
};

// One prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& bind(int index, const std::string& value) {
    sqlite3_bind_text(stmt_, index, value.c_str(), -1, SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
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

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

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
  if (sqlite3_open(db_path.c_str(), &db_) != SQLITE_OK)
    throw std::runtime_error("cannot open " + db_path.string() + ": " + sqlite3_errmsg(db_));
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;");
  migrate();
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

void Store::migrate() {
  Statement version_query(db_, "PRAGMA user_version");
  version_query.step();
  auto version = static_cast<std::size_t>(version_query.integer(0));
  for (; version < kMigrations.size(); ++version) {
    exec("BEGIN IMMEDIATE");
    exec(kMigrations[version]);
    exec(("PRAGMA user_version=" + std::to_string(version + 1)).c_str());
    exec("COMMIT");
  }
}

bool Store::app_exists(const std::string& app) {
  std::lock_guard lock(mutex_);
  return Statement(db_, "SELECT 1 FROM apps WHERE name=?").bind(1, app).step();
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

std::int64_t Store::create_deploy(const NewDeploy& d, const std::filesystem::path& logs_dir) {
  std::lock_guard lock(mutex_);
  Statement insert(db_,
                   "INSERT INTO deploys(app, env, ref, old_sha, new_sha, pusher, status) VALUES(?,?,?,?,?,?,'queued')");
  insert.bind(1, d.app).bind(2, d.env).bind(3, d.ref).bind(4, d.old_sha).bind(5, d.new_sha).bind(6, d.pusher).step();
  auto id = sqlite3_last_insert_rowid(db_);
  Statement(db_, "UPDATE deploys SET log_path=? WHERE id=?")
      .bind(1, (logs_dir / (std::to_string(id) + ".log")).string())
      .bind(2, id)
      .step();
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

void Store::mark_live(std::int64_t id, const LiveRelease& release) {
  std::lock_guard lock(mutex_);
  exec("BEGIN IMMEDIATE");
  try {
    Statement(db_,
              "UPDATE deploys SET status='superseded' WHERE status='live' AND id<>? AND"
              " (app, env) = (SELECT app, env FROM deploys WHERE id=?)")
        .bind(1, id)
        .bind(2, id)
        .step();
    Statement(db_,
              "UPDATE deploys SET status='live', image=?, container=?, port=?, url=?,"
              " finished_at=strftime('%Y-%m-%dT%H:%M:%fZ','now'),"
              " duration_ms=CAST((julianday('now')-julianday(started_at))*86400000 AS INTEGER) WHERE id=?")
        .bind(1, release.image)
        .bind(2, release.container)
        .bind(3, static_cast<std::int64_t>(release.port))
        .bind(4, release.url)
        .bind(5, id)
        .step();
    exec("COMMIT");
  } catch (...) {
    exec("ROLLBACK");
    throw;
  }
}

std::optional<LiveRelease> Store::live_release(const std::string& app, const std::string& env) {
  std::lock_guard lock(mutex_);
  Statement query(db_,
                  "SELECT id, image, container, url, new_sha, port FROM deploys"
                  " WHERE app=? AND env=? AND status='live' ORDER BY id DESC LIMIT 1");
  query.bind(1, app).bind(2, env);
  if (!query.step()) return std::nullopt;
  return LiveRelease{query.integer(0), query.text(1), query.text(2), query.text(3), query.text(4),
                     static_cast<int>(query.integer(5))};
}

std::optional<Deploy> Store::deploy(std::int64_t id) {
  std::lock_guard lock(mutex_);
  Statement query(db_, "SELECT id, app, env, ref, new_sha, status, IFNULL(error,''), IFNULL(image,'') FROM deploys WHERE id=?");
  query.bind(1, id);
  if (!query.step()) return std::nullopt;
  return Deploy{query.integer(0), query.text(1), query.text(2), query.text(3),
                query.text(4),    query.text(5), query.text(6), query.text(7)};
}

int Store::mark_unfinished_interrupted() {
  std::lock_guard lock(mutex_);
  Statement(db_, "UPDATE deploys SET status='interrupted' WHERE status IN ('queued','running')").step();
  return sqlite3_changes(db_);
}

}  // namespace porter::state
