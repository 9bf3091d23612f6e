#include "dashboard/api.hpp"

#include <algorithm>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "config/branch_map.hpp"
#include "pipeline/release_runner.hpp"
#include "proc/line_queue.hpp"
#include "ssh/exec_command.hpp"
#include "util/log.hpp"

namespace porter::dashboard {
namespace {

using nlohmann::json;
constexpr std::string_view kApiPrefix = "/api/v1";
constexpr const char* kMigrationsWarning = "database migrations run by later releases are not undone";
constexpr std::size_t kMaxCommandOutput = 1024 * 1024;

const auto& log() {
  static const auto logger = util::logger("dashboard");
  return logger;
}

Response json_response(int status, const json& body) {
  return {status, "application/json", body.dump() + "\n", {}, {}};
}

Response error(int status, const std::string& message) { return json_response(status, {{"error", message}}); }

Response html(int status, const std::string& title, const std::string& text) {
  return {status, "text/html; charset=utf-8",
          "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
          "content=\"width=device-width\"><title>" + title + "</title></head><body><h1>" + title + "</h1><p>" + text +
              "</p></body></html>\n",
          {}, {}};
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto end = path.find('/');
    segments.emplace_back(path.substr(0, end));
    path = end == std::string_view::npos ? std::string_view() : path.substr(end);
  }
  return segments;
}

// The routes below /api/v1/apps/{app}/environments/{env}, by what follows and the method.
Route environment_route(std::string_view method, const std::vector<std::string>& rest) {
  const auto only = [&](std::string_view allowed, RouteKind kind) {
    return Route{method == allowed ? kind : RouteKind::method_not_allowed, {}, {}, {}, {}, 0};
  };
  if (rest.empty()) return only("GET", RouteKind::environment);
  if (rest.size() == 2 && rest[0] == "config") {
    auto route = only("GET", RouteKind::config_key);
    route.key = rest[1];
    return route;
  }
  if (rest.size() != 1) return {};
  const auto& what = rest[0];
  if (what == "releases") return only("GET", RouteKind::releases);
  if (what == "rollback") return only("POST", RouteKind::rollback);
  if (what == "config") return method == "PATCH" ? Route{RouteKind::config_change, {}, {}, {}, {}, 0}
                                                 : only("GET", RouteKind::config);
  if (what == "deploys") return only("GET", RouteKind::deploys);
  if (what == "logs") return only("GET", RouteKind::logs);
  if (what == "metrics") return only("GET", RouteKind::metrics);
  if (what == "scale") return only("POST", RouteKind::scale);
  if (what == "resize") return only("POST", RouteKind::resize);
  return {};
}

Route api_route(std::string_view method, const std::vector<std::string>& segments) {
  // segments[0..1] are "api", "v1"
  const auto n = segments.size();
  const auto only = [&](std::string_view allowed, RouteKind kind) {
    return Route{method == allowed ? kind : RouteKind::method_not_allowed, {}, {}, {}, {}, 0};
  };
  if (n == 3 && segments[2] == "session") return only("GET", RouteKind::session);
  if (n == 3 && segments[2] == "apps") return only("GET", RouteKind::apps);
  if (n == 5 && segments[2] == "deploys" && segments[4] == "log") {
    static const std::regex digits("[0-9]{1,15}");
    if (!std::regex_match(segments[3], digits)) return {};
    auto route = only("GET", RouteKind::deploy_log);
    route.deploy_id = std::stoll(segments[3]);
    return route;
  }
  if (n >= 6 && segments[2] == "apps" && segments[4] == "environments") {
    auto route = environment_route(method, {segments.begin() + 6, segments.end()});
    route.app = segments[3];
    route.env = segments[5];
    return route;
  }
  return {};
}

// Collects what a command writes, bounded, for a JSON answer.
struct CollectedOutput {
  std::string text;
  bool refused = false;  // it wrote to stderr: the request itself was refused

