#pragma once
// The server's own settings (gateway.yaml). Every setting has a default, so
// `porter serve` runs with no file at all.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/branch_map.hpp"
#include "util/result.hpp"

namespace porter::config {

struct Timeouts {
  std::chrono::seconds auth{30};    // key exchange + authentication
  std::chrono::seconds idle{600};   // no traffic on a session
  std::chrono::seconds build{1800};
};

// The local engine's autoscaler (gateway.yaml `autoscaler:`): how often it
// samples the replicas' CPU and memory, and how long usage must stay low
// before it removes replicas.
struct AutoscalerSettings {
  std::chrono::seconds interval{5};
  std::chrono::seconds scale_down_window{120};
};

// Caps on SSH connections (limits: in gateway.yaml), all positive.
struct ConnectionLimits {
  std::size_t preauth_connections = 100;  // open and not yet authenticated, in all
  std::size_t preauth_per_address = 10;   // the same, from one client address
  std::size_t sessions_per_key = 20;      // authenticated sessions of one key at once
};

// Where an environment's releases run (gateway.yaml `environments:`).
struct ClusterTarget {
  enum class Kind { local, kubernetes };
  Kind kind = Kind::local;
  std::filesystem::path kubeconfig;  // kubernetes: required
  std::string context;               // empty: the kubeconfig's current context
  std::string namespace_name;        // empty: <app>-<env>
  std::string registry;              // where the cluster pulls from; empty: the gateway's registry
  std::string domain;                // Ingress hosts <env>.<app>.<domain>; empty: no Ingress
  std::string image_pull_secret;     // a Secret in the namespace for pulls; empty: none
  bool user_namespaces = true;       // pods get their own (hostUsers: false); needs containerd 2 or CRI-O
};

// The dashboard's HTTP server (gateway.yaml `dashboard:`).
struct DashboardSettings {
  std::string host = "127.0.0.1";
  int port = 8090;                          // 0: pick a free port at start
  std::chrono::seconds login_ttl{60};       // how long a login link from `ssh ... dashboard` works
  std::chrono::seconds session_ttl{12 * 3600};
  std::filesystem::path assets;             // the built front end; default: the source tree's dashboard/dist
  // How browsers reach it ("https://porter.example.com"), when not at the
  // listen address (a proxy in front, or 0.0.0.0): what login links start
  // with. https makes the session cookie Secure.
  std::string public_url;

  bool is_https() const { return public_url.starts_with("https://"); }
};

struct GatewayConfig {
  std::string listen_host = "127.0.0.1";
  int listen_port = 2222;
  std::filesystem::path data_dir;          // default: ~/.porter
  std::filesystem::path authorized_keys;   // default: <data_dir>/authorized_keys
  std::filesystem::path host_key;          // default: <data_dir>/ssh_host_ed25519_key
  bool require_app_create = false;
  std::string registry = "127.0.0.1:5000";  // OCI registry for release images; "" = keep images local
  std::filesystem::path buildpacks_dir;    // built-in buildpacks; default: the source tree's buildpacks/
  // Hosts git buildpacks may be cloned from over https ("host" on any port,
  // or "host:port"), lowercase; empty: no git buildpacks at all.
  std::vector<std::string> buildpack_hosts = {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"};
  // TCP ports of services on this host (a database) that apps and predeploys
  // may reach, at host.containers.internal:PORT; nothing else of the host is.
  std::vector<int> host_services;
  std::uint64_t cache_budget_mb = 10240;   // build caches beyond this are evicted, oldest first
  std::uint64_t max_push_mb = 0;           // the largest pack a push may send; 0 = no limit
  ConnectionLimits connections;
  std::uint64_t max_checkout_mb = 4096;    // the largest pushed tree a deploy checks out; 0 = no limit
  AutoscalerSettings autoscaler;
  std::uint64_t logs_budget_mb = 1024;     // deploy logs beyond this are removed, oldest deploy first
  std::uint64_t app_logs_budget_mb = 2048;  // apps' output beyond this is removed, oldest release first
  std::string proxy_host = "127.0.0.1";    // where nginx listens for app traffic
  int proxy_port = 8080;                   // 0: pick a free port at start
  std::string proxy_domain = "localhost";  // apps answer at <env>.<app>.<domain>
  std::filesystem::path hooks_dir;         // lifecycle hooks; default <data_dir>/hooks
  std::filesystem::path sandbox_dir;       // builds and caches; /var/lib/porter/sandbox/<hash of data_dir>
  std::map<std::string, ClusterTarget> environments;  // an environment not listed runs locally
  std::filesystem::path kubectl = "kubectl";          // looked up on PATH unless it holds a '/'
  BranchMap branches = BranchMap::defaults();
  std::map<std::string, BranchMap> app_branches;  // per-app overrides
  Timeouts timeouts;
  DashboardSettings dashboard;

  const BranchMap& branches_for(const std::string& app) const;
  const ClusterTarget& cluster_for(const std::string& env) const;
  // The registry a release of `env` is pushed to: its cluster's, else the gateway's.
  const std::string& registry_for(const std::string& env) const;
  std::filesystem::path repos_dir() const { return data_dir / "repos"; }
  std::filesystem::path logs_dir() const { return data_dir / "logs"; }
  std::filesystem::path replica_logs_dir() const { return logs_dir() / "apps"; }  // <app>/<env>/v<N>/web.0.log
  // Builds and their caches are mounted into build containers, whose root
  // (a high host uid, see sandbox/build_store.hpp) must reach them: they
  // live beside the private data dir, not in it.
  std::filesystem::path builds_dir() const { return sandbox_root() / "builds"; }
  std::filesystem::path cache_dir() const { return sandbox_root() / "cache"; }
  std::filesystem::path sandbox_root() const { return sandbox_dir.empty() ? data_dir : sandbox_dir; }
  std::filesystem::path control_socket() const { return data_dir / "control.sock"; }
  std::filesystem::path state_db() const { return data_dir / "state.db"; }
  std::filesystem::path containers_conf() const { return data_dir / "containers.conf"; }
  std::filesystem::path registries_conf() const { return data_dir / "registries.conf"; }
  // Credentials for the registry (containers auth.json), when it requires them.
  std::filesystem::path registry_auth() const { return data_dir / "registry-auth.json"; }
  std::filesystem::path releases_dir() const { return data_dir / "releases"; }
  std::filesystem::path nginx_dir() const { return data_dir / "nginx"; }
  std::filesystem::path addr_file() const { return data_dir / "gateway.addr"; }
  std::filesystem::path dashboard_addr_file() const { return data_dir / "dashboard.addr"; }
};

// Flags given on the command line; they win over the file.
struct Overrides {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::string> listen;
  std::optional<std::filesystem::path> data_dir;
  std::optional<std::filesystem::path> authorized_keys;
  std::optional<std::string> registry;
  std::optional<std::string> proxy_listen;
  std::optional<std::string> dashboard_listen;
};

// Parses gateway.yaml text. Errors name the line and the key.
Result<GatewayConfig> parse_gateway_config(const std::string& yaml_text);

// Reads the file (if any), applies flags and fills path defaults.
Result<GatewayConfig> load_gateway_config(const Overrides& overrides);

// "host:port" -> pair; nullopt when malformed.
std::optional<std::pair<std::string, int>> parse_host_port(const std::string& text);

}  // namespace porter::config
