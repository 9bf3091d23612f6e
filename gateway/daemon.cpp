#include "daemon.hpp"

#include <git2.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "builder.hpp"
#include "cluster/podman_driver.hpp"
#include "commands/admin_commands.hpp"
#include "git/repo_store.hpp"
#include "hookrpc/connection.hpp"
#include "pipeline/push_job.hpp"
#include "pipeline/reconciler.hpp"
#include "http/probe.hpp"
#include "registry/registry.hpp"
#include "ssh/host_key.hpp"
#include "ssh/server.hpp"
#include "state/store.hpp"

namespace porter {
namespace {

std::atomic<ssh::Server*> running_server{nullptr};

void on_stop_signal(int) {
  if (auto* server = running_server.load()) server->stop();
}

// podman needs these settings on this kind of host (see shared notes); they
// are given through its own config file, never by editing system files.
void write_containers_conf(const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::trunc);
  out << "[engine]\nruntime=\"runc\"\ncgroup_manager=\"cgroupfs\"\nevents_logger=\"file\"\n"
         "[containers]\ndefault_ulimits=[\"nofile=1024:1024\",\"nproc=1024:1024\"]\n";
}

// The porter binary the hooks exec. If it is replaced while we run (an
// upgrade), /proc says "(deleted)": the path still names the new binary.
std::string own_executable() {
  auto path = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string deleted = " (deleted)";
  if (path.ends_with(deleted)) path.erase(path.size() - deleted.size());
  return path;
}

class Gateway final : public ssh::SessionHandler {
 public:
  explicit Gateway(const config::GatewayConfig& config)
      : config_(config),
        store_(config.state_db()),
        repos_(config.repos_dir()),
        builders_(builders::BuilderRegistry::with_defaults()),
        driver_(config.releases_dir()),
        proxy_(config.nginx_dir(), config.proxy_host, config.proxy_port, config.proxy_domain),
        hooks_(config.hooks_dir),
        services_{config_, store_, sessions_, locks_, builders_, driver_, proxy_, hooks_},
        commands_(services_, repos_, [this](const std::string& app) { return ensure_app(app); }),
        reconciler_(services_, std::chrono::seconds(10)) {}

  state::Store& store() { return store_; }
  proxy::NginxProxy& proxy() { return proxy_; }
  pipeline::Reconciler& reconciler() { return reconciler_; }

  std::optional<ssh::Identity> authorize(ssh_key key) override {
    return ssh::find_authorized(config_.authorized_keys, key);
  }

  std::variant<ssh::GitLaunch, ssh::ExecError> prepare_git(const ssh::GitRequest& request, const ssh::Identity& who,
                                                           const std::string& git_protocol) override {
    const bool push = request.service == ssh::GitService::receive_pack;
    if (!who.may_use_app(request.app)) return ssh::ExecError{"access denied: your key may not use app '" + request.app + "'"};
    if (!repos_.exists(request.app) && (!push || config_.require_app_create))
      return ssh::ExecError{"no app named '" + request.app + "'" +
                            (push ? "; create it first: ssh <gateway> apps:create " + request.app : "")};
    if (push) {
      if (auto error = ensure_app(request.app)) return ssh::ExecError{*error};
    }
    ssh::GitLaunch launch{{.program = "git", .args = {}, .env = {}, .dir = config_.repos_dir()}, ""};
    if (!git_protocol.empty()) launch.command.env["GIT_PROTOCOL"] = git_protocol;
    if (push) {
      launch.session_token = sessions_.open(request.app, who.name, who.environments);
      launch.command.args = {"-c", "receive.advertisePushOptions=true"};
      launch.command.env["PORTER_BIN"] = own_executable();
      launch.command.env["PORTER_CONTROL_SOCKET"] = config_.control_socket().string();
      launch.command.env["PORTER_SESSION"] = launch.session_token;
    }
    launch.command.args.push_back(ssh::git_service_program(request.service));
    launch.command.args.push_back(repos_.path_for(request.app).string());
    return launch;
  }

  void git_finished(const std::string& session_token) override {
    if (!session_token.empty()) sessions_.close(session_token);
  }

  int run_admin(const ssh::AdminRequest& request, const ssh::Identity& who,
                const ssh::CommandOutput& output) override {
    return commands_.run(request, who, output);
  }

