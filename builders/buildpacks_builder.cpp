#include "buildpacks_builder.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "buildpack_source.hpp"
#include "porter/buildpack_runner.hpp"
#include "procfile.hpp"
#include "util/json.hpp"
#include "util/file.hpp"

namespace porter::builders {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Mount points inside the build container (see builders/buildpack-runner).
constexpr const char* kMountRoot = "/tmp/porter";
constexpr const char* kHostCaBundle = "/etc/ssl/certs/ca-certificates.crt";
// In the stack image: sources .profile.d/*.sh, then runs a Procfile command line.
constexpr const char* kLauncher = "/usr/local/bin/porter-launch";

struct StepFailure {
  std::string message;
};

// One build: a buildah working container from the stack image, removed
// however the build ends.
class BuildpackBuild {
 public:
  BuildpackBuild(const BuildRequest& request, const proc::LineSink& output, const proc::CancelToken& cancel)
      : request_(request), output_(output), cancel_(cancel), deadline_(Clock::now() + request.timeout) {}

  // Cleanup runs whatever happened, even after a cancel or a timeout.
  ~BuildpackBuild() {
    if (container_.empty()) return;
    proc::CancelToken never;
    proc::run({.program = "buildah", .args = {"rm", container_}, .env = {}, .dir = {}}, quiet_, never,
              std::chrono::seconds(60));
  }

  BuildResult run() {
    BuildResult result;
    try {
      auto specs = resolve_buildpacks();
      prepare_work_dirs();
      create_container();
      auto chosen = request_.app_config.build.buildpacks.empty() ? detect(specs) : specs;
      compile(chosen);
      result.processes = process_types(chosen);
      commit(result.processes);
      result.shell = {kLauncher};
      result.ok = true;
    } catch (const StepFailure& failure) {
      result.failure = failure.message;
      result.last_lines = last_lines_;
    }
    return result;
  }

 private:
  struct Prepared {
    BuildpackSource source;
    std::string dir_name;  // "<n>-<name>" under the buildpacks mount
  };

  // Runs buildah; the step's output goes to the pusher unless `sink` says otherwise.
  proc::RunResult buildah(std::vector<std::string> args, const proc::LineSink& sink) {
    auto remaining = std::chrono::duration_cast<std::chrono::seconds>(deadline_ - Clock::now());
    auto run = proc::run({.program = "buildah", .args = std::move(args), .env = {}, .dir = {}}, sink, cancel_,
                         std::max(remaining, std::chrono::seconds(1)));
    last_lines_ = run.last_lines;
    return run;
  }

  void check(const proc::RunResult& run, const std::string& step) {
    if (run.timed_out || Clock::now() > deadline_)
      throw StepFailure{"build timed out after " + std::to_string(request_.timeout.count()) + " s (" + step + ")"};
    if (run.cancelled) throw StepFailure{"build cancelled"};
    if (!run.error.empty()) throw StepFailure{step + ": " + run.error};
    if (run.exit_code != 0)
      throw StepFailure{step + " failed" + (run.last_lines.empty() ? " (exit " + std::to_string(run.exit_code) + ")"
                                                                   : ": " + run.last_lines.back())};
  }

