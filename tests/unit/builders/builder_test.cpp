// The builders' failure paths, with a fake `buildah` first on PATH: each
// failure must stop the build with its one line (e2e tests grep them), and a
// buildpacks build must remove its container however it ends.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "builders/builder.hpp"
#include "builders/buildpack_source.hpp"
#include "builders/buildpacks_builder.hpp"
#include "builders/dockerfile_builder.hpp"
#include "util/file.hpp"

namespace porter::builders {
namespace {

namespace fs = std::filesystem;

class BuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "porter-builder-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    for (const auto& sub : {"bin", "src", "work", "cache", "buildpacks"}) fs::create_directories(dir_ / sub);
    old_path_ = std::getenv("PATH");
    ::setenv("PATH", ((dir_ / "bin").string() + ":" + old_path_).c_str(), 1);
  }
  void TearDown() override {
    ::setenv("PATH", old_path_.c_str(), 1);
    fs::remove_all(dir_);
  }

  // A `buildah` that logs its arguments, one call a line, then runs `body`.
  // The log leaves out the global options (the store, the tag, the id maps:
  // each with one value); the raw log has them.
  void fake_buildah(const std::string& body) {
    const auto script = dir_ / "bin" / "buildah";
    std::ofstream(script) << "#!/bin/sh\necho \"$*\" >> " << raw_log_file() << "\n"
                          << "while [ \"${1#--}\" != \"$1\" ]; do shift 2; done\n"
                          << "echo \"$*\" >> " << log_file() << "\n" << body << "\n";
    fs::permissions(script, fs::perms::owner_all);
  }
  fs::path log_file() const { return dir_ / "buildah.log"; }
  fs::path raw_log_file() const { return dir_ / "buildah-raw.log"; }
  std::string buildah_calls() const { return util::read_file(log_file()); }
  // Nothing was built: buildah ran at most for the cleanup's listing of
  // working containers (which every build does, however it ends).
  bool buildah_built_nothing() const {
    std::istringstream calls(buildah_calls());
    for (std::string call; std::getline(calls, call);)
      if (!call.starts_with("containers ")) return false;
    return true;
  }

  // A buildah that makes container "bp-container-1" (lists it, tagged with
  // this build's tag, until it is removed) and fails a call whose arguments
  // contain `failing` (none when empty) with `last_line`.
  std::string buildah_failing(const std::string& failing, const std::string& last_line) const {
    const auto made = (dir_ / "container-made").string();
    return "case \"$*\" in\n" +
           (failing.empty() ? std::string() : "  *'" + failing + "'*) echo '" + last_line + "'; exit 3 ;;\n") +
           "  *'from --pull=never'*) touch " + made + "; echo bp-container-1 ;;\n"
           "  'containers '*) [ ! -e " + made + " ] || echo bp-container-1 ;;\n"
           "  'inspect --type container '*) echo " + (dir_ / "work" / "buildah-mounts.conf").string() + " ;;\n"
           "  'rm bp-container-1') rm -f " + made + " ;;\n"
           "esac\nexit 0";
  }

  void write_source(const std::string& name, const std::string& text) { std::ofstream(dir_ / "src" / name) << text; }

  BuildRequest request(const config::AppConfig& app_config, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    return {dir_ / "src", app_config, "localhost/porter/shop:production-abc", timeout,
            dir_ / "cache", dir_ / "work", dir_ / "buildpacks", {{"NPM_TOKEN", "npm-token-value"}}, {}, hosts_};
  }

  Result<Build> build(const Builder& builder, const config::AppConfig& app_config,
                      std::chrono::seconds timeout = std::chrono::seconds(60)) {
    proc::CancelToken cancel;
    return builder.build(request(app_config, timeout), [&](const std::string& line) { output_.push_back(line); },
                         cancel);
  }

  fs::path dir_;
  std::string old_path_;
  std::vector<std::string> output_;
  std::vector<std::string> hosts_ = {"github.com"};  // gateway.yaml buildpack_hosts
};

std::string error_of(const Result<Build>& built) { return built ? "(no error)" : built.error().message; }

// ---- choosing a builder ----

TEST_F(BuilderTest, AutoPrefersADockerfileAndFallsBackToBuildpacks) {
  const auto registry = BuilderRegistry::with_defaults();
  config::AppConfig app_config;
  auto chosen = registry.choose(request(app_config));
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ((*chosen)->name(), "buildpacks");
  write_source("Dockerfile", "FROM scratch\n");
  chosen = registry.choose(request(app_config));
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ((*chosen)->name(), "dockerfile");
}

