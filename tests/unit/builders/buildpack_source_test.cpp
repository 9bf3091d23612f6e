#include "builders/buildpack_source.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace porter::builders {
namespace {

namespace fs = std::filesystem;

const BuildpackPolicy kPolicy{"/opt/porter/buildpacks", {"github.com", "gitlab.com", "git.example.org:8443"}};

BuildpackSource parse_ok(const std::string& spec, const BuildpackPolicy& policy = kPolicy) {
  auto parsed = parse_buildpack_spec(spec, policy);
  EXPECT_TRUE(parsed) << spec << ": " << (parsed ? "" : parsed.error().message);
  return parsed.value_or(BuildpackSource{});
}

std::string refusal(const std::string& spec, const BuildpackPolicy& policy = kPolicy) {
  auto parsed = parse_buildpack_spec(spec, policy);
  EXPECT_FALSE(parsed) << "accepted: " << spec;
  if (parsed) return "(accepted)";
  EXPECT_EQ(parsed.error().message.find('\n'), std::string::npos);
  return parsed.error().message;
}

TEST(BuildpackSpec, ALongEntryIsRefusedBeforeAnyPattern) {
  auto refused = parse_buildpack_spec("https://github.com/" + std::string(60000, 'a'), kPolicy);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "a build.buildpacks entry is at most 1024 characters");
}

TEST(BuildpackSpec, BuiltIns) {
  auto builtin = parse_ok("nodejs");
  EXPECT_EQ(builtin.kind, BuildpackSource::Kind::builtin);
  EXPECT_EQ(builtin.location, "nodejs");
  EXPECT_EQ(builtin.name, "nodejs");
}

TEST(BuildpackSpec, ServerPathsBeneathTheBuildpacksDir) {
  auto path = parse_ok("/opt/porter/buildpacks/ruby");
  EXPECT_EQ(path.kind, BuildpackSource::Kind::path);
  EXPECT_EQ(path.location, "/opt/porter/buildpacks/ruby");
  EXPECT_EQ(path.name, "ruby");
  EXPECT_EQ(parse_ok("/opt/porter/buildpacks/team/./go/").location, "/opt/porter/buildpacks/team/go");
  EXPECT_EQ(parse_ok("/opt/porter/buildpacks/a/../b").location, "/opt/porter/buildpacks/b");  // still beneath
  EXPECT_EQ(parse_ok("/opt/porter/buildpacks/ruby", {"/opt/porter/buildpacks/", {}}).name, "ruby");
}

TEST(BuildpackSpec, RefusesServerPathsElsewhere) {
  const std::string outside = "is not beneath the gateway's buildpacks_dir (/opt/porter/buildpacks)";
  for (const auto* spec : {"/srv/buildpacks/ruby", "/opt/porter/buildpacks", "/opt/porter/buildpacks/",
                           "/opt/porter/buildpacks-other/x", "/opt/porter/buildpacks/../../../etc",
                           "/opt/porter/buildpacks/x/../..", "/", "/etc"})
    EXPECT_EQ(refusal(spec), "build.buildpacks: '" + std::string(spec) + "' " + outside) << spec;
  EXPECT_EQ(refusal("/opt/porter/buildpacks/a b"),
            "build.buildpacks: '/opt/porter/buildpacks/a b' is not a valid server path (letters, digits and . _ / - "
            "only)");
  EXPECT_EQ(refusal("/opt/porter/buildpacks/ruby", {"", {}}),
            "build.buildpacks: '/opt/porter/buildpacks/ruby' is not beneath the gateway's buildpacks_dir ()");
}

TEST(BuildpackSpec, HttpsGitUrlsFromAllowedHosts) {
  auto git = parse_ok("https://github.com/acme/heroku-buildpack-go.git#v1.2");
  EXPECT_EQ(git.kind, BuildpackSource::Kind::git);
  EXPECT_EQ(git.location, "https://github.com/acme/heroku-buildpack-go.git");
  EXPECT_EQ(git.ref, "v1.2");
  EXPECT_EQ(git.name, "heroku-buildpack-go");
  auto unpinned = parse_ok("https://gitlab.com/group/sub/bp");
  EXPECT_EQ(unpinned.ref, "");
  EXPECT_EQ(unpinned.name, "bp");
  EXPECT_EQ(parse_ok("https://GitHub.com:443/a/b.git").location, "https://GitHub.com:443/a/b.git");  // any port
  EXPECT_EQ(parse_ok("https://git.example.org:8443/a/b.git").kind, BuildpackSource::Kind::git);
  EXPECT_EQ(parse_ok("https://github.com/a/b.git#release/2024.1_x-y").ref, "release/2024.1_x-y");
  EXPECT_EQ(parse_ok("https://github.com/a/b.git#0123abcd").ref, "0123abcd");
  EXPECT_EQ(parse_ok("https://github.com/a/..").name, "buildpack");  // never a directory name like '..'
}

