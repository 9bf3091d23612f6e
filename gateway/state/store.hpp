#pragma once
// The gateway's durable state: apps and deploy records, in SQLite (WAL).
// Written only by the daemon; one connection behind a mutex.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
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

// What is serving an environment now.
struct LiveRelease {
  std::int64_t deploy_id = 0;
  std::string image, container, url, new_sha;
  int port = 0;
};

struct Deploy {
  std::int64_t id = 0;
  std::string app, env, ref, new_sha, status, error, image;
};

class Store {
 public:
  // Opens (creating and migrating) the database; throws on failure at startup.
  explicit Store(const std::filesystem::path& db_path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  bool app_exists(const std::string& app);
  void create_app(const std::string& app);
  std::vector<std::string> list_apps();

  std::int64_t create_deploy(const NewDeploy& deploy, const std::filesystem::path& logs_dir);
  void set_status(std::int64_t id, DeployStatus status);
  // The built image as published: reference with digest, and its size.
  void record_image(std::int64_t id, const std::string& reference, const std::string& digest, std::uint64_t size);
  void finish(std::int64_t id, DeployStatus status, const std::string& error);
  // Marks `id` live and the environment's previous live release superseded, atomically.
  void mark_live(std::int64_t id, const LiveRelease& release);
  std::optional<LiveRelease> live_release(const std::string& app, const std::string& env);
  std::optional<Deploy> deploy(std::int64_t id);
  // Deploys left queued/running by a crash are recorded as interrupted.
  int mark_unfinished_interrupted();

 private:
  void migrate();
  void exec(const char* sql);

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

}  // namespace porter::state
