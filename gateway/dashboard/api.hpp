#pragma once
// The dashboard's JSON API under /api/v1 (docs/dashboard-api.yaml), its
// login links and the built front end's files. Every API call needs a
// session and is checked against the key's apps= and environments= exactly
// as SSH commands are; changes need the session's CSRF token and run
// through the same AdminCommands as `ssh ... rollback` and friends.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cluster/drivers.hpp"
#include "cluster/metrics.hpp"
#include "commands/admin_commands.hpp"
#include "config/gateway_config.hpp"
#include "dashboard/auth.hpp"
#include "dashboard/http_server.hpp"
#include "state/store.hpp"

namespace porter::dashboard {

enum class RouteKind {
  not_found, method_not_allowed, login, asset,
  session, apps, environment, releases, rollback, config, config_key, config_change, deploys, deploy_log, logs,
  metrics, scale, resize
};

struct Route {
  RouteKind kind = RouteKind::not_found;
  std::string app, env, key, token;
  std::int64_t deploy_id = 0;

  bool is_api() const { return kind != RouteKind::login && kind != RouteKind::asset; }
};

// What `method path` asks for; path segments are percent-decoded.
Route match_route(std::string_view method, std::string_view path);

// A request body that must be one JSON object; the error is one line.
Result<nlohmann::json> parse_json_object(std::string_view body);

// Whether a request changes state, and so needs the CSRF token.
bool changes_state(std::string_view method);

// How an environment's replicas fare: "healthy" (all wanted are running),
// "degraded" (some), "down" (none), "none" (none wanted).
struct Health {
  int ready = 0;
  int wanted = 0;
  std::string summary;
};
Health health_of(const std::vector<cluster::ReplicaStatus>& replicas, std::size_t wanted);

// A resize request's body, {"service": S, "cpu": "0.5", "memory": "512M"}
// (cpu or memory may be left out), as ps:resize's words after the app and
// environment; the error is one line and nothing has changed.
Result<std::vector<std::string>> resize_words(const nlohmann::json& body);

struct ApiServices {
  const config::GatewayConfig& config;
  state::Store& store;
  commands::AdminCommands& commands;
  const cluster::Drivers& drivers;
  const cluster::Metrics& metrics;
  Auth& auth;
};

class Api {
 public:
  explicit Api(ApiServices services) : services_(services) {}

  Response handle(const Request& request);

 private:
  Response login(const Request& request, const Route& route);
  Response asset(const Route& route, const std::string& path);
  Response api(const Request& request, const Route& route, const Session& session);
  Response session_info(const Session& session);
  Response apps(const Session& session);
  Response environment(const Route& route);
  Response releases(const Route& route);
  Response rollback(const Request& request, const Route& route, const Session& session);
  Response config(const Route& route);
  Response config_key(const Route& route, const Session& session);
  Response config_change(const Request& request, const Route& route, const Session& session);
  Response deploys(const Route& route);
  Response deploy_log(const Route& route, const Session& session);
  Response logs(const Request& request, const Route& route);
  Response metrics(const Request& request, const Route& route);
  Response scale(const Request& request, const Route& route, const Session& session);
  Response resize(const Request& request, const Route& route, const Session& session);

  std::vector<std::string> environments_of(const std::string& app, const ssh::Identity& who);
  std::optional<std::string> url_of(const std::string& app, const std::string& env) const;
  std::vector<cluster::ReplicaStatus> replica_status(const state::ReleaseRecord& live, const release::ReleasePlan& plan);
  nlohmann::json environment_summary(const std::string& app, const std::string& env);

  ApiServices services_;
  // The engine's answer per live release, for kStatusFresh: each costs a
  // `podman inspect` (~0.5 s here), and a page asks for it often.
  struct CachedStatus {
    std::chrono::steady_clock::time_point at;
    std::vector<release::Replica> asked;  // ps:scale changes them in place
    std::vector<cluster::ReplicaStatus> replicas;
  };
  static constexpr std::chrono::seconds kStatusFresh{3};
  std::mutex status_mutex_;
  std::map<std::int64_t, CachedStatus> status_cache_;  // by release id
};

}  // namespace porter::dashboard