  ssh::CommandOutput output() {
    const auto append = [this](const std::string& chunk) {
      if (text.size() < kMaxCommandOutput) text += chunk.substr(0, kMaxCommandOutput - text.size());
    };
    return {[append](const std::string& chunk) { return append(chunk), true; },
            [this, append](const std::string& chunk) { refused = true, append(chunk); },
            nullptr,
            [](std::chrono::milliseconds time) { return std::this_thread::sleep_for(time), true; }};
  }

  std::string last_line() const {
    auto end = text.find_last_not_of("\r\n");
    if (end == std::string::npos) return "";
    const auto start = text.rfind('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
  }
};

// 200 when the command succeeded; 422 when it refused the request, 409 when it tried and failed.
Response command_result(int status, const CollectedOutput& collected, json extra = json::object()) {
  extra["ok"] = status == 0;
  extra["output"] = collected.text;
  if (status == 0) return json_response(200, extra);
  extra["error"] = collected.last_line();
  return json_response(collected.refused ? 422 : 409, extra);
}

json release_json(const state::ReleaseRecord& release) {
  return {{"version", release.version},         {"commit", release.commit_sha}, {"pusher", release.pusher},
          {"created_at", release.created_at},   {"image", release.image},       {"status", state::to_string(release.status)},
          {"description", release.description},
          {"image_size", release.image_size ? json(*release.image_size) : json(nullptr)}};
}

// CPU and memory per service as the live release runs them: what the resize form starts from.
json resources_json(const release::ReleasePlan& plan) {
  json resources = json::object();
  for (const auto& service : plan.services)
    resources[service.name] = {
        {"millicpu", service.resources.millicpu ? json(*service.resources.millicpu) : json(nullptr)},
        {"memory_bytes", service.resources.memory_bytes ? json(*service.resources.memory_bytes) : json(nullptr)}};
  return resources;
}

json health_json(const Health& health) {
  return {{"ready", health.ready}, {"wanted", health.wanted}, {"summary", health.summary}};
}

json replica_counts(const state::ReleaseRecord& release) {
  json counts = json::object();
  for (const auto& replica : release.replicas) counts[replica.service] = counts.value(replica.service, 0) + 1;
  return counts;
}

bool deploy_finished(const std::string& status) { return status != "queued" && status != "running"; }

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A number in a query, within [least, most]; `fallback` when absent; nullopt when malformed.
std::optional<long> query_number(const Request& request, const std::string& name, long fallback, long least, long most) {
  const auto it = request.query.find(name);
  if (it == request.query.end()) return fallback;
  static const std::regex digits("[0-9]{1,9}");
  if (!std::regex_match(it->second, digits)) return std::nullopt;
  const auto value = std::stol(it->second);
  if (value < least || value > most) return std::nullopt;
  return value;
}

const char* content_type_of(const std::filesystem::path& file) {
  static const std::map<std::string, const char*> kTypes = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript"}, {".css", "text/css"},
      {".json", "application/json"},         {".svg", "image/svg+xml"},  {".png", "image/png"},
      {".ico", "image/x-icon"},              {".woff2", "font/woff2"},   {".map", "application/json"}};
  const auto it = kTypes.find(file.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

}  // namespace

bool changes_state(std::string_view method) { return method != "GET" && method != "HEAD"; }

Health health_of(const std::vector<cluster::ReplicaStatus>& replicas, std::size_t wanted) {
  const auto running = std::ranges::count_if(replicas, [](const auto& replica) { return replica.state == "running"; });
  Health health{static_cast<int>(running), static_cast<int>(wanted), ""};
  if (health.wanted == 0) health.summary = "none";
  else if (health.ready >= health.wanted) health.summary = "healthy";
  else if (health.ready == 0) health.summary = "down";
  else health.summary = "degraded";
  return health;
}

Result<std::vector<std::string>> resize_words(const json& body) {
  std::vector<std::string> words;
  for (const auto& [field, value] : body.items()) {
    if (field == "service" && value.is_string()) {
      words.insert(words.begin(), value.get<std::string>());
    } else if ((field == "cpu" || field == "memory") && (value.is_string() || value.is_number())) {
      // A number such as 0.5 is written as JSON writes it: "0.5".
      words.insert(words.end(), {"--" + field, value.is_string() ? value.get<std::string>() : value.dump()});
    } else {
      return fail("expected {\"service\": \"web\", \"cpu\": \"0.5\", \"memory\": \"512M\"} (cpu or memory may be left out)");
    }
  }
  if (!body.contains("service")) return fail("name the service to resize: {\"service\": \"web\", ...}");
  if (auto checked = commands::resize_request(words); !checked) return std::unexpected(checked.error());
  return words;
}

Route match_route(std::string_view method, std::string_view path) {
  std::vector<std::string> segments;
  for (const auto& raw : split_path(path)) {
    auto decoded = percent_decode(raw, false);
    if (!decoded || decoded->find('/') != std::string::npos || decoded->find('\0') != std::string::npos) return {};
    segments.push_back(*decoded);
  }
  if (segments.size() >= 2 && segments[0] == "api" && segments[1] == "v1") return api_route(method, segments);
  if (!segments.empty() && segments[0] == "api") return {};
  if (segments.size() == 2 && segments[0] == "login") {
    Route route{method == "GET" ? RouteKind::login : RouteKind::method_not_allowed, {}, {}, {}, segments[1], 0};
    return route;
  }
  return {method == "GET" || method == "HEAD" ? RouteKind::asset : RouteKind::method_not_allowed, {}, {}, {}, {}, 0};
}

Result<json> parse_json_object(std::string_view body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return fail("malformed JSON in the request body");
  if (!parsed.is_object()) return fail("the request body must be a JSON object");
  return parsed;
}

Response Api::handle(const Request& request) {
  const auto route = match_route(request.method, request.path);
  if (route.kind == RouteKind::login) return login(request, route);
  if (route.kind == RouteKind::asset) return asset(route, request.path);
  const bool api_path = request.path.starts_with(kApiPrefix);
  if (!api_path) return route.kind == RouteKind::method_not_allowed ? html(405, "Method not allowed", "")
                                                                    : html(404, "Not found", "");
  const auto session = services_.auth.session(request.cookie("porter_session"));
  if (!session) return error(401, "no session or it expired: run `ssh ... dashboard` for a login link");
  if (route.kind == RouteKind::not_found) return error(404, "no such API resource");
  if (route.kind == RouteKind::method_not_allowed) return error(405, "method not allowed here");
  if (changes_state(request.method) && !same_secret(request.header("x-csrf-token"), session->csrf))
    return error(403, "missing or wrong X-CSRF-Token header (GET /api/v1/session gives it)");
  return api(request, route, *session);
}

Response Api::login(const Request& request, const Route& route) {
  auto session = services_.auth.redeem(route.token);
  if (!session) {
    log()->info("dashboard login refused: link used or expired client={}", request.client);
    return html(403, "Login link refused",
                "This login link was used or has expired: run <code>ssh -p PORT git@HOST dashboard</code> again.");
  }
  log()->info("dashboard login user={} client={}", session->who.name, request.client);
  Response response = html(303, "Logged in", "<a href=\"/\">Continue</a>");
  response.headers["Location"] = "/";
  response.headers["Set-Cookie"] = "porter_session=" + session->id + "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" +
                                   std::to_string(services_.auth.session_ttl().count()) +
                                   (services_.config.dashboard.is_https() ? "; Secure" : "");
  return response;
}

// The built front end; any other path is its index (it routes in the browser).
Response Api::asset(const Route&, const std::string& path) {
  constexpr std::uintmax_t kMaxAsset = 32 * 1024 * 1024;
  const auto& root = services_.config.dashboard.assets;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec))
    return html(200, "Porter dashboard",
                "The dashboard's front end is not built on this gateway (no " + root.string() +
                    "). The JSON API answers under /api/v1 (docs/dashboard-api.yaml).");
  std::filesystem::path file = root / "index.html";
  auto decoded = percent_decode(path, false);
  const auto segments = split_path(decoded.value_or(""));
  const bool plain = decoded && std::none_of(segments.begin(), segments.end(), [](const auto& segment) {
    return segment == ".." || segment == "." || segment.find('\0') != std::string::npos;
  });
  if (plain && !segments.empty()) {
    std::filesystem::path wanted = root;
    for (const auto& segment : segments) wanted /= segment;
    if (std::filesystem::is_regular_file(wanted, ec)) file = wanted;
  }
  if (!std::filesystem::is_regular_file(file, ec) || std::filesystem::file_size(file, ec) > kMaxAsset)
    return html(404, "Not found", "");
  std::ifstream in(file, std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {200, content_type_of(file), std::move(body), {}, {}};
}

Response Api::api(const Request& request, const Route& route, const Session& session) {
  const auto& who = session.who;
  if (route.kind == RouteKind::session) return session_info(session);
  if (route.kind == RouteKind::apps) return apps(session);
  if (route.kind == RouteKind::deploy_log) return deploy_log(route, session);
  // Everything else is below /apps/{app}/environments/{env}: checked as SSH checks a command.
  if (!ssh::is_valid_app_name(route.app) || !config::is_valid_environment_name(route.env))
    return error(404, "no such app or environment");
  if (!who.may_use_app(route.app)) return error(403, "access denied: your key may not use app '" + route.app + "'");
  if (!who.may_use_environment(route.env)) return error(403, "access denied: your key may not use " + route.env);
  const auto apps = services_.store.list_apps();
  if (std::find(apps.begin(), apps.end(), route.app) == apps.end()) return error(404, "no app named '" + route.app + "'");
  if (changes_state(request.method))
    log()->info("dashboard action user={} method={} app={} env={}", who.name, request.method, route.app, route.env);
  switch (route.kind) {
    case RouteKind::environment: return environment(route);
    case RouteKind::releases: return releases(route);
    case RouteKind::rollback: return rollback(request, route, session);
    case RouteKind::config: return config(route);
    case RouteKind::config_key: return config_key(route, session);
    case RouteKind::config_change: return config_change(request, route, session);
    case RouteKind::deploys: return deploys(route);
    case RouteKind::logs: return logs(request, route);
    case RouteKind::metrics: return metrics(request, route);
    case RouteKind::scale: return scale(request, route, session);
    case RouteKind::resize: return resize(request, route, session);
    default: return error(404, "no such API resource");
  }
}

Response Api::session_info(const Session& session) {
  const auto listed = [](const std::optional<std::set<std::string>>& names) {
    return names ? json(std::vector<std::string>(names->begin(), names->end())) : json(nullptr);
  };
  return json_response(200, {{"user", session.who.name},
                             {"csrf", session.csrf},
                             {"apps", listed(session.who.apps)},
                             {"environments", listed(session.who.environments)}});
}

// The environments of `app` that `who` may see and that have releases or config.
std::vector<std::string> Api::environments_of(const std::string& app, const ssh::Identity& who) {
  std::set<std::string> candidates;
  for (const auto& [branch, env] : services_.config.branches_for(app).entries()) candidates.insert(env);
  for (const auto& [env, target] : services_.config.environments) candidates.insert(env);
  for (const auto& deploy : services_.store.deploys(app, 200)) candidates.insert(deploy.env);
  std::vector<std::string> found;
  for (const auto& env : candidates)
    if (who.may_use_environment(env) &&
        (!services_.store.releases(app, env).empty() || !services_.store.config_vars(app, env).empty()))
      found.push_back(env);
  return found;
}

Response Api::apps(const Session& session) {
  json list = json::array();
  for (const auto& app : services_.store.list_apps()) {
    if (!session.who.may_use_app(app)) continue;
    json environments = json::array();
    for (const auto& env : environments_of(app, session.who)) environments.push_back(environment_summary(app, env));
    list.push_back({{"name", app}, {"environments", environments}});
  }
  return json_response(200, list);
}

// An environment's line in the apps list. Its health comes from the same
// cached engine answer as the environment page's, so a list of many apps
// costs at most one engine call per environment every kStatusFresh.
json Api::environment_summary(const std::string& app, const std::string& env) {
  const auto live = services_.store.live_release(app, env);
  json summary = {{"name", env},
                  {"release", live ? release_json(*live) : json(nullptr)},
                  {"replicas", live ? replica_counts(*live) : json::object()},
                  {"health", health_json(health_of({}, 0))}};
  if (!live) return summary;
  if (const auto plan = pipeline::plan_of(*live))
    summary["health"] = health_json(health_of(replica_status(*live, *plan), live->replicas.size()));
  return summary;
}

std::optional<std::string> Api::url_of(const std::string& app, const std::string& env) const {
  const auto& config = services_.config;
  const auto& target = config.cluster_for(env);
  if (target.kind == config::ClusterTarget::Kind::kubernetes)
    return target.domain.empty() ? std::nullopt : std::optional("http://" + env + "." + app + "." + target.domain);
  return "http://" + env + "." + app + "." + config.proxy_domain + ":" + std::to_string(config.proxy_port);
}

Response Api::environment(const Route& route) {
  const auto live = services_.store.live_release(route.app, route.env);
  json body = {{"app", route.app}, {"name", route.env}, {"release", nullptr}, {"replicas", json::array()}, {"url", nullptr}};
  if (!live) return json_response(200, body);
  body["release"] = release_json(*live);
  if (const auto url = url_of(route.app, route.env)) body["url"] = *url;
  auto plan = pipeline::plan_of(*live);
  if (!plan) return json_response(200, body);
  body["resources"] = resources_json(*plan);
  const auto replicas = replica_status(*live, *plan);
  body["health"] = health_json(health_of(replicas, live->replicas.size()));
  for (const auto& replica : replicas) {
    const auto dot = replica.name.rfind('.');
    json item = {{"name", replica.name},
                 {"service", replica.name.substr(0, dot)},
                 {"index", dot == std::string::npos ? 0 : std::atoi(replica.name.c_str() + dot + 1)},
                 {"state", replica.state},
                 {"restarts", replica.restarts},
                 {"started_at", replica.started_at},
                 {"cpu_percent", nullptr},
                 {"memory_bytes", nullptr}};
    if (const auto sample = replica.container.empty() ? std::nullopt : services_.metrics.latest(replica.container)) {
      item["cpu_percent"] = sample->cpu_percent;
      item["memory_bytes"] = sample->memory_bytes;
    }
    body["replicas"].push_back(item);
  }
  return json_response(200, body);
}

std::vector<cluster::ReplicaStatus> Api::replica_status(const state::ReleaseRecord& live,
                                                       const release::ReleasePlan& plan) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(status_mutex_);
    std::erase_if(status_cache_, [&](const auto& entry) { return now - entry.second.at > kStatusFresh; });
    if (const auto it = status_cache_.find(live.id); it != status_cache_.end() && it->second.asked == live.replicas)
      return it->second.replicas;
  }
  auto replicas = services_.drivers.for_env(live.env).status(plan, live.replicas);
  std::lock_guard lock(status_mutex_);
  status_cache_[live.id] = {now, live.replicas, replicas};
  return replicas;
}

