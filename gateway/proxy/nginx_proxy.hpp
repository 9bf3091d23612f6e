#pragma once
// The reverse proxy in front of every app environment: one nginx, a site per
// (app, env) at http://<env>.<app>.<domain>:<port>. Switching traffic is a
// rewrite of the site's upstream and a graceful reload: in-flight requests
// finish on the old workers, which are waited for before old replicas stop.
// nginx keeps running when the gateway stops, so apps keep serving.
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/app_config.hpp"
#include "util/result.hpp"

namespace porter::proxy {

class NginxProxy {
 public:
  NginxProxy(std::filesystem::path dir, std::string host, int port, std::string domain);

  // Writes the main config and starts nginx (or reloads the one running).
  Result<> start();
  // Sends (app, env) traffic to these local ports; returns once old nginx
  // workers have finished their requests.
  Result<> route(const std::string& app, const std::string& env, const std::vector<int>& ports,
                                   const config::ProxyTimeouts& timeouts);
  std::string url(const std::string& app, const std::string& env) const;
  int port() const { return port_; }

 private:
  Result<> reload();
  std::filesystem::path site_file(const std::string& app, const std::string& env) const;

  std::filesystem::path dir_;
  std::string host_;
  int port_;
  std::string domain_;
  std::mutex mutex_;  // one config change and reload at a time
};

// The site config for one (app, env); exposed for tests.
std::string render_site(const std::string& app, const std::string& env, const std::string& server_name,
                        const std::string& listen, const std::vector<int>& ports, const config::ProxyTimeouts& timeouts);

}  // namespace porter::proxy
