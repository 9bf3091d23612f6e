#pragma once
// One running copy of a release's service: what the cluster driver starts and
// stops, and what the state store keeps for the live release of each
// environment (so the next release, or a restarted gateway, can find it).
#include <string>

namespace porter::release {

struct Replica {
  std::string service;  // "web", "worker", ...
  int index = 0;        // 0..replicas-1 within the service
  std::string pod;      // podman pod name
  int port = 0;         // host port the proxy sends traffic to (web only)

  bool operator==(const Replica&) const = default;
};

}  // namespace porter::release