Response Api::releases(const Route& route) {
  json list = json::array();
  for (const auto& release : services_.store.releases(route.app, route.env)) list.push_back(release_json(release));
  return json_response(200, list);
}

Response Api::rollback(const Request& request, const Route& route, const Session& session) {
  auto body = parse_json_object(request.body);
  if (!body) return error(400, body.error().message);
  const auto version = body->find("version");
  if (version == body->end() || !version->is_number_integer() || version->get<long long>() < 1 ||
      version->get<long long>() > 999999999)
    return error(400, "\"version\" must be a release number, like 3");
  CollectedOutput collected;
  const auto status = services_.commands.run(
      {"rollback", route.app, "-e", route.env, "v" + std::to_string(version->get<long long>())}, session.who,
      collected.output());
  return command_result(status, collected, {{"warning", kMigrationsWarning}});
}

Response Api::config(const Route& route) {
  json vars = json::object();
  for (const auto& [key, value] : services_.store.config_vars(route.app, route.env)) vars[key] = "*****";
  return json_response(200, {{"vars", vars}});
}

Response Api::config_key(const Route& route, const Session& session) {
  if (!commands::is_valid_config_key(route.key)) return error(400, "invalid config key");
  const auto vars = services_.store.config_vars(route.app, route.env);
  const auto it = vars.find(route.key);
  if (it == vars.end()) return error(404, route.key + " is not set in " + route.app + " (" + route.env + ")");
  log()->info("config value revealed app={} env={} key={} user={}", route.app, route.env, route.key, session.who.name);
  return json_response(200, {{"key", route.key}, {"value", it->second}});
}

