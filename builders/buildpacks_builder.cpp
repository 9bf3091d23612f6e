#include "builders/buildpacks_builder.hpp"

#include <fstream>
#include <regex>
#include <set>

#include "builders/buildah.hpp"
#include "builders/buildpack_source.hpp"
#include "builders/procfile.hpp"
#include "porter/buildpack_runner.hpp"
#include "util/beneath.hpp"
#include "util/file.hpp"
#include "util/json.hpp"

namespace porter::builders {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Mount points inside the build container (see builders/buildpack-runner).
constexpr const char* kMountRoot = "/tmp/porter";
constexpr const char* kHostCaBundle = "/etc/ssl/certs/ca-certificates.crt";
// In the stack image: sources .profile.d/*.sh, then runs a Procfile command line.
constexpr const char* kLauncher = "/usr/local/bin/porter-launch";
// bin/release output, written from inside the build: hostile, and small.
constexpr std::size_t kReleaseOutputMaxBytes = 64 * 1024;

// One build: a buildah working container from the stack image, removed
// however the build ends (by `cleanup_`, whatever happened).
class BuildpackBuild {
 public:
  BuildpackBuild(const BuildRequest& request, const proc::LineSink& output, const proc::CancelToken& cancel)
      : request_(request), output_(output), cancel_(cancel), deadline_(Clock::now() + request.timeout),
        cleanup_(request) {}

  // Each step stops the build with its one-line failure.
  Result<Build> run() {
    auto specs = resolve_buildpacks();
    if (!specs) return std::unexpected(specs.error());
    // Read before anything runs: a bad Procfile fails the build at once.
    auto procfile = read_procfile(request_.source_dir);
    if (!procfile) return std::unexpected(procfile.error());
    procfile_ = std::move(*procfile);
    if (auto prepared = prepare_work_dirs(); !prepared) return std::unexpected(prepared.error());
    if (auto created = create_container(); !created) return std::unexpected(created.error());
    auto chosen = request_.app_config.build.buildpacks.empty() ? detect(*specs) : specs;
    if (!chosen) return std::unexpected(chosen.error());
    if (auto compiled = compile(*chosen); !compiled) return std::unexpected(compiled.error());
    auto processes = process_types(*chosen);
    if (!processes) return std::unexpected(processes.error());
    if (auto committed = commit(*processes); !committed) return std::unexpected(committed.error());
    return Build{.processes = std::move(*processes), .shell = {kLauncher}, .image_has_command = false};
  }

 private:
  struct Prepared {
    BuildpackSource source;
    std::string dir_name;  // "<n>-<name>" under the buildpacks mount
  };

  // Every process of the build runs in the request's cgroup.
  proc::Command build_command(std::string program, std::vector<std::string> args,
                              std::map<std::string, std::string> env = {}) const {
    return {.program = std::move(program), .args = std::move(args), .env = std::move(env), .dir = {},
            .stdin_file = {}, .cgroup = request_.cgroup};
  }

  // Runs buildah; the step's output goes to the pusher unless `sink` says otherwise.
  proc::RunResult buildah(std::vector<std::string> args, const proc::LineSink& sink) {
    auto remaining = std::chrono::duration_cast<std::chrono::seconds>(deadline_ - Clock::now());
    return proc::run(buildah_command(request_, std::move(args)), sink, cancel_,
                     std::max(remaining, std::chrono::seconds(1)));
  }

  // The line that says why a step failed: buildah's own closing line under
  // runc ("Error: while running runtime: exit status 1") says nothing.
  static std::string reason(const proc::RunResult& run) {
    for (auto line = run.last_lines.rbegin(); line != run.last_lines.rend(); ++line)
      if (!line->starts_with("Error: while running runtime")) return *line;
    return {};
  }

  // How a step's process ended, as the build's one-line failure.
  Result<> check(const proc::RunResult& run, const std::string& step) const {
    if (run.timed_out || Clock::now() > deadline_)
      return fail("build timed out after " + std::to_string(request_.timeout.count()) + " s (" + step + ")");
    if (run.cancelled) return fail("build cancelled");
    if (!run.error.empty()) return fail(step + ": " + run.error);
    if (run.exit_code != 0)
      return fail(step + " failed" + (reason(run).empty() ? " (exit " + std::to_string(run.exit_code) + ")"
                                                          : ": " + reason(run)));
    return ok();
  }

