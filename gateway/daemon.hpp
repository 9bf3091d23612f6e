#pragma once
// `porter serve`: checks the host, cleans up after an interrupted run, starts
// the gateway's parts, and on SIGINT/SIGTERM stops them in order.
#include "config/gateway_config.hpp"

namespace porter {

// Runs until SIGINT/SIGTERM. Returns the process exit code.
int run_daemon(config::GatewayConfig config);

}  // namespace porter