Response Api::config_change(const Request& request, const Route& route, const Session& session) {
  auto body = parse_json_object(request.body);
  if (!body) return error(400, body.error().message);
  state::ConfigVars set;
  std::vector<std::string> unset;
  for (const auto& [field, value] : body->items()) {
    if (field == "set" && value.is_object()) {
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) return error(400, "\"set\" values must be strings (the value of " + key + " is not)");
        set[key] = text.get<std::string>();
      }
    } else if (field == "unset" && value.is_array()) {
      for (const auto& key : value) {
        if (!key.is_string()) return error(400, "\"unset\" must be a list of key names");
        unset.push_back(key.get<std::string>());
      }
    } else {
      return error(400, "expected {\"set\": {KEY: value...}, \"unset\": [KEY...]}");
    }
  }
  CollectedOutput collected;
  const auto status = services_.commands.change_config(route.app, route.env, set, unset, session.who, collected.output());
  return command_result(status, collected);
}

Response Api::deploys(const Route& route) {
  json list = json::array();
  for (const auto& deploy : services_.store.deploys(route.app, 50)) {
    if (deploy.env != route.env) continue;
    list.push_back({{"id", deploy.id},
                    {"env", deploy.env},
                    {"branch", deploy.ref.starts_with("refs/heads/") ? deploy.ref.substr(11) : deploy.ref},
                    {"commit", deploy.new_sha},
                    {"status", deploy.status},
                    {"pusher", deploy.pusher},
                    {"started_at", deploy.started_at},
                    {"duration_ms", deploy.duration_ms},
                    {"error", deploy.error}});
  }
  return json_response(200, list);
}