  Result<std::vector<Prepared>> resolve_buildpacks() const {
    std::vector<std::string> specs = request_.app_config.build.buildpacks;
    if (specs.empty()) specs.assign(kAutoDetectOrder.begin(), kAutoDetectOrder.end());
    const BuildpackPolicy policy{request_.buildpacks_dir, request_.buildpack_hosts};
    std::vector<Prepared> prepared;
    for (const auto& spec : specs) {
      auto source = parse_buildpack_spec(spec, policy);
      if (!source) return std::unexpected(source.error());
      prepared.push_back({*source, std::to_string(prepared.size()) + "-" + source->name});
    }
    return prepared;
  }

  fs::path buildpacks_dir() const { return request_.work_dir / "buildpacks"; }
  fs::path out_dir() const { return request_.work_dir / "out"; }
  fs::path env_dir() const { return request_.work_dir / "env"; }
  fs::path runner() const { return request_.work_dir / "buildpack-runner"; }

  // The env dir holds config vars (secrets): owner-only files from creation.
  Result<> prepare_work_dirs() {
    for (const auto& dir : {buildpacks_dir(), out_dir(), env_dir(), request_.cache_dir}) fs::create_directories(dir);
    std::ofstream(runner()) << buildpack_runner_script;
    fs::permissions(runner(), fs::perms::owner_all);
    for (const auto& [name, value] : request_.build_env)
      if (!util::write_private_file(env_dir() / name, value)) return fail("cannot write the build's config var " + name);
    return ok();
  }

  Result<> fetch(const Prepared& buildpack) {
    const auto target = buildpacks_dir() / buildpack.dir_name;
    const auto& source = buildpack.source;
    if (source.kind == BuildpackSource::Kind::git) return clone(source, target);
    auto from = server_buildpack_dir(source, request_.buildpacks_dir);
    if (!from) return std::unexpected(from.error());
    // Links are copied as links: never followed out of the buildpack, never
    // into a loop.
    std::error_code error;
    fs::copy(*from, target, fs::copy_options::recursive | fs::copy_options::copy_symlinks, error);
    if (error) return fail("copying buildpack '" + source.location + "' failed: " + error.message());
    return ok();
  }

  Result<> fetch_all(const std::vector<Prepared>& buildpacks) {
    for (const auto& buildpack : buildpacks)
      if (auto fetched = fetch(buildpack); !fetched) return fetched;
    return ok();
  }

  // git for a tenant's URL: https only (the environment's GIT_ALLOW_PROTOCOL
  // overrides any protocol.* config), no redirect to another host, nothing
  // of the daemon user's git configuration, credentials or SSH identity.
  proc::Command git(std::vector<std::string> args) const {
    const auto home = request_.work_dir / "git-home";  // empty: no .gitconfig, no .ssh
    fs::create_directories(home);
    std::vector<std::string> all = {"-c", "protocol.allow=never",       "-c", "protocol.file.allow=never",
                                    "-c", "protocol.https.allow=always", "-c", "credential.helper=",
                                    "-c", "http.followRedirects=false"};
    all.insert(all.end(), args.begin(), args.end());
    // proc::Command cannot unset a variable: empty values disable these.
    return build_command("git", std::move(all),
                         {{"HOME", home.string()}, {"XDG_CONFIG_HOME", home.string()},
                          {"GIT_CONFIG_NOSYSTEM", "1"}, {"GIT_CONFIG_GLOBAL", "/dev/null"},
                          {"GIT_CONFIG_COUNT", "0"}, {"GIT_CONFIG_PARAMETERS", ""},
                          {"GIT_ALLOW_PROTOCOL", "https"}, {"GIT_TERMINAL_PROMPT", "0"},
                          {"GIT_ASKPASS", "/bin/false"}, {"SSH_ASKPASS", ""}, {"SSH_AUTH_SOCK", ""},
                          {"GIT_SSH_COMMAND", "false"}});
  }

