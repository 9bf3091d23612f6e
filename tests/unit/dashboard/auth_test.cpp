#include "dashboard/auth.hpp"

#include <gtest/gtest.h>

namespace porter::dashboard {
namespace {

using namespace std::chrono_literals;

// A clock the test moves by hand.
struct FakeClock {
  Auth::Clock::time_point now = Auth::Clock::time_point(1000h);
  Auth::Now function() {
    return [this] { return now; };
  }
};

ssh::Identity key(const std::string& name) { return {name, std::nullopt, std::set<std::string>{"staging"}}; }

TEST(RandomHex, IsHexOfTheAskedLengthAndDiffers) {
  const auto a = random_hex(32), b = random_hex(32);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(SameSecret, ComparesWholeStrings) {
  EXPECT_TRUE(same_secret("abc", "abc"));
  EXPECT_FALSE(same_secret("abc", "abd"));
  EXPECT_FALSE(same_secret("abc", "ab"));
  EXPECT_FALSE(same_secret("", "a"));
}

TEST(Auth, LoginTokenOpensOneSessionWithTheKeysIdentity) {
  FakeClock clock;
  Auth auth(60s, 12h, clock.function());
  const auto token = auth.mint_login(key("alice"));
  EXPECT_EQ(token.size(), 64u);
  auto session = auth.redeem(token);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->who.name, "alice");
  ASSERT_TRUE(session->who.environments);
  EXPECT_EQ(*session->who.environments, std::set<std::string>{"staging"});
  EXPECT_NE(session->id, session->csrf);
  EXPECT_EQ(session->csrf.size(), 64u);
  ASSERT_TRUE(auth.session(session->id));
  EXPECT_EQ(auth.session(session->id)->who.name, "alice");
}

TEST(Auth, LoginTokenWorksOnce) {
  FakeClock clock;
  Auth auth(60s, 12h, clock.function());
  const auto token = auth.mint_login(key("alice"));
  EXPECT_TRUE(auth.redeem(token));
  EXPECT_FALSE(auth.redeem(token));
}

TEST(Auth, ExpiredLoginTokenIsRefusedAndConsumed) {
  FakeClock clock;
  Auth auth(60s, 12h, clock.function());
  const auto token = auth.mint_login(key("alice"));
  clock.now += 61s;
  EXPECT_FALSE(auth.redeem(token));
  clock.now -= 61s;
  EXPECT_FALSE(auth.redeem(token));
}

TEST(Auth, UnknownTokensAndSessionsAreRefused) {
  Auth auth(60s, 12h);
  EXPECT_FALSE(auth.redeem(""));
  EXPECT_FALSE(auth.redeem(std::string(64, 'a')));
  EXPECT_FALSE(auth.session(""));
  EXPECT_FALSE(auth.session("nope"));
}

TEST(Auth, SessionExpires) {
  FakeClock clock;
  Auth auth(60s, 12h, clock.function());
  const auto session = auth.redeem(auth.mint_login(key("alice")));
  ASSERT_TRUE(session);
  clock.now += 11h;
  EXPECT_TRUE(auth.session(session->id));
  clock.now += 1h;
  EXPECT_FALSE(auth.session(session->id));
}

TEST(Auth, LogoutAllEndsOnlyThatKeysSessions) {
  Auth auth(60s, 12h);
  const auto a1 = auth.redeem(auth.mint_login(key("alice")));
  const auto a2 = auth.redeem(auth.mint_login(key("alice")));
  const auto b = auth.redeem(auth.mint_login(key("bob")));
  const auto pending = auth.mint_login(key("alice"));
  EXPECT_EQ(auth.revoke_all("alice"), 2u);
  EXPECT_FALSE(auth.session(a1->id));
  EXPECT_FALSE(auth.session(a2->id));
  EXPECT_TRUE(auth.session(b->id));
  EXPECT_FALSE(auth.redeem(pending));  // a link minted before the logout is void too
  EXPECT_EQ(auth.revoke_all("alice"), 0u);
}

TEST(Auth, PendingLoginsAreBounded) {
  Auth auth(60s, 12h);
  const auto first = auth.mint_login(key("alice"));
  for (std::size_t i = 0; i < Auth::kMaxPending; ++i) auth.mint_login(key("alice"));
  EXPECT_FALSE(auth.redeem(first));
}

}  // namespace
}  // namespace porter::dashboard
