#include "cli.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "daemon.hpp"
#include "hookrpc/hook_client.hpp"

namespace porter {
namespace {

constexpr const char* kUsage = R"(usage: porter [serve] [options]
       porter hook pre-receive      (run by git inside an app repo)

A git-push deploy gateway: `git push porter main` builds and deploys.

Commands:
  serve    run the gateway daemon (the default when no command is given)

Options for serve (they override the config file):
  --config FILE            gateway.yaml to read (default: none, built-in defaults)
  --listen HOST:PORT       SSH address (default 127.0.0.1:2222; port 0 picks one)
  --data-dir DIR           repos, state and logs (default ~/.porter)
  --authorized-keys FILE   OpenSSH public keys allowed to push
                           (default DATA_DIR/authorized_keys)
  --registry HOST:PORT     OCI registry for release images (default
                           127.0.0.1:5000; "" keeps images local)
  --proxy-listen HOST:PORT where apps answer, as http://ENV.APP.localhost:PORT
                           (default 127.0.0.1:8080; port 0 picks one)
  -v, --verbose            debug logging
  -h, --help               this text
)";

int usage_error(const std::string& message) {
  std::cerr << "porter: " << message << "\n" << "run `porter --help` for usage\n";
  return 2;
}

int serve(const std::vector<std::string>& args) {
  config::Overrides overrides;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "-v" || arg == "--verbose") {
      spdlog::set_level(spdlog::level::debug);
      continue;
    }
    if (i + 1 >= args.size()) return usage_error("unknown option or missing value: " + arg);
    const auto& value = args[++i];
    if (arg == "--config") overrides.config_file = value;
    else if (arg == "--listen") overrides.listen = value;
    else if (arg == "--data-dir") overrides.data_dir = value;
    else if (arg == "--authorized-keys") overrides.authorized_keys = value;
    else if (arg == "--registry") overrides.registry = value;
    else if (arg == "--proxy-listen") overrides.proxy_listen = value;
    else return usage_error("unknown option: " + arg);
  }
  auto loaded = config::load_gateway_config(overrides);
  if (auto* error = std::get_if<config::ConfigError>(&loaded)) {
    std::cerr << "porter: " << error->message << "\n";
    return 2;
  }
  return run_daemon(std::get<config::GatewayConfig>(loaded));
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  if (!args.empty() && args[0] == "hook") {
    if (args.size() == 2 && args[1] == "pre-receive") return hookrpc::run_pre_receive_hook();
    return usage_error("unknown hook; only `porter hook pre-receive` exists");
  }
  if (!args.empty() && args[0] == "serve") args.erase(args.begin());
  return serve(args);
}

}  // namespace porter