// The log so far, then its new lines while the deploy runs; ends (event
// "end", its status) once the deploy finished and the file is drained.
Response Api::deploy_log(const Route& route, const Session& session) {
  const auto deploy = services_.store.deploy(route.deploy_id);
  if (!deploy) return error(404, "no deploy #" + std::to_string(route.deploy_id));
  if (!session.who.may_use_app(deploy->app) || !session.who.may_use_environment(deploy->env))
    return error(403, "access denied: your key may not see deploy #" + std::to_string(route.deploy_id));
  Response response;
  response.stream = [this, id = deploy->id, path = deploy->log_path](EventSink& sink) {
    constexpr std::size_t kChunk = 64 * 1024;
    constexpr std::chrono::milliseconds kPoll{200};
    std::ifstream file(path, std::ios::binary);
    std::string pending;  // a line not yet ended
    std::string chunk(kChunk, '\0');
    while (sink.alive()) {
      const auto record = services_.store.deploy(id);
      const bool finished = !record || deploy_finished(record->status);
      file.clear();
      file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      const auto got = static_cast<std::size_t>(file.gcount());
      pending.append(chunk, 0, got);
      for (auto end = pending.find('\n'); end != std::string::npos || pending.size() >= kChunk;
           end = pending.find('\n')) {
        const auto cut = end == std::string::npos ? pending.size() : end;
        if (!sink.send(pending.substr(0, cut))) return;
        pending.erase(0, cut + (end == std::string::npos ? 0 : 1));
      }
      if (got == 0 && finished) {
        if (!pending.empty()) sink.send(pending);
        sink.send(record ? record->status : "gone", "end");
        return;
      }
      if (got < kChunk) std::this_thread::sleep_for(kPoll);
    }
  };
  return response;
}

