#include "dashboard/api.hpp"

#include <gtest/gtest.h>

namespace porter::dashboard {
namespace {

TEST(MatchRoute, ApiResources) {
  EXPECT_EQ(match_route("GET", "/api/v1/session").kind, RouteKind::session);
  EXPECT_EQ(match_route("GET", "/api/v1/apps").kind, RouteKind::apps);
  auto route = match_route("GET", "/api/v1/apps/shop/environments/staging");
  EXPECT_EQ(route.kind, RouteKind::environment);
  EXPECT_EQ(route.app, "shop");
  EXPECT_EQ(route.env, "staging");
  EXPECT_EQ(match_route("GET", "/api/v1/apps/shop/environments/staging/releases").kind, RouteKind::releases);
  EXPECT_EQ(match_route("POST", "/api/v1/apps/shop/environments/staging/rollback").kind, RouteKind::rollback);
  EXPECT_EQ(match_route("GET", "/api/v1/apps/shop/environments/staging/config").kind, RouteKind::config);
  EXPECT_EQ(match_route("PATCH", "/api/v1/apps/shop/environments/staging/config").kind, RouteKind::config_change);
  route = match_route("GET", "/api/v1/apps/shop/environments/staging/config/DATABASE_URL");
  EXPECT_EQ(route.kind, RouteKind::config_key);
  EXPECT_EQ(route.key, "DATABASE_URL");
  EXPECT_EQ(match_route("GET", "/api/v1/apps/shop/environments/staging/deploys").kind, RouteKind::deploys);
  EXPECT_EQ(match_route("GET", "/api/v1/apps/shop/environments/staging/logs").kind, RouteKind::logs);
  EXPECT_EQ(match_route("GET", "/api/v1/apps/shop/environments/staging/metrics").kind, RouteKind::metrics);
  EXPECT_EQ(match_route("POST", "/api/v1/apps/shop/environments/staging/scale").kind, RouteKind::scale);
  route = match_route("GET", "/api/v1/deploys/41/log");
  EXPECT_EQ(route.kind, RouteKind::deploy_log);
  EXPECT_EQ(route.deploy_id, 41);
}

TEST(MatchRoute, WrongMethodsAndUnknownPaths) {
  EXPECT_EQ(match_route("POST", "/api/v1/apps").kind, RouteKind::method_not_allowed);
  EXPECT_EQ(match_route("GET", "/api/v1/apps/shop/environments/staging/rollback").kind, RouteKind::method_not_allowed);
  EXPECT_EQ(match_route("DELETE", "/api/v1/apps/shop/environments/staging/config").kind, RouteKind::method_not_allowed);
  EXPECT_EQ(match_route("GET", "/api/v1/nothing").kind, RouteKind::not_found);
  EXPECT_EQ(match_route("GET", "/api/v2/apps").kind, RouteKind::not_found);
  EXPECT_EQ(match_route("GET", "/api/v1/deploys/x1/log").kind, RouteKind::not_found);
  EXPECT_EQ(match_route("GET", "/api/v1/apps/shop/environments/staging/config/A/B").kind, RouteKind::not_found);
}

TEST(MatchRoute, DecodesSegmentsButNeverIntoSlashes) {
  EXPECT_EQ(match_route("GET", "/api/v1/apps/sh%6Fp/environments/staging").app, "shop");
  EXPECT_EQ(match_route("GET", "/api/v1/apps/a%2Fb/environments/staging").kind, RouteKind::not_found);
  EXPECT_EQ(match_route("GET", "/api/v1/apps/a%zz/environments/staging").kind, RouteKind::not_found);
}

TEST(MatchRoute, LoginAndAssets) {
  auto route = match_route("GET", "/login/abc123");
  EXPECT_EQ(route.kind, RouteKind::login);
  EXPECT_EQ(route.token, "abc123");
  EXPECT_FALSE(route.is_api());
  EXPECT_EQ(match_route("POST", "/login/abc123").kind, RouteKind::method_not_allowed);
  EXPECT_EQ(match_route("GET", "/").kind, RouteKind::asset);
  EXPECT_EQ(match_route("GET", "/assets/app.js").kind, RouteKind::asset);
}

TEST(ParseJsonObject, AcceptsObjectsOnly) {
  auto parsed = parse_json_object(R"({"version": 3})");
  ASSERT_TRUE(parsed);
  EXPECT_EQ((*parsed)["version"], 3);
  for (const auto* bad : {"", "{", "{\"a\": }", "[1, 2]", "3", "\"text\"", "{\"a\": 1} trailing"}) {
    auto refused = parse_json_object(bad);
    EXPECT_FALSE(refused) << bad;
    if (!refused) {
      EXPECT_EQ(refused.error().message.find('\n'), std::string::npos);
    }
  }
}

TEST(ChangesState, OnlyReadsAreExempt) {
  EXPECT_FALSE(changes_state("GET"));
  EXPECT_FALSE(changes_state("HEAD"));
  EXPECT_TRUE(changes_state("POST"));
  EXPECT_TRUE(changes_state("PATCH"));
  EXPECT_TRUE(changes_state("DELETE"));
}

TEST(Request, CookiesAndQueries) {
  Request request;
  request.headers["cookie"] = "other=1; porter_session=abc; x=y";
  EXPECT_EQ(request.cookie("porter_session"), "abc");
  EXPECT_EQ(request.cookie("missing"), "");
  auto query = parse_query("service=web&tail=100&q=a%20b+c");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->at("service"), "web");
  EXPECT_EQ(query->at("tail"), "100");
  EXPECT_EQ(query->at("q"), "a b c");
  EXPECT_FALSE(parse_query("a=%4"));
  EXPECT_FALSE(percent_decode("%", false));
  EXPECT_EQ(*percent_decode("a+b", false), "a+b");
}

}  // namespace
}  // namespace porter::dashboard
