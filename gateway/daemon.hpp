#pragma once
// `porter serve`: wires the SSH server, the repo store, the hook control
// socket and the deploy pipeline together.
#include "config/gateway_config.hpp"

namespace porter {

// Runs until SIGINT/SIGTERM. Returns the process exit code.
int run_daemon(config::GatewayConfig config);

}  // namespace porter