TEST_F(BuilderTest, ChoosingSaysWhyNothingFits) {
  const auto registry = BuilderRegistry::with_defaults();
  config::AppConfig app_config;
  app_config.build.method = "dockerfile";
  auto chosen = registry.choose(request(app_config));
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().message, "nothing to build: no Dockerfile found (tried: dockerfile)");
  app_config.build.method = "magic";
  chosen = registry.choose(request(app_config));
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().message, "no builder named 'magic'");
}

// ---- Dockerfile ----

TEST_F(BuilderTest, DockerfileBuildReportsBuildahsLastLine) {
  fake_buildah("echo 'STEP 2/2: RUN false'\necho 'Error: building at STEP \"RUN false\": exit status 1'\nexit 1");
  write_source("Dockerfile", "FROM scratch\n");
  auto built = build(DockerfileBuilder(), {});
  EXPECT_EQ(error_of(built), "build failed: Error: building at STEP \"RUN false\": exit status 1");
}

TEST_F(BuilderTest, DockerfileBuildWithoutOutputReportsTheExitCode) {
  fake_buildah("exit 2");
  write_source("Dockerfile", "FROM scratch\n");
  EXPECT_EQ(error_of(build(DockerfileBuilder(), {})), "build failed (buildah exit 2)");
}

TEST_F(BuilderTest, DockerfileBuildTimesOut) {
  fake_buildah("case \"$*\" in 'bud '*) exec sleep 30 ;; esac");  // (the cleanup's listing returns at once)
  write_source("Dockerfile", "FROM scratch\n");
  EXPECT_EQ(error_of(build(DockerfileBuilder(), {}, std::chrono::seconds(1))), "build timed out after 1 s");
}

