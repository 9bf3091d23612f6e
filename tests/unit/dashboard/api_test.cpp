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
  EXPECT_EQ(match_route("POST", "/api/v1/apps/shop/environments/staging/resize").kind, RouteKind::resize);
  EXPECT_EQ(match_route("GET", "/api/v1/apps/shop/environments/staging/resize").kind, RouteKind::method_not_allowed);
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

TEST(HealthOf, CountsRunningReplicasAgainstTheWantedOnes) {
  const auto replica = [](const std::string& state) { return cluster::ReplicaStatus{"web.0", state, 0, 0, ""}; };
  EXPECT_EQ(health_of({replica("running"), replica("running")}, 2).summary, "healthy");
  const auto degraded = health_of({replica("running"), replica("restarting")}, 2);
  EXPECT_EQ(degraded.summary, "degraded");
  EXPECT_EQ(degraded.ready, 1);
  EXPECT_EQ(degraded.wanted, 2);
  EXPECT_EQ(health_of({replica("running")}, 2).summary, "degraded") << "a replica the engine does not know";
  EXPECT_EQ(health_of({replica("exited"), replica("pending")}, 2).summary, "down");
  EXPECT_EQ(health_of({}, 0).summary, "none");
}

TEST(ResizeWords, AreThoseOfPsResize) {
  using Words = std::vector<std::string>;
  auto words = resize_words(nlohmann::json::parse(R"({"service": "web", "cpu": "0.5", "memory": "512M"})"));
  ASSERT_TRUE(words);
  EXPECT_EQ(*words, (Words{"web", "--cpu", "0.5", "--memory", "512M"}));
  words = resize_words(nlohmann::json::parse(R"({"memory": "256M", "service": "worker"})"));
  ASSERT_TRUE(words);
  EXPECT_EQ(*words, (Words{"worker", "--memory", "256M"}));
  words = resize_words(nlohmann::json::parse(R"({"service": "web", "cpu": 0.25})"));
  ASSERT_TRUE(words);
  EXPECT_EQ(*words, (Words{"web", "--cpu", "0.25"}));
}

TEST(ResizeWords, RefuseBadValuesInOneLine) {
  for (const auto* bad : {R"({"service": "web", "memory": "lots"})", R"({"service": "web", "memory": "1K"})",
                          R"({"service": "web", "cpu": "-1"})", R"({"service": "web"})", R"({"cpu": "0.5"})",
                          R"({"service": "Web!", "cpu": "0.5"})", R"({"service": "web", "cpu": "0.5", "disk": "1G"})",
                          R"({"service": "web", "memory": ["512M"]})", "{}"}) {
    const auto refused = resize_words(nlohmann::json::parse(bad));
    EXPECT_FALSE(refused) << bad;
    if (!refused) {
      EXPECT_FALSE(refused.error().message.empty());
      EXPECT_EQ(refused.error().message.find('\n'), std::string::npos);
    }
  }
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