  // The hook's control socket: one thread per push, owned by the daemon.
  void serve_hooks(hookrpc::Listener& listener) {
    while (auto connection = listener.accept()) {
      ++active_jobs_;
      std::thread([this, connection = std::move(*connection)]() mutable {
        try {
          pipeline::handle_push(connection, services_);
        } catch (const std::exception& e) {
          spdlog::error("push job crashed: {}", e.what());
        }
        --active_jobs_;
      }).detach();
    }
  }

  int active_jobs() const { return active_jobs_; }

 private:
  std::optional<std::string> ensure_app(const std::string& app) {
    std::lock_guard lock(create_mutex_);  // two first pushes must not both create the repo
    if (auto error = repos_.ensure(app)) return error;
    store_.create_app(app);
    return std::nullopt;
  }

  const config::GatewayConfig& config_;
  state::Store store_;
  git::RepoStore repos_;
  pipeline::SessionRegistry sessions_;
  pipeline::EnvLocks locks_;
  builders::BuilderRegistry builders_;
  cluster::PodmanDriver driver_;
  proxy::NginxProxy proxy_;
  pipeline::LifecycleHooks hooks_;
  pipeline::Services services_;
  commands::AdminCommands commands_;
  pipeline::Reconciler reconciler_;
  std::mutex create_mutex_;
  std::atomic<int> active_jobs_{0};
};

void prepare_data_dir(const config::GatewayConfig& config) {
  for (const auto& dir : {config.data_dir, config.repos_dir(), config.logs_dir(), config.builds_dir()})
    std::filesystem::create_directories(dir);
  ::chmod(config.data_dir.c_str(), 0700);  // repos, logs and the state db are private
  write_containers_conf(config.containers_conf());
  ::setenv("CONTAINERS_CONF", config.containers_conf().c_str(), 1);
  registry::write_registries_conf(config.registries_conf(), config.registry);
  ::setenv("CONTAINERS_REGISTRIES_CONF", config.registries_conf().c_str(), 1);
  if (!std::filesystem::exists(config.authorized_keys)) {
    std::ofstream(config.authorized_keys) << "# one OpenSSH public key per line\n";
    ::chmod(config.authorized_keys.c_str(), 0600);
  }
}

void write_addr_file(const config::GatewayConfig& config, int port) {
  const auto temp = config.addr_file().string() + ".tmp";
  std::ofstream(temp) << config.listen_host << ":" << port << "\n";
  std::filesystem::rename(temp, config.addr_file());
}

}  // namespace

int run_daemon(config::GatewayConfig config) {
  ::signal(SIGPIPE, SIG_IGN);  // a vanished peer is an error value, not a signal
  git_libgit2_init();
  ssh_init();
  try {
    prepare_data_dir(config);
    if (config.proxy_port == 0) config.proxy_port = http::free_port();
    if (auto error = ssh::ensure_host_key(config.host_key)) {
      spdlog::critical("{}", *error);
      return 1;
    }
    Gateway gateway(config);
    if (auto error = gateway.proxy().start()) {
      spdlog::critical("{}", *error);
      return 1;
    }
    gateway.reconciler().start();
    if (int interrupted = gateway.store().mark_unfinished_interrupted())
      spdlog::warn("{} deploys were left unfinished by the previous run; recorded as interrupted", interrupted);

    hookrpc::Listener hooks(config.control_socket());
    if (!hooks.ok()) {
      spdlog::critical("{}", hooks.error());
      return 1;
    }
    std::thread hook_thread([&] { gateway.serve_hooks(hooks); });

    ssh::Server server(gateway, {config.timeouts.auth, config.timeouts.idle});
    if (auto error = server.listen(config.listen_host, config.listen_port, config.host_key)) {
      spdlog::critical("{}", *error);
      hooks.shutdown();
      hook_thread.join();
      return 1;
    }
    write_addr_file(config, server.bound_port());
    spdlog::info("listening on {}:{} data_dir={} apps at http://<env>.<app>.{}:{}", config.listen_host,
                 server.bound_port(), config.data_dir.string(), config.proxy_domain, gateway.proxy().port());
    running_server = &server;
    ::signal(SIGINT, on_stop_signal);
    ::signal(SIGTERM, on_stop_signal);
    server.serve();
    running_server = nullptr;

    spdlog::info("stopping: waiting for sessions to end");
    server.drain(std::chrono::seconds(10));
    hooks.shutdown();
    hook_thread.join();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (gateway.active_jobs() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::filesystem::remove(config.addr_file());
  } catch (const std::exception& e) {
    spdlog::critical("gateway failed: {}", e.what());
    return 1;
  }
  ssh_finalize();
  git_libgit2_shutdown();
  return 0;
}

}  // namespace porter
