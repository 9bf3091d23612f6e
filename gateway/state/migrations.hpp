#pragma once
// The database schema, one migration per version: migration i takes a
// database from user_version i to i+1, in one transaction. Never edit one that
// has shipped (databases out there already ran it): add a new one.
#include <array>

namespace porter::state {

inline constexpr std::array kMigrations = {
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
    R"sql(
CREATE TABLE config_vars(
  app TEXT NOT NULL, env TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(app, env, key));
CREATE TABLE releases(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  app TEXT NOT NULL, env TEXT NOT NULL, version INTEGER NOT NULL, deploy_id INTEGER NOT NULL,
  commit_sha TEXT NOT NULL, image TEXT NOT NULL, plan TEXT NOT NULL, description TEXT NOT NULL,
  pusher TEXT NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
  UNIQUE(app, env, version));
CREATE TABLE release_config(
  release_id INTEGER NOT NULL REFERENCES releases(id), key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(release_id, key));
CREATE TABLE replicas(
  release_id INTEGER NOT NULL REFERENCES releases(id), service TEXT NOT NULL, idx INTEGER NOT NULL,
  pod TEXT NOT NULL, port INTEGER NOT NULL);
)sql",
    R"sql(
CREATE TABLE uid_slots(slot INTEGER PRIMARY KEY, app TEXT NOT NULL, env TEXT NOT NULL, UNIQUE(app, env));
)sql",
    R"sql(
CREATE TABLE formation(
  app TEXT NOT NULL, env TEXT NOT NULL, service TEXT NOT NULL,
  replicas INTEGER, millicpu INTEGER, memory_bytes INTEGER,
  PRIMARY KEY(app, env, service));
)sql",
    // Cron job runs on the local engine. The UNIQUE claim is what keeps a
    // restarted daemon from running a scheduled time twice.
    R"sql(
CREATE TABLE cron_runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  app TEXT NOT NULL, env TEXT NOT NULL, job TEXT NOT NULL, version INTEGER NOT NULL,
  scheduled_for TEXT NOT NULL, status TEXT NOT NULL,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  finished_at TEXT, duration_ms INTEGER, exit_code INTEGER, container TEXT NOT NULL DEFAULT '', log_path TEXT,
  UNIQUE(app, env, job, scheduled_for));
CREATE INDEX cron_runs_by_status ON cron_runs(status);
)sql",
    // The sampler's CPU and memory figures of the local engine's replicas,
    // so charts and `ps` still show the last hour after a restart.
    R"sql(
CREATE TABLE metric_samples(
  container TEXT NOT NULL, at INTEGER NOT NULL,
  cpu_percent REAL NOT NULL, memory_bytes INTEGER NOT NULL, memory_limit INTEGER NOT NULL);
CREATE INDEX metric_samples_by_container ON metric_samples(container, at);
)sql",
};

}  // namespace porter::state