TEST_F(BuilderTest, DockerfileBuildRetriesOnceWhenBuildahLosesALayer) {
  // The first call fails as buildah 1.28 does; the second succeeds.
  fake_buildah("if [ ! -e " + (dir_ / "retried").string() + " ]; then touch " + (dir_ / "retried").string() +
               "; echo 'Error: committing container: layer not known'; exit 1; fi");
  write_source("Dockerfile", "FROM scratch\n");
  write_source("Procfile", "web: ./server\nworker: ./work\n");
  config::AppConfig app_config;
  app_config.build.args = {{"NODE_ENV", "production"}};
  auto built = build(DockerfileBuilder(), app_config);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(built->processes, (ProcessTypes{{"web", "./server"}, {"worker", "./work"}}));
  EXPECT_EQ(built->shell, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_TRUE(built->image_has_command);
  const auto calls = buildah_calls();
  std::istringstream lines(calls);
  int buds = 0;
  for (std::string line; std::getline(lines, line);) buds += line.starts_with("bud ");
  EXPECT_EQ(buds, 2) << calls;
  EXPECT_NE(calls.find("--build-arg NODE_ENV=production"), std::string::npos) << calls;
  // A config var is a secret: never on a command line (/proc/*/cmdline).
  EXPECT_EQ(calls.find("npm-token-value"), std::string::npos) << calls;
  EXPECT_NE(std::find(output_.begin(), output_.end(),
                      "-----> buildah lost a cached layer to a concurrent image removal; building again"),
            output_.end());
}

TEST_F(BuilderTest, DockerfileBuildStopsAtABadProcfile) {
  fake_buildah("exit 0");
  write_source("Dockerfile", "FROM scratch\n");
  write_source("Procfile", "web ./server\n");
  EXPECT_EQ(error_of(build(DockerfileBuilder(), {})), "Procfile line 1: expected '<type>: <command>'");
  EXPECT_TRUE(buildah_built_nothing()) << buildah_calls();
}

// ---- buildpacks ----

void make_buildpack(const fs::path& dir) {
  fs::create_directories(dir / "bin");
  for (const auto* script : {"detect", "compile"}) std::ofstream(dir / "bin" / script) << "#!/bin/sh\n";
}

TEST_F(BuilderTest, BuildpacksBuildRunsEveryStepAndRemovesItsContainer) {
  fake_buildah(buildah_failing("", ""));
  make_buildpack(dir_ / "buildpacks" / "my-pack");
  write_source("Procfile", "web: ./server\n");
  config::AppConfig app_config;
  app_config.build.buildpacks = {(dir_ / "buildpacks" / "my-pack").string()};
  auto built = build(BuildpacksBuilder(), app_config);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(built->processes, (ProcessTypes{{"web", "./server"}}));
  EXPECT_EQ(built->shell, (std::vector<std::string>{"/usr/local/bin/porter-launch"}));
  EXPECT_FALSE(built->image_has_command);
  const auto calls = buildah_calls();
  for (const auto* step : {"from --pull=never", "copy --quiet bp-container-1", "/tmp/porter/runner compile",
                           "config --entrypoint", "commit --quiet bp-container-1 localhost/porter/shop:production-abc"})
    EXPECT_NE(calls.find(step), std::string::npos) << step << " in\n" << calls;
  EXPECT_TRUE(calls.ends_with("rm bp-container-1\n")) << calls;
}

// Pushed code never runs as host root nor in the host's namespaces.
TEST_F(BuilderTest, EveryBuildahCallUsesTheBuildStoreAndBuildsRunIsolated) {
  fake_buildah(buildah_failing("", ""));
  make_buildpack(dir_ / "buildpacks" / "my-pack");
  config::AppConfig app_config;
  app_config.build.buildpacks = {(dir_ / "buildpacks" / "my-pack").string()};
  write_source("Procfile", "web: ./server\n");
  auto built = build(BuildpacksBuilder(), app_config);
  ASSERT_TRUE(built) << built.error().message;
  write_source("Dockerfile", "FROM scratch\n");
  ASSERT_TRUE(build(DockerfileBuilder(), {}));
  std::istringstream raw(util::read_file(raw_log_file()));
  int containers_made = 0;
  for (std::string call; std::getline(raw, call);) {
    EXPECT_TRUE(call.starts_with("--root /var/lib/porter/build-store --runroot /run/porter/build-store")) << call;
    if (call.find(" bud ") == std::string::npos && call.find(" from ") == std::string::npos) continue;
    ++containers_made;
    for (const auto* option : {"--userns-uid-map 0:2000000000:65536", "--userns-gid-map 0:2000000000:65536",
                               "--pid private", "--ipc private", "--uts private", "--cgroupns private",
                               "--cap-drop CAP_SYS_CHROOT", "--cap-drop CAP_NET_RAW", "--network porter-build"})
      EXPECT_NE(call.find(option), std::string::npos) << option << " missing in " << call;
  }
  EXPECT_EQ(containers_made, 2);
}

TEST_F(BuilderTest, AFailedBuildpacksStepStopsTheBuildAndRemovesItsContainer) {
  fake_buildah(buildah_failing("runner compile", "compile: npm ERR! missing script"));
  make_buildpack(dir_ / "buildpacks" / "my-pack");
  config::AppConfig app_config;
  app_config.build.buildpacks = {(dir_ / "buildpacks" / "my-pack").string()};
  EXPECT_EQ(error_of(build(BuildpacksBuilder(), app_config)),
            "buildpack compile failed: compile: npm ERR! missing script");
  const auto calls = buildah_calls();
  EXPECT_EQ(calls.find("commit"), std::string::npos) << calls;
  EXPECT_TRUE(calls.ends_with("rm bp-container-1\n")) << calls;
}

TEST_F(BuilderTest, DetectionFailureNamesTheStep) {
  fake_buildah(buildah_failing("runner detect", "boom"));
  for (const auto* name : kAutoDetectOrder) make_buildpack(dir_ / "buildpacks" / name);
  EXPECT_EQ(error_of(build(BuildpacksBuilder(), {})), "detecting buildpacks failed: boom");
  EXPECT_TRUE(buildah_calls().ends_with("rm bp-container-1\n"));
}

TEST_F(BuilderTest, AMissingStackImageIsNamed) {
  fake_buildah("exit 1");  // neither `from` nor `inspect` finds the image
  EXPECT_EQ(error_of(build(BuildpacksBuilder(), {})),
            "the stack image localhost/porter/stack:bookworm is missing; make it with scripts/make-stack-image");
  EXPECT_EQ(buildah_calls().find("rm "), std::string::npos);  // there was no container to remove
}

TEST_F(BuilderTest, ABadBuildpackSpecStopsBeforeBuildah) {
  fake_buildah("exit 0");
  config::AppConfig app_config;
  app_config.build.buildpacks = {"Node"};
  EXPECT_EQ(error_of(build(BuildpacksBuilder(), app_config)),
            "build.buildpacks: 'Node' is not a built-in name, a server path beneath the gateway's buildpacks_dir (" +
                (dir_ / "buildpacks").string() + ") or an https:// git URL");
  EXPECT_TRUE(buildah_built_nothing()) << buildah_calls();
}

// ---- what a push brings is hostile ----

TEST_F(BuilderTest, AutoChoosesTheDockerfileBuilderForASymlinkedDockerfileWhichRefusesIt) {
  fake_buildah("exit 0");
  fs::create_symlink(dir_ / "host-canary", dir_ / "src" / "Dockerfile");
  const auto registry = BuilderRegistry::with_defaults();
  config::AppConfig app_config;
  auto chosen = registry.choose(request(app_config));
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ((*chosen)->name(), "dockerfile");  // never silently built with buildpacks
  EXPECT_EQ(error_of(build(**chosen, app_config)),
            "Dockerfile is a symbolic link; porter reads only regular files inside the repository");
  EXPECT_TRUE(buildah_built_nothing()) << buildah_calls();
}

TEST_F(BuilderTest, AutoFallsBackToBuildpacksForADirectoryNamedDockerfile) {
  fs::create_directories(dir_ / "src" / "Dockerfile");
  const auto registry = BuilderRegistry::with_defaults();
  auto chosen = registry.choose(request({}));
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ((*chosen)->name(), "buildpacks");
}

TEST_F(BuilderTest, DockerfileBuildRefusesWhatLeadsOutOfTheCheckout) {
  fake_buildah("exit 0");
  write_source("Dockerfile", "FROM scratch\n");
  fs::create_directories(dir_ / "src" / "docker");
  fs::create_directory_symlink("/", dir_ / "src" / "ctx");
  fs::create_directory_symlink("/etc", dir_ / "src" / "etc");
  fs::create_symlink("Dockerfile", dir_ / "src" / "linked.Dockerfile");
  fs::create_symlink("/etc/passwd", dir_ / "src" / "docker" / ".dockerignore");
  auto refused = [&](const std::string& dockerfile, const std::string& context) {
    config::AppConfig app_config;
    app_config.build.dockerfile = dockerfile;
    app_config.build.context = context;
    return error_of(build(DockerfileBuilder(), app_config));
  };
  EXPECT_EQ(refused("Dockerfile", "ctx"),
            "build.context: ctx is a symbolic link; porter follows no symbolic links inside the repository");
  EXPECT_EQ(refused("Dockerfile", "etc/ssl"), "build.context: etc/ssl passes through etc, a symbolic link; porter "
                                              "follows no symbolic links inside the repository");
  EXPECT_EQ(refused("linked.Dockerfile", "."),
            "linked.Dockerfile is a symbolic link; porter reads only regular files inside the repository");
  EXPECT_EQ(refused("etc/hostname", "."), "etc/hostname passes through etc, a symbolic link; porter reads only "
                                          "regular files inside the repository");
  EXPECT_EQ(refused("Dockerfile.in", "."),
            "Dockerfile.in is not supported: buildah would run the host's C preprocessor on it");
  EXPECT_EQ(refused("Dockerfile", "docker"),
            "docker/.dockerignore is a symbolic link; porter reads only regular files inside the repository");
  EXPECT_EQ(refused("Dockerfile", "missing"), "build.context: missing does not exist in the repository");
  EXPECT_TRUE(buildah_built_nothing()) << buildah_calls();
}

TEST_F(BuilderTest, ASymlinkedProcfileStopsEitherBuildBeforeBuildah) {
  fake_buildah(buildah_failing("", ""));
  write_source("Dockerfile", "FROM scratch\n");
  fs::create_symlink("/etc/shadow", dir_ / "src" / "Procfile");
  const std::string refusal = "Procfile is a symbolic link; porter reads only regular files inside the repository";
  EXPECT_EQ(error_of(build(DockerfileBuilder(), {})), refusal);
  make_buildpack(dir_ / "buildpacks" / "my-pack");
  config::AppConfig app_config;
  app_config.build.buildpacks = {(dir_ / "buildpacks" / "my-pack").string()};
  EXPECT_EQ(error_of(build(BuildpacksBuilder(), app_config)), refusal);
  EXPECT_TRUE(buildah_built_nothing()) << buildah_calls();
}

TEST_F(BuilderTest, ABuildpackCannotPointTheGatewayAtAHostFile) {
  // The buildpack's release step leaves a link where its output goes.
  const auto release = dir_ / "work" / "out" / "release" / "0-my-pack.yml";
  fake_buildah("case \"$*\" in\n  from*) echo bp-container-1 ;;\n  *'runner compile'*) mkdir -p " +
               release.parent_path().string() + "; ln -sf /etc/passwd " + release.string() + " ;;\nesac\nexit 0");
  make_buildpack(dir_ / "buildpacks" / "my-pack");
  write_source("Procfile", "web: ./server\n");
  config::AppConfig app_config;
  app_config.build.buildpacks = {(dir_ / "buildpacks" / "my-pack").string()};
  EXPECT_EQ(error_of(build(BuildpacksBuilder(), app_config)),
            "my-pack: release/0-my-pack.yml is a symbolic link; porter reads only regular files inside the build's "
            "output");
}

TEST_F(BuilderTest, ServerBuildpacksAreCopiedWithTheirLinksAsLinks) {
  fake_buildah(buildah_failing("", ""));
  const auto pack = dir_ / "buildpacks" / "my-pack";
  make_buildpack(pack);
  fs::create_symlink("/etc/shadow", pack / "shadow");
  fs::create_directory_symlink("..", pack / "loop");  // followed, a copy would never end
  write_source("Procfile", "web: ./server\n");
  config::AppConfig app_config;
  app_config.build.buildpacks = {pack.string()};
  auto built = build(BuildpacksBuilder(), app_config);
  ASSERT_TRUE(built) << built.error().message;
  const auto copy = dir_ / "work" / "buildpacks" / "0-my-pack";
  EXPECT_TRUE(fs::is_regular_file(copy / "bin" / "detect"));
  EXPECT_TRUE(fs::is_symlink(copy / "shadow"));
  EXPECT_EQ(fs::read_symlink(copy / "shadow"), "/etc/shadow");
  EXPECT_TRUE(fs::is_symlink(copy / "loop"));
}

TEST_F(BuilderTest, AServerBuildpackOutsideTheBuildpacksDirIsRefused) {
  fake_buildah("exit 0");
  make_buildpack(dir_ / "elsewhere");
  fs::create_directory_symlink(dir_ / "elsewhere", dir_ / "buildpacks" / "escape");
  config::AppConfig app_config;
  app_config.build.buildpacks = {(dir_ / "elsewhere").string()};
  EXPECT_EQ(error_of(build(BuildpacksBuilder(), app_config)),
            "build.buildpacks: '" + (dir_ / "elsewhere").string() + "' is not beneath the gateway's buildpacks_dir (" +
                (dir_ / "buildpacks").string() + ")");
  EXPECT_TRUE(buildah_built_nothing()) << buildah_calls();
  app_config.build.buildpacks = {(dir_ / "buildpacks" / "escape").string()};
  EXPECT_EQ(error_of(build(BuildpacksBuilder(), app_config)),
            "buildpack '" + (dir_ / "buildpacks" / "escape").string() +
                "' leads out of the gateway's buildpacks_dir through a symbolic link");
}

TEST_F(BuilderTest, GitBuildpacksNeedAnAllowedHost) {
  fake_buildah("exit 0");
  hosts_.clear();
  config::AppConfig app_config;
  app_config.build.buildpacks = {"https://github.com/acme/bp.git"};
  EXPECT_EQ(error_of(build(BuildpacksBuilder(), app_config)),
            "build.buildpacks: host 'github.com' of https://github.com/acme/bp.git is not in gateway.yaml "
            "buildpack_hosts, which is empty: this gateway fetches no git buildpacks");
  EXPECT_TRUE(buildah_built_nothing()) << buildah_calls();
}

// A `git` that logs its arguments and the environment that matters, one call
// a line; `clone` makes a buildpack; `rev-parse` finds only branches of the
// origin, and none unless `knows_branch`.
void fake_git(const fs::path& bin, const fs::path& log, bool knows_branch = true) {
  const auto script = bin / "git";
  std::ofstream(script)
      << "#!/bin/sh\n"
         "echo \"$* | HOME=$HOME GIT_CONFIG_GLOBAL=$GIT_CONFIG_GLOBAL GIT_CONFIG_NOSYSTEM=$GIT_CONFIG_NOSYSTEM"
         " GIT_ALLOW_PROTOCOL=$GIT_ALLOW_PROTOCOL GIT_ASKPASS=$GIT_ASKPASS GIT_SSH_COMMAND=$GIT_SSH_COMMAND"
         " SSH_ASKPASS=$SSH_ASKPASS SSH_AUTH_SOCK=$SSH_AUTH_SOCK GIT_TERMINAL_PROMPT=$GIT_TERMINAL_PROMPT\" >> "
      << log.string()
      << "\n"
         "for last; do :; done\n"
         "case \"$*\" in\n"
         "  *' clone '*) mkdir -p \"$last/bin\"; printf '#!/bin/sh\\n' > \"$last/bin/detect\";"
         " cp \"$last/bin/detect\" \"$last/bin/compile\" ;;\n"
      << (knows_branch ? "  *' rev-parse '*refs/remotes/origin/*) echo 0123456789abcdef0123456789abcdef01234567 ;;\n"
                       : "")
      << "  *' rev-parse '*) exit 1 ;;\n"
         "esac\n";
  fs::permissions(script, fs::perms::owner_all);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_F(BuilderTest, GitBuildpacksAreClonedWithNothingOfTheDaemonsIdentity) {
  fake_buildah(buildah_failing("", ""));
  const auto log = dir_ / "git.log";
  fake_git(dir_ / "bin", log);
  write_source("Procfile", "web: ./server\n");
  config::AppConfig app_config;
  app_config.build.buildpacks = {"https://github.com/acme/bp.git#feature/x"};
  ::setenv("SSH_AUTH_SOCK", "/tmp/agent.sock", 1);
  auto built = build(BuildpacksBuilder(), app_config);
  ::unsetenv("SSH_AUTH_SOCK");
  ASSERT_TRUE(built) << built.error().message;
  const auto lines = lines_of(util::read_file(log));
  ASSERT_EQ(lines.size(), 4u) << util::read_file(log);
  const auto target = (dir_ / "work" / "buildpacks" / "0-bp").string();
  const std::string policy =
      "-c protocol.allow=never -c protocol.file.allow=never -c protocol.https.allow=always -c credential.helper= "
      "-c http.followRedirects=false ";
  EXPECT_TRUE(lines[0].starts_with(policy + "clone --quiet --end-of-options https://github.com/acme/bp.git " +
                                   target + " | "))
      << lines[0];
  // The branch is found among the origin's; checkout gets only the hash.
  EXPECT_TRUE(lines[1].starts_with(policy + "-C " + target +
                                   " rev-parse --verify --quiet --end-of-options feature/x^{commit} | "))
      << lines[1];
  EXPECT_TRUE(lines[2].starts_with(policy + "-C " + target +
                                   " rev-parse --verify --quiet --end-of-options "
                                   "refs/remotes/origin/feature/x^{commit} | "))
      << lines[2];
  EXPECT_TRUE(lines[3].starts_with(policy + "-C " + target +
                                   " checkout --quiet --detach 0123456789abcdef0123456789abcdef01234567 | "))
      << lines[3];
  for (const auto& line : lines)
    EXPECT_TRUE(line.ends_with(" | HOME=" + (dir_ / "work" / "git-home").string() +
                               " GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_ALLOW_PROTOCOL=https"
                               " GIT_ASKPASS=/bin/false GIT_SSH_COMMAND=false SSH_ASKPASS= SSH_AUTH_SOCK="
                               " GIT_TERMINAL_PROMPT=0"))
        << line;
  EXPECT_TRUE(fs::is_empty(dir_ / "work" / "git-home"));
}

TEST_F(BuilderTest, AnUnknownGitRefIsNamed) {
  fake_buildah(buildah_failing("", ""));
  fake_git(dir_ / "bin", dir_ / "git.log", /*knows_branch=*/false);
  config::AppConfig app_config;
  app_config.build.buildpacks = {"https://github.com/acme/bp.git#v9"};
  EXPECT_EQ(error_of(build(BuildpacksBuilder(), app_config)),
            "buildpack https://github.com/acme/bp.git has no branch, tag or commit 'v9'");
}

}  // namespace
}  // namespace porter::builders
