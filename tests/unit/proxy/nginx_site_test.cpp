#include "proxy/nginx_proxy.hpp"

#include <gtest/gtest.h>

namespace porter::proxy {
namespace {

TEST(NginxSite, RoutesTheHostNameToEveryReplicaWithTheAppsTimeouts) {
  config::ProxyTimeouts timeouts{std::chrono::seconds(3), std::chrono::seconds(30), std::chrono::seconds(120)};
  auto site = render_site("my-shop", "production", "production.my-shop.localhost", "127.0.0.1:8080",
                          {41001, 41002, 41003}, timeouts);
  EXPECT_NE(site.find("upstream porter_my_shop__production {"), std::string::npos) << site;
  for (int port : {41001, 41002, 41003})
    EXPECT_NE(site.find("server 127.0.0.1:" + std::to_string(port) + " "), std::string::npos) << site;
  EXPECT_NE(site.find("server_name production.my-shop.localhost;"), std::string::npos);
  EXPECT_NE(site.find("listen 127.0.0.1:8080;"), std::string::npos);
  EXPECT_NE(site.find("proxy_connect_timeout 3s;"), std::string::npos);
  EXPECT_NE(site.find("proxy_send_timeout 30s;"), std::string::npos);
  EXPECT_NE(site.find("proxy_read_timeout 120s;"), std::string::npos);
  EXPECT_NE(site.find("proxy_pass http://porter_my_shop__production;"), std::string::npos);
}

}  // namespace
}  // namespace porter::proxy
