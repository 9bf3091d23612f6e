#include "proxy/nginx_proxy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "proc/fd.hpp"
#include "proc/process.hpp"
#include "util/clock.hpp"

namespace porter::proxy {
namespace fs = std::filesystem;
namespace {

constexpr std::chrono::seconds kDrainTimeout{60};

std::string seconds(std::chrono::seconds value) { return std::to_string(value.count()) + "s"; }

std::optional<int> read_pid(const fs::path& file) {
  std::ifstream in(file);
  int pid = 0;
  if (!(in >> pid) || pid <= 0 || ::kill(pid, 0) != 0) return std::nullopt;
  return pid;
}

// /proc/PID/stat with read(2): a process that exits meanwhile fails the
// read with ESRCH, which std::filebuf would throw for. "" if gone.
std::string read_proc_stat(const char* pid) {
  const auto path = std::string("/proc/") + pid + "/stat";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buffer[4096];
  const auto n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

// Worker processes of the nginx master: the ones a reload retires.
std::set<int> children_of(int parent) {
  std::set<int> children;
  DIR* proc = ::opendir("/proc");
  if (!proc) return children;
  while (auto* entry = ::readdir(proc)) {
    int pid = std::atoi(entry->d_name);
    if (pid <= 0) continue;
    const auto text = read_proc_stat(entry->d_name);
    auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 2));
    std::string state;
    int ppid = 0;
    fields >> state >> ppid;
    if (ppid == parent && state != "Z") children.insert(pid);
  }
  ::closedir(proc);
  return children;
}

std::string upstream_name(const std::string& app, const std::string& env) {
  auto name = "porter_" + app + "__" + env;
  for (auto& c : name)
    if (c == '-') c = '_';
  return name;
}

}  // namespace

NginxProxy::NginxProxy(fs::path dir, std::string host, int port, std::string domain)
    : dir_(std::move(dir)), host_(std::move(host)), port_(port), domain_(std::move(domain)) {}

std::string NginxProxy::url(const std::string& app, const std::string& env) const {
  return "http://" + env + "." + app + "." + domain_ + ":" + std::to_string(port_);
}

fs::path NginxProxy::site_file(const std::string& app, const std::string& env) const {
  return dir_ / "sites" / (app + "--" + env + ".conf");
}

std::string render_site(const std::string& app, const std::string& env, const std::string& server_name,
                        const std::string& listen, const std::vector<int>& ports, const config::ProxyTimeouts& timeouts) {
  const auto upstream = upstream_name(app, env);
  std::string site = "upstream " + upstream + " {\n";
  for (int port : ports) site += "  server 127.0.0.1:" + std::to_string(port) + " max_fails=0;\n";
  site += "  keepalive 16;\n}\n";
  site += "server {\n  listen " + listen + ";\n  server_name " + server_name + ";\n";
  site += "  location / {\n";
  site += "    proxy_pass http://" + upstream + ";\n";
  site += "    proxy_http_version 1.1;\n    proxy_set_header Connection \"\";\n";
  site += "    proxy_set_header Host $host;\n    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n";
  site += "    proxy_set_header X-Forwarded-Proto $scheme;\n";
  site += "    proxy_connect_timeout " + seconds(timeouts.connect) + ";\n";
  site += "    proxy_send_timeout " + seconds(timeouts.send) + ";\n";
  site += "    proxy_read_timeout " + seconds(timeouts.read) + ";\n";
  // A replica that refuses a connection: try the next one instead of failing the request.
  site += "    proxy_next_upstream error timeout http_502 http_503;\n";
  site += "  }\n}\n";
  return site;
}

Result<> NginxProxy::start() {
  std::lock_guard lock(mutex_);
  for (const auto& sub : {"sites", "tmp", "logs"}) fs::create_directories(dir_ / sub);
  const auto listen = host_ + ":" + std::to_string(port_);
  std::ofstream conf(dir_ / "nginx.conf", std::ios::trunc);
  conf << "# written by porter; edits are lost\n"
       << "worker_processes 1;\npid " << (dir_ / "nginx.pid").string() << ";\n"
       << "error_log " << (dir_ / "logs/error.log").string() << " warn;\n"
       << "events { worker_connections 1024; }\n"
       << "http {\n  access_log off;\n"
       << "  client_body_temp_path " << (dir_ / "tmp/body").string() << ";\n"
       << "  proxy_temp_path " << (dir_ / "tmp/proxy").string() << ";\n"
       << "  fastcgi_temp_path " << (dir_ / "tmp/fastcgi").string() << ";\n"
       << "  uwsgi_temp_path " << (dir_ / "tmp/uwsgi").string() << ";\n"
       << "  scgi_temp_path " << (dir_ / "tmp/scgi").string() << ";\n"
       << "  server_names_hash_bucket_size 128;\n"
       << "  server {\n    listen " << listen << " default_server;\n"
       << "    return 404 \"no app is deployed at this address\\n\";\n  }\n"
       << "  include " << (dir_ / "sites").string() << "/*.conf;\n}\n";
  conf.close();
  if (read_pid(dir_ / "nginx.pid")) return reload();
  std::string last;
  proc::CancelToken never;
  auto run = proc::run({.program = "nginx", .args = {"-c", (dir_ / "nginx.conf").string(), "-e",
                                                     (dir_ / "logs/error.log").string()}, .env = {}, .dir = {}},
                       [&](const std::string& line) { last = line; }, never, std::chrono::seconds(30));
  if (!run.ok()) return fail("starting nginx failed: " + (last.empty() ? run.error : last));
  return ok();
}

Result<> NginxProxy::reload() {
  auto master = read_pid(dir_ / "nginx.pid");
  if (!master) return fail("nginx is not running");
  std::string last;
  proc::CancelToken never;
  const auto conf = (dir_ / "nginx.conf").string();
  const auto error_log = (dir_ / "logs/error.log").string();
  auto test = proc::run({.program = "nginx", .args = {"-t", "-q", "-c", conf, "-e", error_log}, .env = {}, .dir = {}},
                        [&](const std::string& line) { last = line; }, never, std::chrono::seconds(30));
  if (!test.ok()) return fail("the proxy configuration is invalid: " + last);
  // Graceful: old workers exit once their requests are done; wait for their exits.
  std::vector<proc::Fd> old_workers;
  for (int pid : children_of(*master)) old_workers.emplace_back(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (::kill(*master, SIGHUP) != 0) return fail("cannot signal nginx");
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  for (const auto& worker : old_workers) {
    pollfd exited{worker.get(), POLLIN, 0};
    if (const int left_ms = util::milliseconds_until(deadline); worker && left_ms > 0) ::poll(&exited, 1, left_ms);
  }
  return ok();  // stragglers are long requests; they end with their timeouts
}

Result<> NginxProxy::route(const std::string& app, const std::string& env,
                                             const std::vector<int>& ports, const config::ProxyTimeouts& timeouts) {
  std::lock_guard lock(mutex_);
  const auto file = site_file(app, env);
  const auto previous = fs::exists(file) ? std::optional(file.string() + ".previous") : std::nullopt;
  if (previous) fs::copy_file(file, *previous, fs::copy_options::overwrite_existing);
  const auto listen = host_ + ":" + std::to_string(port_);
  std::ofstream(file, std::ios::trunc) << render_site(app, env, env + "." + app + "." + domain_, listen, ports, timeouts);
  auto reloaded = reload();
  if (!reloaded) {  // keep serving the old routes
    if (previous) fs::rename(*previous, file);
    else fs::remove(file);
  }
  return reloaded;
}

}  // namespace porter::proxy
