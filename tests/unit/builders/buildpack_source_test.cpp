#include "builders/buildpack_source.hpp"

#include <gtest/gtest.h>

namespace porter::builders {
namespace {

BuildpackSource parse_ok(const std::string& spec) {
  auto parsed = parse_buildpack_spec(spec);
  EXPECT_TRUE(parsed) << spec;
  return parsed.value_or(BuildpackSource{});
}

TEST(BuildpackSpec, BuiltInPathAndGit) {
  auto builtin = parse_ok("nodejs");
  EXPECT_EQ(builtin.kind, BuildpackSource::Kind::builtin);
  auto path = parse_ok("/srv/buildpacks/ruby");
  EXPECT_EQ(path.kind, BuildpackSource::Kind::path);
  EXPECT_EQ(path.name, "ruby");
  auto git = parse_ok("https://example.com/acme/heroku-buildpack-go.git#v1.2");
  EXPECT_EQ(git.kind, BuildpackSource::Kind::git);
  EXPECT_EQ(git.location, "https://example.com/acme/heroku-buildpack-go.git");
  EXPECT_EQ(git.ref, "v1.2");
  EXPECT_EQ(git.name, "heroku-buildpack-go");
  auto unpinned = parse_ok("file:///srv/git/bp.git");
  EXPECT_EQ(unpinned.ref, "");
}

TEST(BuildpackSpec, RejectsAnythingElse) {
  for (const auto* spec : {"", "Node", "../x", "/srv/../etc", "relative/path", "https://x/y#bad ref", "nodejs; id",
                           "https://host/a b"})
    EXPECT_FALSE(parse_buildpack_spec(spec)) << spec;
}

TEST(AutoBuildpacks, AptRunsBeforeTheFirstLanguageThatDetects) {
  EXPECT_EQ(auto_buildpacks({"apt", "procfile", "python"}), (std::vector<std::string>{"apt", "python"}));
  EXPECT_EQ(auto_buildpacks({"nodejs", "static", "procfile"}), (std::vector<std::string>{"nodejs"}));
  EXPECT_EQ(auto_buildpacks({"procfile"}), (std::vector<std::string>{"procfile"}));
  EXPECT_EQ(auto_buildpacks({"apt"}), (std::vector<std::string>{"apt"}));
  EXPECT_TRUE(auto_buildpacks({}).empty());
}

}  // namespace
}  // namespace porter::builders