TEST(BuildpackSpec, RefusesEveryOtherScheme) {
  const std::string https_only = "porter fetches git buildpacks only over https://";
  const std::pair<const char*, const char*> cases[] = {
      {"file:///srv/porter/repos/othershop.git", "file"}, {"FILE:///etc", "file"},
      {"ssh://git@github.com/a/b.git", "ssh"},            {"http://github.com/a/b.git", "http"},
      {"git://github.com/a/b.git", "git"},                {"ftp://github.com/a/b.git", "ftp"},
      {"git+ssh://github.com/a/b.git", "git+ssh"}};
  for (const auto& [spec, scheme] : cases)
    EXPECT_EQ(refusal(spec), "build.buildpacks: '" + std::string(spec) + "': " + scheme + ":// is not allowed; " +
                                 https_only);
  EXPECT_EQ(refusal("git@github.com:acme/bp.git"),
            "build.buildpacks: 'git@github.com:acme/bp.git' is an SSH address; " + https_only);
  EXPECT_EQ(refusal("github.com:acme/bp.git"),
            "build.buildpacks: 'github.com:acme/bp.git' is an SSH address; " + https_only);
  EXPECT_EQ(refusal("ext::sh -c touch% /tmp/pwned"),
            "build.buildpacks: 'ext::sh -c touch% /tmp/pwned': git's transport::address form is not allowed; " +
                https_only);
}

TEST(BuildpackSpec, RefusesHostsNotAllowed) {
  EXPECT_EQ(refusal("https://evil.example/a/b.git"),
            "build.buildpacks: host 'evil.example' of https://evil.example/a/b.git is not in gateway.yaml "
            "buildpack_hosts (github.com, gitlab.com, git.example.org:8443)");
  EXPECT_EQ(refusal("https://git.example.org/a/b.git"),  // only its port 8443 is allowed
            "build.buildpacks: host 'git.example.org' of https://git.example.org/a/b.git is not in gateway.yaml "
            "buildpack_hosts (github.com, gitlab.com, git.example.org:8443)");
  EXPECT_NE(refusal("https://127.0.0.1:5000/v2/x").find("host '127.0.0.1:5000'"), std::string::npos);
  EXPECT_NE(refusal("https://github.com.evil.example/a/b").find("host 'github.com.evil.example'"),
            std::string::npos);
  EXPECT_EQ(refusal("https://github.com/a/b.git", {"/opt/porter/buildpacks", {}}),
            "build.buildpacks: host 'github.com' of https://github.com/a/b.git is not in gateway.yaml "
            "buildpack_hosts, which is empty: this gateway fetches no git buildpacks");
  // The host is the one git would contact: no user part can hide another.
  EXPECT_EQ(refusal("https://github.com@evil.example/a/b.git"),
            "build.buildpacks: 'https://github.com@evil.example/a/b.git': a user name or password in a buildpack URL "
            "is not allowed");
  EXPECT_NE(refusal("https://user:token@github.com/a/b.git").find("user name or password"), std::string::npos);
}

TEST(BuildpackSpec, RefusesMalformedUrls) {
  for (const auto* spec : {"https://", "https://github.com", "https://github.com/", "https://github.com/a b",
                           "https://github.com/a?b=c", "https://github.com:99999/a", "https://github.com:/a",
                           "https://[::1]/a", "https://github.com/a\"b", "https://github.com/a\\b"})
    EXPECT_EQ(refusal(spec), "build.buildpacks: '" + std::string(spec) + "' is not a valid https:// git URL") << spec;
}

