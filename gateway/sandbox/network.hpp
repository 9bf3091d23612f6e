#pragma once
// Networks for tenant code. Every build runs on one shared build network,
// every (app, environment) on a network of its own: podman (CNI) bridges
// created with `isolate=true`, so no network reaches another. On top, the
// host's firewall keeps tenants away from the host itself: nothing on the
// bridge may open a connection to a host address (the registry, the SSH
// port, nginx's admin side, other apps' published ports on 127.0.0.1), except
// the host services the operator allows (gateway.yaml `host_services`),
// which tenants reach at host.containers.internal:PORT. The outside network
// stays reachable; cloud metadata (169.254.0.0/16) does not.
#include <set>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace porter::sandbox {

// The network every build runs on.
inline constexpr const char* kBuildNetwork = "porter-build";

struct Network {
  std::string name;    // podman's network name
  std::string bridge;  // the host side's interface
};

// The network of an app's environment: porter-<app>-<env>.
std::string app_network_name(const std::string& app, const std::string& env);

// Creates the network if it is missing and (re)applies its firewall rules
// (they do not survive a reboot). Cheap when all is in place: call it before
// every use. `host_ports` are the TCP ports of allowed host services.
Result<Network> ensure_network(const std::string& name, const std::vector<int>& host_ports);

// A build killed mid-step (a timeout, a cancel, a crash) never tells CNI its
// container is gone, and the address stays reserved for good: releases the
// build network's addresses whose container no longer runs (and runc's
// state of it), under CNI's own lock. Safe beside running builds, also other
// gateways'. Returns how many were released.
int release_dead_build_leases();

// The TCP ports this host's NAT rules forward (podman's hostPorts, of every
// gateway's pods and of leftovers whose container is gone), from
// `iptables -t nat -S`. podman holds no socket on a hostPort, so a port
// nothing listens on may still be taken: a connection to it goes to the pod.
std::set<int> forwarded_ports();

// The ports named by --dport and --dports (lists and ranges) in rule lines.
std::set<int> ports_in_rules(const std::vector<std::string>& rules);

// A port on 127.0.0.1 for a replica's hostPort or for the gateway to listen
// on: nothing listens on it, no NAT rule forwards it, and this process has
// not handed it out lately (a concurrent deploy's rule may not exist yet).
// 0 when the kernel offers none such.
int unclaimed_port();

}  // namespace porter::sandbox