  std::vector<Prepared> resolve_buildpacks() {
    std::vector<std::string> specs = request_.app_config.build.buildpacks;
    if (specs.empty()) specs.assign(kAutoDetectOrder.begin(), kAutoDetectOrder.end());
    std::vector<Prepared> prepared;
    for (const auto& spec : specs) {
      auto parsed = parse_buildpack_spec(spec);
      if (auto* error = std::get_if<std::string>(&parsed)) throw StepFailure{*error};
      auto source = std::get<BuildpackSource>(parsed);
      prepared.push_back({source, std::to_string(prepared.size()) + "-" + source.name});
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

  void fetch(const Prepared& buildpack) {
    const auto target = buildpacks_dir() / buildpack.dir_name;
    const auto& source = buildpack.source;
    if (source.kind == BuildpackSource::Kind::git) {
      output_("-----> Fetching buildpack " + source.location + (source.ref.empty() ? "" : "#" + source.ref));
      auto run = proc::run({.program = "git", .args = {"clone", "--quiet", source.location, target.string()},
                            .env = {{"GIT_TERMINAL_PROMPT", "0"}}, .dir = {}},
                           output_, cancel_, std::chrono::seconds(300));
      check(run, "fetching buildpack " + source.location);
      if (!source.ref.empty()) {
        run = proc::run({.program = "git", .args = {"-C", target.string(), "checkout", "--quiet", source.ref},
                         .env = {}, .dir = {}},
                        output_, cancel_, std::chrono::seconds(60));
        check(run, "checking out " + source.ref + " of buildpack " + source.location);
      }
      return;
    }
    const fs::path from = source.kind == BuildpackSource::Kind::builtin
                              ? request_.buildpacks_dir / source.location
                              : fs::path(source.location);
    if (!fs::is_regular_file(from / "bin" / "detect") || !fs::is_regular_file(from / "bin" / "compile"))
      throw StepFailure{"buildpack '" + source.location + "' not found (needs bin/detect and bin/compile)"};
    fs::copy(from, target, fs::copy_options::recursive);
  }

  // buildah names the container (unique across gateways sharing the store).
  void create_container() {
    std::string name;
    auto run = buildah({"from", "--pull=never", kStackImage}, [&](const std::string& line) { name = line; });
    if (run.exit_code != 0 && !cancel_.cancelled()) {
      proc::CancelToken never;
      auto inspect = proc::run({.program = "buildah", .args = {"inspect", "--type", "image", kStackImage}, .env = {},
                                .dir = {}},
                               quiet_, never, std::chrono::seconds(30));
      if (!inspect.ok())
        throw StepFailure{"the stack image " + std::string(kStackImage) +
                          " is missing; make it with scripts/make-stack-image"};
      throw StepFailure{"creating the build container failed: " + name};  // buildah's last line
    }
    check(run, "creating the build container");
    container_ = name;
    check(buildah({"copy", "--quiet", container_, request_.source_dir.string(), "/app"}, quiet_),
          "copying the app");
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

  std::vector<Prepared> detect(const std::vector<Prepared>& candidates) {
    for (const auto& candidate : candidates) fetch(candidate);
    check(buildah(run_args("detect", candidates), output_), "detecting buildpacks");
    std::set<std::string> detected;
    for (const auto& candidate : candidates)
      if (fs::exists(out_dir() / "detect" / candidate.dir_name)) detected.insert(candidate.source.name);
    auto chosen_names = auto_buildpacks(detected);
    if (chosen_names.empty()) {
      std::string tried;
      for (const auto& candidate : candidates) tried += (tried.empty() ? "" : ", ") + candidate.source.name;
      throw StepFailure{"no buildpack detected this app (tried " + tried +
                        "); add a Procfile, a Dockerfile, or list build.buildpacks in porter.yaml"};
    }
    std::vector<Prepared> chosen;
    for (const auto& name : chosen_names)
      for (const auto& candidate : candidates)
        if (candidate.source.name == name) chosen.push_back(candidate);
    return chosen;
  }

  void compile(const std::vector<Prepared>& buildpacks) {
    if (!request_.app_config.build.buildpacks.empty())
      for (const auto& buildpack : buildpacks) fetch(buildpack);
    check(buildah(run_args("compile", buildpacks), output_), "buildpack compile");
    // The mount points are left behind as empty directories: drop them.
    check(buildah({"run", "--isolation", "chroot", container_, "--", "rm", "-rf", kMountRoot}, quiet_),
          "cleaning the build container");
  }

  // Release output of each buildpack, in order; the Procfile wins.
  ProcessTypes process_types(const std::vector<Prepared>& buildpacks) {
    ProcessTypes processes;
    for (const auto& buildpack : buildpacks) {
      const auto file = out_dir() / "release" / (buildpack.dir_name + ".yml");
      if (!fs::exists(file)) continue;
      auto parsed = parse_release_yaml(util::read_file(file));
      if (auto* error = std::get_if<ParseError>(&parsed)) throw StepFailure{buildpack.source.name + ": " + error->message};
      for (const auto& [type, command] : std::get<ProcessTypes>(parsed)) processes[type] = command;
    }
    const auto procfile = request_.source_dir / "Procfile";
    if (fs::exists(procfile)) {
      auto parsed = parse_procfile(util::read_file(procfile));
      if (auto* error = std::get_if<ParseError>(&parsed)) throw StepFailure{error->message};
      for (const auto& [type, command] : std::get<ProcessTypes>(parsed)) processes[type] = command;
    }
    if (processes.empty()) throw StepFailure{"no process types: add a Procfile (e.g. 'web: ./server')"};
    return processes;
  }

  void commit(const ProcessTypes& processes) {
    std::vector<std::string> args = {"config", "--entrypoint", "[" + util::json_string(kLauncher) + "]", "--workingdir",
                                     "/app", "--env", "HOME=/app"};
    if (processes.contains("web")) args.insert(args.end(), {"--cmd", "[" + util::json_string(processes.at("web")) + "]"});
    for (const auto& [type, command] : processes) args.insert(args.end(), {"--label", "porter.process." + type + "=" + command});
    args.push_back(container_);
    check(buildah(args, quiet_), "configuring the image");
    check(buildah({"commit", "--quiet", container_, request_.image}, quiet_), "committing the image");
  }

  const BuildRequest& request_;
  const proc::LineSink& output_;
  const proc::CancelToken& cancel_;
  const Clock::time_point deadline_;
  const proc::LineSink quiet_ = [](const std::string&) {};
  std::string container_;
  std::deque<std::string> last_lines_;
};

}  // namespace

bool BuildpacksBuilder::detect(const BuildRequest&) const { return true; }  // the fallback: detection is per buildpack

BuildResult BuildpacksBuilder::build(const BuildRequest& request, const proc::LineSink& output,
                                     const proc::CancelToken& cancel) const {
  return BuildpackBuild(request, output, cancel).run();
}

}  // namespace porter::builders