// App output from the environment's driver, followed until the client goes away.
Response Api::logs(const Request& request, const Route& route) {
  const auto tail = query_number(request, "tail", 100, 0, 10000);
  if (!tail) return error(400, "tail must be a number of lines from 0 to 10000");
  const auto service = request.query.contains("service") ? request.query.at("service") : std::string();
  const auto live = services_.store.live_release(route.app, route.env);
  if (!live) return error(404, "nothing runs in " + route.app + " (" + route.env + ") yet");
  auto plan = pipeline::plan_of(*live);
  if (!plan) return error(409, "release v" + std::to_string(live->version) + " " + plan.error().message);
  if (!service.empty() && !plan->service(service))
    return error(404, "no service '" + service + "' in " + route.app + " (" + route.env + ")");
  Response response;
  response.stream = [this, plan = *plan, replicas = live->replicas, env = route.env,
                     wanted = cluster::LogRequest{service, static_cast<std::size_t>(*tail), true}](EventSink& sink) {
    constexpr std::size_t kQueued = 1000;
    proc::CancelToken cancel;
    proc::LineQueue queue(kQueued, cancel);
    std::string failure;  // written before the close, read after it
    std::jthread reader([&] {
      auto read = services_.drivers.for_env(env).logs(
          plan, replicas, wanted, [&](const std::string& line) { queue.push(line); }, cancel);
      if (!read) failure = read.error().message;
      queue.close();
    });
    for (bool open = true; open;) {
      auto batch = queue.take(std::chrono::milliseconds(200));
      for (const auto& line : batch.lines) open = open && sink.send(line);
      if (batch.closed) {
        if (open) sink.send(failure.empty() ? "ended" : failure, "end");
        break;
      }
      open = open && sink.alive();
    }
    cancel.cancel();  // releases the reader, which the jthread then joins
  };
  return response;
}

