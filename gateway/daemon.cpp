#include "daemon.hpp"

#include <git2.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "dashboard/api.hpp"
#include "dashboard/http_server.hpp"
#include "doctor.hpp"
#include "gateway.hpp"
#include "hookrpc/server.hpp"
#include "pipeline/recovery.hpp"
#include "proc/cgroup.hpp"
#include "registry/registry.hpp"
#include "sandbox/build_store.hpp"
#include "sandbox/network.hpp"
#include "ssh/host_key.hpp"
#include "ssh/server.hpp"
#include "util/log.hpp"

namespace porter {
namespace {

constexpr std::chrono::seconds kSessionGrace{10};  // for running sessions to end on their own at shutdown
constexpr std::chrono::seconds kReconcileInterval{10};

const auto& log() {
  static const auto logger = util::logger("daemon");
  return logger;
}

// podman needs these settings on this kind of host (see docs/architecture.md);
// they are given through its own config file, never by editing system files.
void write_containers_conf(const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::trunc);
  out << "[engine]\nruntime=\"runc\"\ncgroup_manager=\"cgroupfs\"\nevents_logger=\"file\"\n"
         "[containers]\ndefault_ulimits=[\"nofile=1024:1024\",\"nproc=1024:1024\"]\n";
}

void prepare_data_dir(const config::GatewayConfig& config) {
  for (const auto& dir : {config.data_dir, config.repos_dir(), config.logs_dir()})
    std::filesystem::create_directories(dir);
  ::chmod(config.data_dir.c_str(), 0700);  // repos, logs, the state db and the hook socket are private
  write_containers_conf(config.containers_conf());
  ::setenv("CONTAINERS_CONF", config.containers_conf().c_str(), 1);
  registry::write_registries_conf(config.registries_conf(), config.registry);
  ::setenv("CONTAINERS_REGISTRIES_CONF", config.registries_conf().c_str(), 1);
  if (std::filesystem::exists(config.registry_auth())) {  // buildah push and podman pulls read it
    ::chmod(config.registry_auth().c_str(), 0600);
    ::setenv("REGISTRY_AUTH_FILE", config.registry_auth().c_str(), 1);
  }
  if (!std::filesystem::exists(config.authorized_keys)) {
    std::ofstream(config.authorized_keys) << "# one OpenSSH public key per line\n";
    ::chmod(config.authorized_keys.c_str(), 0600);
  }
}

// Where builds run: their files, their store with the base images, their network.
Result<> prepare_sandbox(const config::GatewayConfig& config) {
  if (auto dir = sandbox::prepare_sandbox_dir(config.sandbox_root()); !dir) return dir;
  for (const auto& dir : {config.builds_dir(), config.cache_dir()}) std::filesystem::create_directories(dir);
  auto copied = sandbox::prepare_build_store(kBaseImages);
  if (!copied) return std::unexpected(copied.error());
  for (const auto& image : *copied) log()->info("build store: copied {} from the engine's store", image);
  if (auto network = sandbox::ensure_network(sandbox::kBuildNetwork, {}); !network)
    return std::unexpected(network.error());
  return ok();
}

// Nothing essential may be missing: say what, and how to fix it, before
// anyone pushes.
Result<> check_host(const config::GatewayConfig& config) {
  std::string missing;
  for (const auto& check : run_checks(config)) {
    if (check.ok || !check.essential) continue;
    log()->critical("missing {}: {}", check.name, check.detail);
    missing += (missing.empty() ? "" : ", ") + check.name;
  }
  if (missing.empty()) return ok();
  return fail("cannot start: missing " + missing + " (details above; `porter doctor` checks again)");
}

void write_addr_file(const std::filesystem::path& file, const std::string& host, int port) {
  const auto temp = file.string() + ".tmp";
  std::ofstream(temp) << host << ":" << port << "\n";
  std::filesystem::rename(temp, file);
}

// SIGINT and SIGTERM are blocked in every thread and taken by sigwait.
sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

// Port 0 is "pick one": never one a pod's NAT rule forwards (the kernel's
// own pick could be one, and its connections would go to the pod). Picked
// right before the listen: until then another process could take it.
int port_to_listen_on(int configured) {
  if (configured != 0) return configured;
  const int port = sandbox::unclaimed_port();
  return port != 0 ? port : configured;
}

int refuse_to_start(const std::string& message) {
  log()->critical("{}", message);
  return 1;
}

int serve(const config::GatewayConfig& config) {
  prepare_data_dir(config);
  if (auto checked = check_host(config); !checked) return refuse_to_start(checked.error().message);
  if (auto ready = prepare_sandbox(config); !ready) return refuse_to_start(ready.error().message);
  if (auto key = ssh::ensure_host_key(config.host_key); !key) return refuse_to_start(key.error().message);
  auto jobs_cgroup = proc::jobs_cgroup_root(config.data_dir);
  if (!jobs_cgroup) return refuse_to_start(jobs_cgroup.error().message);

  Gateway gateway(config, *jobs_cgroup);
  if (auto started = gateway.proxy().start(); !started) return refuse_to_start(started.error().message);
  // What a killed predecessor left is ended before any new push is taken.
  pipeline::recover_interrupted_deploys(config, *jobs_cgroup, gateway.store());
  if (const int released = sandbox::release_dead_build_leases(); released > 0)
    log()->info("released {} build network address(es) of builds that were killed", released);
  gateway.reconciler().start(kReconcileInterval);
  gateway.autoscaler().start();  // samples the replicas' figures for ps, and scales what autoscales
  gateway.cron().start();  // after the recovery: a crashed predecessor's runs are ended first

  hookrpc::Server hooks;
  if (auto listening = hooks.listen(config.control_socket()); !listening)
    return refuse_to_start(listening.error().message);
  hooks.start([&](const hookrpc::HookRequest& request, const hookrpc::OutputSink& output) {
    return gateway.handle_push(request, output);
  });

  // The dashboard listens first: gateway.addr appears only once all is ready.
  dashboard::Api api({config, gateway.store(), gateway.commands(), gateway.drivers(), gateway.metrics(),
                      gateway.dashboard_auth()});
  dashboard::HttpServer web([&](const dashboard::Request& request) { return api.handle(request); });
  if (auto listening = web.listen(config.dashboard.host, port_to_listen_on(config.dashboard.port)); !listening)
    return refuse_to_start(listening.error().message);
  const auto dashboard_address = config.dashboard.host + ":" + std::to_string(web.bound_port());
  // Links name where browsers reach it: the listen address may be 0.0.0.0.
  gateway.set_dashboard_url(config.dashboard.public_url.empty() ? "http://" + dashboard_address
                                                                : config.dashboard.public_url);
  write_addr_file(config.dashboard_addr_file(), config.dashboard.host, web.bound_port());
  log()->info("dashboard at http://{}", dashboard_address);
  std::jthread web_acceptor([&](std::stop_token stop) { web.serve(stop, kSessionGrace); });

  ssh::Server server(gateway, {config.timeouts.auth, config.timeouts.idle},
                     {config.connections.preauth_connections, config.connections.preauth_per_address,
                      config.connections.sessions_per_key});
  if (auto listening = server.listen(config.listen_host, port_to_listen_on(config.listen_port), config.host_key);
      !listening)
    return refuse_to_start(listening.error().message);
  write_addr_file(config.addr_file(), config.listen_host, server.bound_port());
  log()->info("listening on {}:{} data_dir={} sandbox_dir={} apps at http://<env>.<app>.{}:{}", config.listen_host,
              server.bound_port(), config.data_dir.string(), config.sandbox_root().string(), config.proxy_domain,
              gateway.proxy().port());

  std::jthread acceptor([&](std::stop_token stop) { server.serve(stop); });
  const auto signals = stop_signals();
  int signal = 0;
  sigwait(&signals, &signal);
  log()->info("stopping on signal {}: waiting up to {} s for sessions to end", signal, kSessionGrace.count());
  acceptor.request_stop();
  acceptor.join();
  web_acceptor.request_stop();
  web_acceptor.join();  // its streams end within a poll interval
  server.shutdown(kSessionGrace);  // sessions end; their pushes' jobs are cancelled with them
  hooks.shutdown();                // and joined here
  gateway.cron().stop();           // runs in progress are interrupted and their containers removed
  std::filesystem::remove(config.addr_file());
  std::filesystem::remove(config.dashboard_addr_file());
  return 0;
}

}  // namespace

int run_daemon(config::GatewayConfig config) {
  ::signal(SIGPIPE, SIG_IGN);  // a vanished peer is an error value, not a signal
  const auto signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts: all inherit it
  git_libgit2_init();
  ssh_init();
  int exit_code = 1;
  try {
    if (config.proxy_port == 0) config.proxy_port = port_to_listen_on(0);  // nginx is told it before it starts
    exit_code = serve(config);
  } catch (const std::exception& e) {
    log()->critical("gateway failed: {}", e.what());
  }
  ssh_finalize();
  git_libgit2_shutdown();
  return exit_code;
}

}  // namespace porter
