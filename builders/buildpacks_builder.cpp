#include "builders/buildpacks_builder.hpp"

#include <fstream>
#include <set>

#include "builders/buildah.hpp"
#include "builders/buildpack_source.hpp"
#include "builders/procfile.hpp"
#include "porter/buildpack_runner.hpp"
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
    prepare_work_dirs();
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

  // How a step's process ended, as the build's one-line failure.
  Result<> check(const proc::RunResult& run, const std::string& step) const {
    if (run.timed_out || Clock::now() > deadline_)
      return fail("build timed out after " + std::to_string(request_.timeout.count()) + " s (" + step + ")");
    if (run.cancelled) return fail("build cancelled");
    if (!run.error.empty()) return fail(step + ": " + run.error);
    if (run.exit_code != 0)
      return fail(step + " failed" + (run.last_lines.empty() ? " (exit " + std::to_string(run.exit_code) + ")"
                                                               : ": " + run.last_lines.back()));
    return ok();
  }

  Result<std::vector<Prepared>> resolve_buildpacks() const {
    std::vector<std::string> specs = request_.app_config.build.buildpacks;
    if (specs.empty()) specs.assign(kAutoDetectOrder.begin(), kAutoDetectOrder.end());
    std::vector<Prepared> prepared;
    for (const auto& spec : specs) {
      auto source = parse_buildpack_spec(spec);
      if (!source) return std::unexpected(source.error());
      prepared.push_back({*source, std::to_string(prepared.size()) + "-" + source->name});
    }
    return prepared;
  }

  fs::path buildpacks_dir() const { return request_.work_dir / "buildpacks"; }
  fs::path out_dir() const { return request_.work_dir / "out"; }
  fs::path env_dir() const { return request_.work_dir / "env"; }
  fs::path runner() const { return request_.work_dir / "buildpack-runner"; }

  void prepare_work_dirs() {
    for (const auto& dir : {buildpacks_dir(), out_dir(), env_dir(), request_.cache_dir}) fs::create_directories(dir);
    std::ofstream(runner()) << buildpack_runner_script;
    fs::permissions(runner(), fs::perms::owner_all);
    for (const auto& [name, value] : request_.build_env) std::ofstream(env_dir() / name) << value;
  }

  Result<> fetch(const Prepared& buildpack) {
    const auto target = buildpacks_dir() / buildpack.dir_name;
    const auto& source = buildpack.source;
    if (source.kind == BuildpackSource::Kind::git) return clone(source, target);
    const fs::path from = source.kind == BuildpackSource::Kind::builtin
                              ? request_.buildpacks_dir / source.location
                              : fs::path(source.location);
    if (!fs::is_regular_file(from / "bin" / "detect") || !fs::is_regular_file(from / "bin" / "compile"))
      return fail("buildpack '" + source.location + "' not found (needs bin/detect and bin/compile)");
    fs::copy(from, target, fs::copy_options::recursive);
    return ok();
  }

  Result<> fetch_all(const std::vector<Prepared>& buildpacks) {
    for (const auto& buildpack : buildpacks)
      if (auto fetched = fetch(buildpack); !fetched) return fetched;
    return ok();
  }

  Result<> clone(const BuildpackSource& source, const fs::path& target) {
    output_("-----> Fetching buildpack " + source.location + (source.ref.empty() ? "" : "#" + source.ref));
    auto run = proc::run(build_command("git", {"clone", "--quiet", source.location, target.string()},
                                 {{"GIT_TERMINAL_PROMPT", "0"}}),
                         output_, cancel_, std::chrono::seconds(300));
    auto cloned = check(run, "fetching buildpack " + source.location);
    if (!cloned || source.ref.empty()) return cloned;
    run = proc::run(build_command("git", {"-C", target.string(), "checkout", "--quiet", source.ref}), output_,
                    cancel_, std::chrono::seconds(60));
    return check(run, "checking out " + source.ref + " of buildpack " + source.location);
  }

  // buildah names the container (unique across gateways sharing the store).
  Result<> create_container() {
    std::string name;
    auto run = buildah({"from", "--pull=never", kStackImage}, [&](const std::string& line) { name = line; });
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
        "run", "--isolation", "chroot",
        // Writable: a buildpack writes its `export` file next to its own bin/.
        "--volume", buildpacks_dir().string() + ":" + root + "/buildpacks",
        "--volume", request_.cache_dir.string() + ":" + root + "/cache",
        "--volume", env_dir().string() + ":" + root + "/env:ro",
        "--volume", out_dir().string() + ":" + root + "/out",
        "--volume", runner().string() + ":" + root + "/runner:ro"};
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
      if (fs::exists(out_dir() / "detect" / candidate.dir_name)) detected.insert(candidate.source.name);
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
    return check(buildah({"run", "--isolation", "chroot", container_, "--", "rm", "-rf", kMountRoot}, quiet_),
                 "cleaning the build container");
  }

  // Release output of each buildpack, in order; the Procfile wins.
  Result<ProcessTypes> process_types(const std::vector<Prepared>& buildpacks) const {
    ProcessTypes processes;
    for (const auto& buildpack : buildpacks) {
      const auto file = out_dir() / "release" / (buildpack.dir_name + ".yml");
      if (!fs::exists(file)) continue;
      auto parsed = parse_release_yaml(util::read_file(file));
      if (!parsed) return fail(buildpack.source.name + ": " + parsed.error().message);
      for (const auto& [type, command] : *parsed) processes[type] = command;
    }
    const auto procfile = request_.source_dir / "Procfile";
    if (fs::exists(procfile)) {
      auto parsed = parse_procfile(util::read_file(procfile));
      if (!parsed) return std::unexpected(parsed.error());
      for (const auto& [type, command] : *parsed) processes[type] = command;
    }
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
