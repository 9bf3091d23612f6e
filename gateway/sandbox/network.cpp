#include "sandbox/network.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

#include "proc/process.hpp"

namespace porter::sandbox {
namespace {

constexpr std::chrono::seconds kCommandTimeout{60};
const char* const kMetadataRange = "169.254.0.0/16";

std::optional<std::vector<std::string>> output_of(const std::string& program, std::vector<std::string> args) {
  return proc::output_of({.program = program, .args = std::move(args), .env = {}, .dir = {}}, kCommandTimeout);
}

bool succeeds(const std::string& program, std::vector<std::string> args) {
  return output_of(program, std::move(args)).has_value();
}

// One iptables rule, inserted at the top of its chain unless it is there.
Result<> ensure_rule(const std::string& table, const std::string& chain, const std::vector<std::string>& rule) {
  std::vector<std::string> check = {"-w", "-t", table, "-C", chain};
  check.insert(check.end(), rule.begin(), rule.end());
  if (succeeds("iptables", check)) return ok();
  std::vector<std::string> insert = {"-w", "-t", table, "-I", chain, "1"};
  insert.insert(insert.end(), rule.begin(), rule.end());
  if (!succeeds("iptables", insert)) return fail("cannot add a firewall rule to " + table + " " + chain);
  return ok();
}

Result<> create_network(const std::string& name) {
  if (succeeds("podman", {"network", "exists", name})) return ok();
  if (succeeds("podman", {"network", "create", "--opt", "isolate=true", "--label", "porter=1", name}) ||
      succeeds("podman", {"network", "exists", name}))  // or another gateway made it meanwhile
    return ok();
  return fail("cannot create the network " + name);
}

Result<std::string> bridge_of(const std::string& name) {
  auto lines = output_of("podman", {"network", "inspect", "--format", "{{.NetworkInterface}}", name});
  if (!lines || lines->empty() || lines->front().empty()) return fail("cannot read the bridge of the network " + name);
  return lines->front();
}

// DNAT to 127.0.0.1 needs the bridge to accept loopback destinations, and
// the bridge exists only once a container used it: make it now (CNI adopts it).
Result<> allow_loopback_destinations(const std::string& bridge) {
  if (!succeeds("ip", {"link", "show", "dev", bridge})) succeeds("ip", {"link", "add", "name", bridge, "type", "bridge"});
  std::ofstream setting("/proc/sys/net/ipv4/conf/" + bridge + "/route_localnet");
  if (!(setting << "1\n")) return fail("cannot set route_localnet on " + bridge);
  return ok();
}

// The rules, top-down as they end up in each chain (each is inserted at the top).
Result<> apply_firewall(const std::string& bridge, const std::vector<int>& host_ports) {
  // No new connection from the bridge to any host address: replies to the
  // host's own connections (health checks, nginx) still pass.
  if (auto rule = ensure_rule("filter", "INPUT", {"-i", bridge, "-m", "conntrack", "!", "--ctstate",
                                                  "RELATED,ESTABLISHED", "-j", "REJECT"});
      !rule)
    return rule;
  if (auto rule = ensure_rule("filter", "FORWARD", {"-i", bridge, "-d", kMetadataRange, "-j", "REJECT"}); !rule)
    return rule;
  if (host_ports.empty()) return ok();
  if (auto allowed = allow_loopback_destinations(bridge); !allowed) return allowed;
  for (const int port : host_ports) {
    const auto text = std::to_string(port);
    // host.containers.internal:PORT (any host address) goes to the service on 127.0.0.1:PORT.
    if (auto rule = ensure_rule("nat", "PREROUTING", {"-i", bridge, "-p", "tcp", "--dport", text, "-m", "addrtype",
                                                      "--dst-type", "LOCAL", "-j", "DNAT", "--to-destination",
                                                      "127.0.0.1:" + text});
        !rule)
      return rule;
    if (auto rule = ensure_rule("filter", "INPUT", {"-i", bridge, "-p", "tcp", "-d", "127.0.0.1", "--dport", text,
                                                    "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"});
        !rule)
      return rule;
  }
  return ok();
}

// CNI's host-local keeps one file per reserved address, holding the container id.
const std::filesystem::path kLeasesDir = std::filesystem::path("/var/lib/cni/networks") / kBuildNetwork;

// A step container no build will clean up: runc knows nothing of it, or it
// stopped and its bundle (in its build's directory) is gone with the build.
// A stopped one whose bundle is there belongs to a build that is about to
// delete it itself: deleting it first would fail that build.
bool abandoned(const std::string& id) {
  auto state = output_of("runc", {"state", id});
  if (!state) return true;
  bool stopped = false;
  std::string bundle;
  for (const auto& line : *state) {
    stopped = stopped || line.find("\"status\": \"stopped\"") != std::string::npos;
    if (const auto at = line.find("\"bundle\": \""); at != std::string::npos) {
      bundle = line.substr(at + 11);
      bundle = bundle.substr(0, bundle.find('"'));
    }
  }
  std::error_code error;
  return stopped && !bundle.empty() && !std::filesystem::exists(bundle, error);
}

std::string first_line_of(const std::filesystem::path& file) {
  std::string text(256, '\0');
  std::ifstream in(file);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text.substr(0, text.find_first_of("\r\n"));
}

// A port on 127.0.0.1 that nothing listens on right now (the kernel's pick).
int port_nothing_listens_on() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

}  // namespace

int release_dead_build_leases() {
  std::error_code error;
  if (!std::filesystem::is_directory(kLeasesDir, error)) return 0;
  const int lock = ::open((kLeasesDir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return 0;
  ::flock(lock, LOCK_EX);
  int released = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kLeasesDir, error)) {
    const auto name = entry.path().filename().string();
    if (name == "lock" || name.starts_with("last_reserved_ip")) continue;
    const auto id = first_line_of(entry.path());
    // buildah names a step's container after its temporary dir: buildah-buildahNNN.
    if (!id.starts_with("buildah-") || !abandoned(id)) continue;
    succeeds("runc", {"delete", "--force", id});
    if (std::filesystem::remove(entry.path(), error)) ++released;
  }
  ::close(lock);  // and with it the lock
  return released;
}

std::set<int> ports_in_rules(const std::vector<std::string>& rules) {
  std::set<int> ports;
  const auto add = [&](const std::string& item) {
    int first = 0, last = 0;
    if (std::sscanf(item.c_str(), "%d:%d", &first, &last) != 2) last = first = std::atoi(item.c_str());
    if (first <= 0 || last > 65535 || last < first) return;
    for (int port = first; port <= last; ++port) ports.insert(port);
  };
  for (const auto& rule : rules) {
    std::istringstream words(rule);
    for (std::string word; words >> word;) {
      if (word != "--dport" && word != "--dports") continue;
      std::string list;
      if (!(words >> list)) break;
      std::istringstream items(list);
      for (std::string item; std::getline(items, item, ',');) add(item);
    }
  }
  return ports;
}

std::set<int> forwarded_ports() {
  auto rules = output_of("iptables", {"-w", "-t", "nat", "-S"});
  return rules ? ports_in_rules(*rules) : std::set<int>{};
}

int unclaimed_port() {
  constexpr std::size_t kRemembered = 4096;
  static std::mutex one_at_a_time;
  static std::deque<int> handed_out;  // the last kRemembered, oldest first
  const std::scoped_lock lock(one_at_a_time);
  const auto forwarded = forwarded_ports();
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = port_nothing_listens_on();
    if (port <= 0 || forwarded.contains(port) || std::ranges::find(handed_out, port) != handed_out.end()) continue;
    handed_out.push_back(port);
    if (handed_out.size() > kRemembered) handed_out.pop_front();
    return port;
  }
  return 0;
}

std::string app_network_name(const std::string& app, const std::string& env) { return "porter-" + app + "-" + env; }

Result<Network> ensure_network(const std::string& name, const std::vector<int>& host_ports) {
  static std::mutex one_at_a_time;  // podman and iptables edits of one gateway do not interleave
  const std::scoped_lock lock(one_at_a_time);
  if (auto created = create_network(name); !created) return std::unexpected(created.error());
  auto bridge = bridge_of(name);
  if (!bridge) return std::unexpected(bridge.error());
  if (auto applied = apply_firewall(*bridge, host_ports); !applied) return std::unexpected(applied.error());
  return Network{name, *bridge};
}

}  // namespace porter::sandbox
