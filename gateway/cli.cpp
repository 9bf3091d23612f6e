#include "cli.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "daemon.hpp"
#include "doctor.hpp"
#include "hookrpc/hook_client.hpp"

namespace porter {
namespace {

constexpr const char* kUsage = R"(usage: porter [serve] [options]
       porter doctor [options]      check the tools and host settings the gateway needs
       porter hook pre-receive      (run by git inside an app repo)

A git-push deploy gateway: `git push porter main` builds and deploys.

Commands:
  serve    run the gateway daemon (the default when no command is given)
  doctor   check every tool and setting the gateway needs; exit 1 if one is missing

Options for serve and doctor (they override the config file):
  --config FILE            gateway.yaml to read (default: none, built-in defaults)
  --listen HOST:PORT       SSH address (default 127.0.0.1:2222; port 0 picks one)
  --data-dir DIR           repos, state and logs (default ~/.porter)
  --authorized-keys FILE   OpenSSH public keys allowed to push
                           (default DATA_DIR/authorized_keys)
  --registry HOST:PORT     OCI registry for release images (default
                           127.0.0.1:5000; "" keeps images local)
  --proxy-listen HOST:PORT where apps answer, as http://ENV.APP.localhost:PORT
                           (default 127.0.0.1:8080; port 0 picks one)
  --dashboard-listen HOST:PORT  the web dashboard's address
                           (default 127.0.0.1:8090; port 0 picks one)
  -v, --verbose            debug logging
  -h, --help               this text
)";

int usage_error(const std::string& message) {
  std::cerr << "porter: " << message << "\n" << "run `porter --help` for usage\n";
  return 2;
}

// Reads the options shared by serve and doctor; nullopt after --help or a usage error (`exit_code` set).
std::optional<config::GatewayConfig> read_options(const std::vector<std::string>& args, int& exit_code) {
  config::Overrides overrides;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      exit_code = 0;
      return std::nullopt;
    }
    if (arg == "-v" || arg == "--verbose") {
      spdlog::set_level(spdlog::level::debug);
      continue;
    }
    if (i + 1 >= args.size()) {
      exit_code = usage_error("unknown option or missing value: " + arg);
      return std::nullopt;
    }
    const auto& value = args[++i];
    if (arg == "--config") overrides.config_file = value;
    else if (arg == "--listen") overrides.listen = value;
    else if (arg == "--data-dir") overrides.data_dir = value;
    else if (arg == "--authorized-keys") overrides.authorized_keys = value;
    else if (arg == "--registry") overrides.registry = value;
    else if (arg == "--proxy-listen") overrides.proxy_listen = value;
    else if (arg == "--dashboard-listen") overrides.dashboard_listen = value;
    else {
      exit_code = usage_error("unknown option: " + arg);
      return std::nullopt;
    }
  }
  auto loaded = config::load_gateway_config(overrides);
  if (!loaded) {
    std::cerr << "porter: " << loaded.error().message << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  return *loaded;
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  if (!args.empty() && args[0] == "hook") {
    if (args.size() == 2 && args[1] == "pre-receive") return hookrpc::run_pre_receive_hook();
    return usage_error("unknown hook; only `porter hook pre-receive` exists");
  }
  const bool doctor = !args.empty() && args[0] == "doctor";
  if (!args.empty() && (doctor || args[0] == "serve")) args.erase(args.begin());
  int exit_code = 0;
  auto config = read_options(args, exit_code);
  if (!config) return exit_code;
  return doctor ? run_doctor(*config) : run_daemon(*config);
}

}  // namespace porter
