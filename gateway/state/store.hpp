#pragma once
// The gateway's durable state, in SQLite (WAL): apps, deploy records (one per
// pushed ref), releases (one per version of an environment, with the config
// snapshot they ran with), config vars and the replicas of live releases.
// Written only by the daemon; one connection behind a mutex.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace porter::state {

enum class DeployStatus { queued, running, live, failed, cancelled, superseded, interrupted };
const char* to_string(DeployStatus status);

struct NewDeploy {
  std::string app, env, ref, old_sha, new_sha, pusher;
};

enum class ReleaseStatus { pending, live, failed, superseded };
const char* to_string(ReleaseStatus status);

using ConfigVars = std::map<std::string, std::string>;

struct ReplicaRecord {
  std::string service;
  int index = 0;
  std::string pod;
  int port = 0;
};

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
  std::string commit_sha, image, plan_yaml, description, pusher, status, created_at;
  ConfigVars config;
  std::vector<ReplicaRecord> replicas;  // live releases only
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

  ConfigVars config_vars(const std::string& app, const std::string& env);
  void set_config_vars(const std::string& app, const std::string& env, const ConfigVars& vars);
  void unset_config_vars(const std::string& app, const std::string& env, const std::vector<std::string>& keys);

  // A new pending release with the next version number of its environment.
  ReleaseRecord create_release(const NewRelease& release);
  void set_release_status(std::int64_t release_id, ReleaseStatus status);
  // Marks the release live with its replicas, the previous live one superseded, atomically.
  void mark_release_live(std::int64_t release_id, const std::vector<ReplicaRecord>& replicas);
  std::optional<ReleaseRecord> live_release(const std::string& app, const std::string& env);
  std::optional<ReleaseRecord> release_version(const std::string& app, const std::string& env, int version);
  std::vector<ReleaseRecord> releases(const std::string& app, const std::string& env);  // newest first
  std::vector<ReleaseRecord> live_releases();
  // Deploys left queued/running by a crash are recorded as interrupted.
  int mark_unfinished_interrupted();

 private:
  class Transaction;
  void migrate();
  void exec(const char* sql);
  void load_details(ReleaseRecord& release);
  std::optional<ReleaseRecord> find_release(const std::string& where, const std::vector<std::string>& values);

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

}  // namespace porter::state
