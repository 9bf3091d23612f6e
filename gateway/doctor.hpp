#pragma once
// `porter doctor`, and the same check when `porter serve` starts: every
// external tool and host setting the gateway relies on, each ok or with a
// one-line fix. `serve` refuses to start when an essential one is missing,
// rather than failing the first push.
#include <string>
#include <vector>

#include "config/gateway_config.hpp"

namespace porter {

// The images builds start from, made by scripts/make-base-image and
// make-stack-image (`debian:bookworm` by both its names).
inline const std::vector<std::string> kBaseImages = {"localhost/debian:bookworm", "docker.io/library/debian:bookworm",
                                                     "localhost/porter/stack:bookworm"};

struct Check {
  std::string name;
  bool ok = false;
  bool essential = true;  // the gateway cannot deploy without it
  std::string detail;     // what was found, or the fix
};

std::vector<Check> run_checks(const config::GatewayConfig& config);

// Prints one line per check; returns 0 when nothing essential is missing.
int run_doctor(const config::GatewayConfig& config);

}  // namespace porter
