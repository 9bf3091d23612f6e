// The builders' failure paths, with a fake `buildah` first on PATH: each
// failure must stop the build with its one line (e2e tests grep them), and a
// buildpacks build must remove its container however it ends.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

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
  void fake_buildah(const std::string& body) {
    const auto script = dir_ / "bin" / "buildah";
    std::ofstream(script) << "#!/bin/sh\necho \"$*\" >> " << log_file() << "\n" << body << "\n";
    fs::permissions(script, fs::perms::owner_all);
  }
  fs::path log_file() const { return dir_ / "buildah.log"; }
  std::string buildah_calls() const { return util::read_file(log_file()); }

  void write_source(const std::string& name, const std::string& text) { std::ofstream(dir_ / "src" / name) << text; }

  BuildRequest request(const config::AppConfig& app_config, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    return {dir_ / "src", app_config, "localhost/porter/shop:production-abc", timeout,
            dir_ / "cache", dir_ / "work", dir_ / "buildpacks", {{"NPM_TOKEN", "secret"}}, {}};
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
  EXPECT_EQ(error_of(build(DockerfileBuilder(), {})), "build failed (buildah exit 2)");
}

TEST_F(BuilderTest, DockerfileBuildTimesOut) {
  fake_buildah("exec sleep 30");
  EXPECT_EQ(error_of(build(DockerfileBuilder(), {}, std::chrono::seconds(1))), "build timed out after 1 s");
}

TEST_F(BuilderTest, DockerfileBuildRetriesOnceWhenBuildahLosesALayer) {
  // The first call fails as buildah 1.28 does; the second succeeds.
  fake_buildah("if [ ! -e " + (dir_ / "retried").string() + " ]; then touch " + (dir_ / "retried").string() +
               "; echo 'Error: committing container: layer not known'; exit 1; fi");
  write_source("Procfile", "web: ./server\nworker: ./work\n");
  config::AppConfig app_config;
  app_config.build.args = {{"NODE_ENV", "production"}};
  auto built = build(DockerfileBuilder(), app_config);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(built->processes, (ProcessTypes{{"web", "./server"}, {"worker", "./work"}}));
  EXPECT_EQ(built->shell, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_TRUE(built->image_has_command);
  const auto calls = buildah_calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), '\n'), 2) << calls;
  EXPECT_NE(calls.find("--build-arg NODE_ENV=production --build-arg NPM_TOKEN=secret"), std::string::npos) << calls;
  EXPECT_NE(std::find(output_.begin(), output_.end(),
                      "-----> buildah lost a cached layer to a concurrent image removal; building again"),
            output_.end());
}

TEST_F(BuilderTest, DockerfileBuildStopsAtABadProcfile) {
  fake_buildah("exit 0");
  write_source("Procfile", "web ./server\n");
  EXPECT_EQ(error_of(build(DockerfileBuilder(), {})), "Procfile line 1: expected '<type>: <command>'");
  EXPECT_FALSE(fs::exists(log_file()));  // buildah never ran
}

// ---- buildpacks ----

// A buildah that makes container "bp-container-1" and fails a call whose
// arguments contain `failing` (none when empty) with `last_line`.
std::string buildah_failing(const std::string& failing, const std::string& last_line) {
  return "case \"$*\" in\n"
         "  from*) echo bp-container-1 ;;\n" +
         (failing.empty() ? std::string() : "  *'" + failing + "'*) echo '" + last_line + "'; exit 3 ;;\n") +
         "esac\nexit 0";
}

void make_buildpack(const fs::path& dir) {
  fs::create_directories(dir / "bin");
  for (const auto* script : {"detect", "compile"}) std::ofstream(dir / "bin" / script) << "#!/bin/sh\n";
}

TEST_F(BuilderTest, BuildpacksBuildRunsEveryStepAndRemovesItsContainer) {
  fake_buildah(buildah_failing("", ""));
  make_buildpack(dir_ / "my-pack");
  write_source("Procfile", "web: ./server\n");
  config::AppConfig app_config;
  app_config.build.buildpacks = {(dir_ / "my-pack").string()};
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

TEST_F(BuilderTest, AFailedBuildpacksStepStopsTheBuildAndRemovesItsContainer) {
  fake_buildah(buildah_failing("runner compile", "compile: npm ERR! missing script"));
  make_buildpack(dir_ / "my-pack");
  config::AppConfig app_config;
  app_config.build.buildpacks = {(dir_ / "my-pack").string()};
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
            "build.buildpacks: 'Node' is not a built-in name, an absolute server path or a git URL");
  EXPECT_FALSE(fs::exists(log_file()));
}

}  // namespace
}  // namespace porter::builders