Response Api::metrics(const Request& request, const Route& route) {
  const auto seconds = query_number(request, "since", 3600, 1, 3600);
  if (!seconds) return error(400, "since must be a number of seconds from 1 to 3600");
  const auto since = unix_now() - *seconds;
  json replicas = json::array();
  const auto live = services_.store.live_release(route.app, route.env);
  auto plan = live ? pipeline::plan_of(*live) : Result<release::ReleasePlan>(fail("no live release"));
  if (live && plan) {
    for (const auto& replica : replica_status(*live, *plan)) {
      json samples = json::array();
      if (!replica.container.empty())
        for (const auto& sample : services_.metrics.history(replica.container, since))
          samples.push_back({{"at", sample.at}, {"cpu_percent", sample.cpu_percent}, {"memory_bytes", sample.memory_bytes}});
      replicas.push_back({{"name", replica.name}, {"service", replica.name.substr(0, replica.name.rfind('.'))},
                          {"samples", samples}});
    }
  }
  return json_response(200, {{"since", since}, {"replicas", replicas}});
}

Response Api::scale(const Request& request, const Route& route, const Session& session) {
  auto body = parse_json_object(request.body);
  if (!body) return error(400, body.error().message);
  std::vector<std::string> words = {"ps:scale", route.app, "-e", route.env};
  for (const auto& [service, count] : body->items()) {
    if (!count.is_number_integer() || count.get<long long>() < 0 || count.get<long long>() > 1000)
      return error(400, "expected {\"SERVICE\": COUNT...} with counts from 0 to 1000");
    words.push_back(service + "=" + std::to_string(count.get<long long>()));
  }
  if (words.size() == 4) return error(400, "expected {\"SERVICE\": COUNT...}: name at least one service");
  CollectedOutput collected;
  const auto status = services_.commands.run(words, session.who, collected.output());
  return command_result(status, collected);
}

// ps:resize through the same command as SSH: a new release of the live one.
// The body is checked first, so a bad value is a 400 and changes nothing.
Response Api::resize(const Request& request, const Route& route, const Session& session) {
  auto body = parse_json_object(request.body);
  if (!body) return error(400, body.error().message);
  auto args = resize_words(*body);
  if (!args) return error(400, args.error().message);
  std::vector<std::string> words = {"ps:resize", route.app, "-e", route.env};
  words.insert(words.end(), args->begin(), args->end());
  CollectedOutput collected;
  const auto status = services_.commands.run(words, session.who, collected.output());
  return command_result(status, collected);
}

}  // namespace porter::dashboard
