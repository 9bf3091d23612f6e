#include "sandbox/network.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace porter::sandbox {
namespace {

TEST(PortsInRules, ReadsPodmansHostPortsAndOurHostServiceRules) {
  const std::vector<std::string> rules = {
      "-P PREROUTING ACCEPT",
      "-N CNI-HOSTPORT-DNAT",
      R"(-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \"porter-shop-production\" id: \"a064\"" )"
      "-m multiport --dports 46817 -j CNI-DN-8f67ff3187f7be8db30a0",
      "-A CNI-DN-8f67ff3187f7be8db30a0 -p tcp -m tcp --dport 46817 -j DNAT --to-destination 10.89.3.2:5000",
      "-A PREROUTING -i cni-podman9 -p tcp -m tcp --dport 40311 -m addrtype --dst-type LOCAL -j DNAT "
      "--to-destination 127.0.0.1:40311",
  };
  EXPECT_EQ(ports_in_rules(rules), (std::set<int>{40311, 46817}));
}

TEST(PortsInRules, ReadsListsAndRanges) {
  EXPECT_EQ(ports_in_rules({"-A X -p tcp -m multiport --dports 80,443,8000:8002 -j RETURN"}),
            (std::set<int>{80, 443, 8000, 8001, 8002}));
  EXPECT_EQ(ports_in_rules({"-A X -p tcp -m multiport --dports 32768:60999 -j RETURN"}).size(), 60999u - 32768u + 1);
}

TEST(PortsInRules, IgnoresWhatIsNotAPort) {
  EXPECT_TRUE(ports_in_rules({"-A X -p tcp --dport", "-A X --dport abc", "-A X --dports 0,70000,9:3",
                              "-A X --sport 22 -j ACCEPT"})
                  .empty());
}

TEST(UnclaimedPort, HandsOutNoPortTwice) {
  std::set<int> seen;
  for (int i = 0; i < 200; ++i) {
    const int port = unclaimed_port();
    ASSERT_GT(port, 0);
    EXPECT_TRUE(seen.insert(port).second) << "port " << port << " handed out twice";
  }
}

}  // namespace
}  // namespace porter::sandbox