TEST(BuildpackSpec, RefusesRefsGitCouldTakeForOptions) {
  EXPECT_EQ(refusal("https://github.com/x/y.git#--upload-pack=touch /tmp/pwned"),
            "build.buildpacks: ref '--upload-pack=touch /tmp/pwned' of https://github.com/x/y.git starts with '-'; git "
            "would take it for an option");
  EXPECT_EQ(refusal("https://github.com/x/y.git#-b"),
            "build.buildpacks: ref '-b' of https://github.com/x/y.git starts with '-'; git would take it for an "
            "option");
  EXPECT_EQ(refusal("https://github.com/x/y.git#v1;id"),
            "build.buildpacks: ref 'v1;id' of https://github.com/x/y.git may hold only letters, digits and . _ / -");
  for (const auto* spec : {"https://github.com/x/y.git#v1 x", "https://github.com/x/y.git#v1$(id)",
                           "https://github.com/x/y.git#a#b", "https://github.com/x/y.git#HEAD@{1}",
                           "https://github.com/x/y.git#v1^{tree}"})
    EXPECT_NE(refusal(spec).find("may hold only letters, digits and . _ / -"), std::string::npos) << spec;
  EXPECT_EQ(refusal("https://github.com/x/y.git#a..b"),
            "build.buildpacks: ref 'a..b' of https://github.com/x/y.git may not contain '..'");
  EXPECT_EQ(refusal("https://github.com/x/y.git#"), "build.buildpacks: https://github.com/x/y.git# has an empty ref");
  // A bad ref is refused before the host is looked at.
  EXPECT_NE(refusal("https://evil.example/x.git#--upload-pack=x").find("starts with '-'"), std::string::npos);
}

TEST(BuildpackSpec, RefusesAnythingElse) {
  for (const auto* spec : {"", "Node", "../x", "relative/path", "nodejs; id", "node js", "-x"})
    EXPECT_TRUE(refusal(spec).ends_with(
        "is not a built-in name, a server path beneath the gateway's buildpacks_dir (/opt/porter/buildpacks) or an "
        "https:// git URL"))
        << spec;
}

// ---- the real path of a server buildpack ----

class ServerBuildpackTest : public ::testing::Test {
 protected:
  ServerBuildpackTest() {
    make_buildpack(root() / "nodejs");
    make_buildpack(dir_ / "elsewhere");
  }
  fs::path root() const { return dir_ / "buildpacks"; }
  static void make_buildpack(const fs::path& dir) {
    for (const auto* script : {"detect", "compile"}) test::write_file(dir / "bin" / script, "#!/bin/sh\n", true);
  }
  Result<fs::path> resolve(const std::string& spec) {
    auto source = parse_buildpack_spec(spec, {root(), {}});
    if (!source) return std::unexpected(source.error());
    return server_buildpack_dir(*source, root());
  }

  test::TempDir dir_{"buildpacks"};
};

TEST_F(ServerBuildpackTest, ResolvesBuiltInsAndPathsToTheirRealDirectory) {
  auto builtin = resolve("nodejs");
  ASSERT_TRUE(builtin) << builtin.error().message;
  EXPECT_EQ(*builtin, fs::canonical(root() / "nodejs"));
  auto path = resolve((root() / "nodejs").string());
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, *builtin);
  fs::create_directory_symlink("nodejs", root() / "node");  // a link that stays inside is fine
  auto linked = resolve("node");
  ASSERT_TRUE(linked) << linked.error().message;
  EXPECT_EQ(*linked, *builtin);
}

TEST_F(ServerBuildpackTest, RefusesALinkOutOfTheBuildpacksDir) {
  fs::create_directory_symlink(dir_ / "elsewhere", root() / "escape");
  for (const auto& spec : {std::string("escape"), (root() / "escape").string()}) {
    auto resolved = resolve(spec);
    ASSERT_FALSE(resolved) << spec;
    EXPECT_EQ(resolved.error().message,
              "buildpack '" + spec + "' leads out of the gateway's buildpacks_dir through a symbolic link");
  }
}

TEST_F(ServerBuildpackTest, NeedsDetectAndCompile) {
  fs::create_directories(root() / "empty");
  for (const auto* spec : {"empty", "missing"}) {
    auto resolved = resolve(spec);
    ASSERT_FALSE(resolved) << spec;
    EXPECT_EQ(resolved.error().message,
              "buildpack '" + std::string(spec) + "' not found (needs bin/detect and bin/compile)");
  }
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