  Result<> clone(const BuildpackSource& source, const fs::path& target) {
    output_("-----> Fetching buildpack " + source.location + (source.ref.empty() ? "" : "#" + source.ref));
    auto run = proc::run(git({"clone", "--quiet", "--end-of-options", source.location, target.string()}), output_,
                         cancel_, std::chrono::seconds(300));
    auto cloned = check(run, "fetching buildpack " + source.location);
    if (!cloned || source.ref.empty()) return cloned;
    auto commit = resolve_ref(source, target);
    if (!commit) return std::unexpected(commit.error());
    run = proc::run(git({"-C", target.string(), "checkout", "--quiet", "--detach", *commit}), output_, cancel_,
                    std::chrono::seconds(60));
    return check(run, "checking out " + source.ref + " of buildpack " + source.location);
  }

  // The commit a ref names: a tag, a commit, or a branch of the clone's
  // origin. git 2.39's checkout mistakes --end-of-options for a ref, so the
  // ref goes to rev-parse (which honours it) and checkout gets the hash.
  Result<std::string> resolve_ref(const BuildpackSource& source, const fs::path& target) {
    static const std::regex hash("[0-9a-f]{40,64}");
    for (const auto& name : {source.ref, "refs/remotes/origin/" + source.ref}) {
      std::string commit;
      auto run = proc::run(git({"-C", target.string(), "rev-parse", "--verify", "--quiet", "--end-of-options",
                                name + "^{commit}"}),
                           [&](const std::string& line) { commit = line; }, cancel_, std::chrono::seconds(60));
      if (run.cancelled) return fail("build cancelled");
      if (run.ok() && std::regex_match(commit, hash)) return commit;
    }
    return fail("buildpack " + source.location + " has no branch, tag or commit '" + source.ref + "'");
  }

  // buildah names the container (unique across gateways sharing the store).
  Result<> create_container() {
    std::string name;
    std::vector<std::string> args = {"from", "--pull=never"};
    const auto isolation = isolation_args(request_);
    args.insert(args.end(), isolation.begin(), isolation.end());
    args.push_back(kStackImage);
    auto run = buildah(std::move(args), [&](const std::string& line) { name = line; });
    if (run.exit_code != 0 && !cancel_.cancelled()) {
      if (!stack_image_exists())
        return fail("the stack image " + std::string(kStackImage) +
                    " is missing; make it with scripts/make-stack-image");
      return fail("creating the build container failed: " + name);  // buildah's last line
    }
    if (auto created = check(run, "creating the build container"); !created) return created;
    container_ = name;
    return check(buildah({"copy", "--quiet", container_, request_.source_dir.string(), "/app"}, quiet_),
                 "copying the app");
  }

  bool stack_image_exists() const {
    proc::CancelToken never;
    auto inspect = proc::run(buildah_command(request_, {"inspect", "--type", "image", kStackImage}), quiet_, never,
                             std::chrono::seconds(30));
    return inspect.ok();
  }

  std::vector<std::string> run_args(const std::string& mode, const std::vector<Prepared>& buildpacks) {
    const std::string root = kMountRoot;
    std::vector<std::string> args = {
        // U: owned by the build's root, which is no one on the host.
        // Writable: a buildpack writes its `export` file next to its own bin/.
        "run",
        "--volume", buildpacks_dir().string() + ":" + root + "/buildpacks:U",
        "--volume", request_.cache_dir.string() + ":" + root + "/cache:U",
        "--volume", env_dir().string() + ":" + root + "/env:ro,U",
        "--volume", out_dir().string() + ":" + root + "/out:U",
        "--volume", runner().string() + ":" + root + "/runner:ro,U"};
    // Builds reach registries (npm, apt) through whatever TLS the host trusts.
    if (fs::exists(kHostCaBundle))
      args.insert(args.end(), {"--volume", std::string(kHostCaBundle) + ":" + kHostCaBundle + ":ro"});
    args.insert(args.end(), {container_, "--", root + "/runner", mode});
    for (const auto& buildpack : buildpacks) args.push_back(root + "/buildpacks/" + buildpack.dir_name);
    return args;
  }

