#include "ssh/connection_limits.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace porter::ssh {
namespace {

using Clock = ConnectionLimits::Clock;
using Over = ConnectionLimits::Over;
using Ticket = ConnectionLimits::Ticket;

TEST(ConnectionLimits, CapsPreauthPerAddress) {
  ConnectionLimits limits({.preauth_total = 100, .preauth_per_address = 2, .sessions_per_key = 20});
  auto a = limits.try_admit("10.0.0.1");
  auto b = limits.try_admit("10.0.0.1");
  ASSERT_TRUE(a.ticket && b.ticket);
  auto c = limits.try_admit("10.0.0.1");
  EXPECT_FALSE(c.ticket);
  EXPECT_EQ(c.over, Over::address);
  EXPECT_EQ(c.cap, 2u);
  EXPECT_TRUE(limits.try_admit("10.0.0.2").ticket);  // another address is not held back
  EXPECT_EQ(limits.preauth_from("10.0.0.1"), 2u);
}

TEST(ConnectionLimits, CapsPreauthInAll) {
  ConnectionLimits limits({.preauth_total = 3, .preauth_per_address = 10, .sessions_per_key = 20});
  std::vector<Ticket> held;
  for (const auto* address : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) held.push_back(*limits.try_admit(address).ticket);
  auto refused = limits.try_admit("10.0.0.4");
  EXPECT_FALSE(refused.ticket);
  EXPECT_EQ(refused.over, Over::total);
  EXPECT_EQ(refused.cap, 3u);
  EXPECT_EQ(limits.preauth(), 3u);
}

TEST(ConnectionLimits, AuthenticatingOrClosingFreesThePreauthPlace) {
  ConnectionLimits limits({.preauth_total = 2, .preauth_per_address = 1, .sessions_per_key = 20});
  auto first = std::move(*limits.try_admit("10.0.0.1").ticket);
  EXPECT_FALSE(limits.try_admit("10.0.0.1").ticket);
  EXPECT_TRUE(first.authenticated("SHA256:alice"));
  EXPECT_EQ(limits.preauth(), 0u);
  EXPECT_EQ(limits.sessions_of("SHA256:alice"), 1u);
  auto second = limits.try_admit("10.0.0.1");
  ASSERT_TRUE(second.ticket);
  second.ticket->closed();
  second.ticket->closed();  // idempotent
  EXPECT_EQ(limits.preauth(), 0u);
  EXPECT_EQ(limits.preauth_from("10.0.0.1"), 0u);
  { auto third = limits.try_admit("10.0.0.1"); }  // destroyed: closed
  EXPECT_EQ(limits.preauth(), 0u);
  first.closed();
  EXPECT_EQ(limits.sessions_of("SHA256:alice"), 0u);
}

TEST(ConnectionLimits, CapsSessionsPerKey) {
  ConnectionLimits limits({.preauth_total = 100, .preauth_per_address = 100, .sessions_per_key = 2});
  std::vector<Ticket> sessions;
  for (int i = 0; i < 2; ++i) {
    sessions.push_back(*limits.try_admit("10.0.0.1").ticket);
    EXPECT_TRUE(sessions.back().authenticated("SHA256:alice"));
  }
  auto over = std::move(*limits.try_admit("10.0.0.1").ticket);
  EXPECT_FALSE(over.authenticated("SHA256:alice"));
  EXPECT_EQ(over.sessions_per_key(), 2u);
  EXPECT_EQ(limits.preauth(), 0u);  // refused, but no longer pre-auth either
  EXPECT_EQ(limits.sessions_of("SHA256:alice"), 2u);
  over.closed();
  EXPECT_EQ(limits.sessions_of("SHA256:alice"), 2u);  // it held no slot
  auto bob = std::move(*limits.try_admit("10.0.0.1").ticket);
  EXPECT_TRUE(bob.authenticated("SHA256:bob"));  // another key has its own cap
  sessions.pop_back();
  EXPECT_EQ(limits.sessions_of("SHA256:alice"), 1u);
  auto again = std::move(*limits.try_admit("10.0.0.1").ticket);
  EXPECT_TRUE(again.authenticated("SHA256:alice"));
}

TEST(ConnectionLimits, MovedTicketsCountOnce) {
  ConnectionLimits limits({.preauth_total = 10, .preauth_per_address = 10, .sessions_per_key = 20});
  Ticket moved;
  {
    auto admitted = std::move(*limits.try_admit("10.0.0.1").ticket);
    moved = std::move(admitted);
    EXPECT_EQ(moved.address(), "10.0.0.1");
  }
  EXPECT_EQ(limits.preauth(), 1u);
  moved = Ticket();
  EXPECT_EQ(limits.preauth(), 0u);
}

TEST(ConnectionLimits, LogsRefusalsOncePerAddressPerInterval) {
  ConnectionLimits limits({.preauth_total = 100, .preauth_per_address = 1, .sessions_per_key = 20});
  const auto t0 = Clock::now();
  auto held1 = limits.try_admit("10.0.0.1", t0);
  auto held2 = limits.try_admit("10.0.0.2", t0);
  auto first = limits.try_admit("10.0.0.1", t0);
  EXPECT_TRUE(first.log);
  EXPECT_EQ(first.unlogged, 0u);
  for (int i = 0; i < 999; ++i) EXPECT_FALSE(limits.try_admit("10.0.0.1", t0 + std::chrono::seconds(1)).log);
  EXPECT_TRUE(limits.try_admit("10.0.0.2", t0 + std::chrono::seconds(1)).log);  // each address its own line
  const auto later = limits.try_admit("10.0.0.1", t0 + ConnectionLimits::kLogInterval);
  EXPECT_TRUE(later.log);
  EXPECT_EQ(later.unlogged, 999u);
  EXPECT_FALSE(limits.try_admit("10.0.0.1", t0 + ConnectionLimits::kLogInterval).log);
}

TEST(ConnectionLimits, RefusalLogStaysBoundedUnderASpreadFlood) {
  ConnectionLimits limits({.preauth_total = 1, .preauth_per_address = 1, .sessions_per_key = 20});
  const auto t0 = Clock::now();
  auto held = limits.try_admit("10.0.0.1", t0);
  int logged = 0;
  for (int i = 0; i < 20000; ++i)
    logged += limits.try_admit("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256), t0).log;
  EXPECT_LE(logged, 4097);  // one line per address up to a bound, then one for all the others
  EXPECT_GE(logged, 4096);
}

TEST(ConnectionLimits, CountsRightUnderConcurrency) {
  ConnectionLimits limits({.preauth_total = 1000, .preauth_per_address = 1000, .sessions_per_key = 1000});
  std::vector<std::jthread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&limits, t] {
      for (int i = 0; i < 2000; ++i) {
        auto admitted = limits.try_admit("10.0.0." + std::to_string(t));
        if (admitted.ticket && i % 2) admitted.ticket->authenticated("SHA256:k");
      }
    });
  threads.clear();
  EXPECT_EQ(limits.preauth(), 0u);
  EXPECT_EQ(limits.sessions_of("SHA256:k"), 0u);
}

}  // namespace
}  // namespace porter::ssh