  // The buildpacks to compile with, among the candidates that detect the app.
  Result<std::vector<Prepared>> detect(const std::vector<Prepared>& candidates) {
    if (auto fetched = fetch_all(candidates); !fetched) return std::unexpected(fetched.error());
    if (auto ran = check(buildah(run_args("detect", candidates), output_), "detecting buildpacks"); !ran)
      return std::unexpected(ran.error());
    std::set<std::string> detected;
    for (const auto& candidate : candidates)
      if (wrote(fs::path("detect") / candidate.dir_name)) detected.insert(candidate.source.name);
    auto chosen_names = auto_buildpacks(detected);
    if (chosen_names.empty()) {
      std::string tried;
      for (const auto& candidate : candidates) tried += (tried.empty() ? "" : ", ") + candidate.source.name;
      return fail("no buildpack detected this app (tried " + tried +
                  "); add a Procfile, a Dockerfile, or list build.buildpacks in porter.yaml");
    }
    std::vector<Prepared> chosen;
    for (const auto& name : chosen_names)
      for (const auto& candidate : candidates)
        if (candidate.source.name == name) chosen.push_back(candidate);
    return chosen;
  }

  Result<> compile(const std::vector<Prepared>& buildpacks) {
    // Detection already fetched the candidates; listed buildpacks are fetched here.
    if (!request_.app_config.build.buildpacks.empty())
      if (auto fetched = fetch_all(buildpacks); !fetched) return fetched;
    if (auto compiled = check(buildah(run_args("compile", buildpacks), output_), "buildpack compile"); !compiled)
      return compiled;
    // The mount points are left behind as empty directories: drop them.
    return check(buildah({"run", container_, "--", "rm", "-rf", kMountRoot}, quiet_),
                 "cleaning the build container");
  }

  // The build's output is written from inside the build: a regular file
  // there, never a link the build left to a host file.
  bool wrote(const fs::path& relative) const {
    auto kind = util::entry_kind_beneath(out_dir(), relative, "the build's output");
    return kind && *kind == util::EntryKind::regular;
  }

  // Release output of each buildpack, in order; the Procfile wins.
  Result<ProcessTypes> process_types(const std::vector<Prepared>& buildpacks) const {
    ProcessTypes processes;
    for (const auto& buildpack : buildpacks) {
      const auto file = fs::path("release") / (buildpack.dir_name + ".yml");
      auto text = util::read_beneath(out_dir(), file, kReleaseOutputMaxBytes, "the build's output");
      if (!text) return fail(buildpack.source.name + ": " + text.error().message);
      if (!*text) continue;
      auto parsed = parse_release_yaml(**text);
      if (!parsed) return fail(buildpack.source.name + ": " + parsed.error().message);
      for (const auto& [type, command] : *parsed) processes[type] = command;
    }
    for (const auto& [type, command] : procfile_) processes[type] = command;
    if (processes.empty()) return fail("no process types: add a Procfile (e.g. 'web: ./server')");
    return processes;
  }

  Result<> commit(const ProcessTypes& processes) {
    std::vector<std::string> args = {"config", "--entrypoint", "[" + util::json_string(kLauncher) + "]", "--workingdir",
                                     "/app", "--env", "HOME=/app"};
    if (processes.contains("web")) args.insert(args.end(), {"--cmd", "[" + util::json_string(processes.at("web")) + "]"});
    for (const auto& [type, command] : processes) args.insert(args.end(), {"--label", "porter.process." + type + "=" + command});
    args.push_back(container_);
    if (auto configured = check(buildah(args, quiet_), "configuring the image"); !configured) return configured;
    return check(buildah({"commit", "--quiet", container_, request_.image}, quiet_), "committing the image");
  }

  const BuildRequest& request_;
  const proc::LineSink& output_;
  const proc::CancelToken& cancel_;
  const Clock::time_point deadline_;
  const proc::LineSink quiet_ = [](const std::string&) {};
  ProcessTypes procfile_;  // read before the build runs
  std::string container_;
  const BuildCleanup cleanup_;
};

}  // namespace

bool BuildpacksBuilder::detect(const BuildRequest&) const { return true; }  // the fallback: detection is per buildpack

Result<Build> BuildpacksBuilder::build(const BuildRequest& request, const proc::LineSink& output,
                                       const proc::CancelToken& cancel) const {
  return BuildpackBuild(request, output, cancel).run();
}

}  // namespace porter::builders
