#pragma once
// Test doubles for the pipeline: a builder and a cluster driver that do no
// container work but record what they were asked, in order, and fail when
// told to; a collector for a job's progress; a raw look at the state store.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "builders/builder.hpp"
#include "cluster/driver.hpp"
#include "pipeline/progress.hpp"
#include "release/release_plan.hpp"
#include "support/raw_db.hpp"
#include "support/temp_dir.hpp"

namespace porter::test {

// ---- builder ----

// What one build() call was given, copied while the build ran (the build
// directory is gone afterwards).
struct BuildCall {
  fs::path source_dir;
  std::string image;
  std::map<std::string, std::string> build_env;
  fs::path cgroup;
  bool cgroup_existed = false;             // the deploy's cgroup was there during the build
  std::map<std::string, std::string> files;  // regular files under source_dir -> content
  std::map<std::string, bool> executable;    // the same files -> owner may execute
};

inline builders::Build web_build(const std::string& command = "./run") {
  return builders::Build{.processes = {{"web", command}}, .shell = {"/bin/sh", "-c"}, .image_has_command = false};
}

class FakeBuilder final : public builders::Builder {
 public:
  // What build() returns.
  Result<builders::Build> outcome = web_build();
  // Lines the "build" prints.
  std::vector<std::string> output;
  // Runs inside build(), e.g. to cancel the job as a vanishing client would.
  std::function<void()> during;

  mutable std::vector<BuildCall> calls;

  std::string name() const override { return "fake"; }
  std::string description() const override { return "the fake builder"; }
  bool detect(const builders::BuildRequest&) const override { return true; }
  Result<builders::Build> build(const builders::BuildRequest& request, const proc::LineSink& sink,
                                const proc::CancelToken&) const override {
    BuildCall call{request.source_dir, request.image, request.build_env, request.cgroup,
                   !request.cgroup.empty() && fs::is_directory(request.cgroup), {}, {}};
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(request.source_dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      const auto relative = fs::relative(it->path(), request.source_dir).string();
      call.files[relative] = read_file(it->path());
      call.executable[relative] = (fs::status(it->path()).permissions() & fs::perms::owner_exec) != fs::perms::none;
    }
    calls.push_back(std::move(call));
    for (const auto& line : output) sink(line);
    if (during) during();
    return outcome;
  }
};

// Adds a FakeBuilder to `registry` (which owns it) and returns it.
inline FakeBuilder& add_fake_builder(builders::BuilderRegistry& registry) {
  auto builder = std::make_unique<FakeBuilder>();
  auto& added = *builder;
  registry.add(std::move(builder));
  return added;
}

// ---- cluster driver ----

class FakeDriver final : public cluster::Driver {
 public:
  // How the next calls go.
  std::optional<std::string> prepare_error;
  int predeploy_exit = 0;
  int run_exit = 0;
  std::optional<std::string> start_error;
  std::optional<std::string> route_error;
  std::string url = "http://production.shop.test";

  // Every call but prepare, in order: "predeploy v2", "start v2", "route v2",
  // "stop pod-web-0-v1 pod-web-1-v1" (abandon or retire; "stop" alone for no replicas).
  std::vector<std::string> calls;
  std::vector<release::ReleasePlan> started;      // plans given to start()
  std::map<int, std::vector<release::Replica>> replicas;  // by version, as start() returned them

  std::size_t count(const std::string& prefix) const {
    std::size_t n = 0;
    for (const auto& call : calls) n += call.starts_with(prefix);
    return n;
  }
  // Index of the first call starting with `prefix`; -1 if none.
  int position(const std::string& prefix) const {
    for (std::size_t i = 0; i < calls.size(); ++i)
      if (calls[i].starts_with(prefix)) return static_cast<int>(i);
    return -1;
  }

  std::string name() const override { return "fake"; }

  Result<> prepare(const release::ReleasePlan&, const cluster::Output&, const proc::CancelToken&) override {
    if (prepare_error) return fail(*prepare_error);
    return ok();
  }

  proc::RunResult run_predeploy(const release::ReleasePlan& plan, const proc::LineSink& output,
                                const proc::CancelToken&) override {
    calls.push_back("predeploy v" + std::to_string(plan.version));
    output("migrating the database");
    proc::RunResult result;
    result.exit_code = predeploy_exit;
    if (predeploy_exit != 0) result.last_lines.push_back("migration failed");
    return result;
  }

  proc::RunResult run_once(const release::ReleasePlan& plan, const cluster::OneOff& job, const proc::LineSink& output,
                           const proc::CancelToken&) override {
    calls.push_back("run v" + std::to_string(plan.version) + " " + job.argv.back());
    if (job.stdio) {  // attached: bytes on its stdout, saying how it was attached
      const auto text = "ran " + job.argv.back() + (job.stdio->terminal ? " on a terminal " + job.term : "") + "\n";
      if (::write(job.stdio->out, text.data(), text.size()) < 0) ADD_FAILURE() << "cannot write to the one-off's stdout";
    } else {
      output("ran " + job.argv.back());
    }
    proc::RunResult result;
    result.exit_code = run_exit;
    return result;
  }

  Result<std::vector<release::Replica>> start(const release::ReleasePlan& plan, const cluster::Output& output,
                                              const proc::CancelToken&) override {
    calls.push_back("start v" + std::to_string(plan.version));
    started.push_back(plan);
    if (start_error) return fail(*start_error);
    std::vector<release::Replica> made;
    for (const auto& service : plan.services)
      for (int i = 0; i < service.replicas; ++i)
        made.push_back({service.name, i,
                        "pod-" + service.name + "-" + std::to_string(i) + "-v" + std::to_string(plan.version),
                        service.is_web() ? next_port_++ : 0});
    output.detail("started " + std::to_string(made.size()) + " replicas");
    replicas[plan.version] = made;
    return made;
  }

  Result<std::string> route(const release::ReleasePlan& plan, const std::vector<release::Replica>&,
                            const cluster::Output&) override {
    calls.push_back("route v" + std::to_string(plan.version));
    if (route_error) return fail(*route_error);
    return url;
  }

  void abandon(const release::ReleasePlan&, const std::vector<release::Replica>& started,
               const release::ReleasePlan*) override {
    stop(started);
  }
  void retire(const release::ReleasePlan&, const std::vector<release::Replica>& replicas,
              const release::ReleasePlan&) override {
    stop(replicas);
  }

  // Keeps the replicas that stay, adds the missing indexes.
  Result<std::vector<release::Replica>> scale(const release::ReleasePlan& plan,
                                              const std::vector<release::Replica>& current, const cluster::Output&,
                                              const proc::CancelToken&) override {
    calls.push_back("scale " + release::describe_services(plan));
    std::vector<release::Replica> now;
    for (const auto& service : plan.services)
      for (int i = 0; i < service.replicas; ++i) {
        auto same = std::ranges::find_if(current, [&](const auto& r) { return r.service == service.name && r.index == i; });
        now.push_back(same != current.end() ? *same
                                            : release::Replica{service.name, i, "pod-" + service.name + "-" +
                                                                   std::to_string(i) + "-scaled", 0});
      }
    return now;
  }
  std::vector<cluster::ReplicaStatus> status(const release::ReleasePlan&,
                                             const std::vector<release::Replica>& of) override {
    std::vector<cluster::ReplicaStatus> found;
    for (const auto& replica : of)
      found.push_back({replica.service + "." + std::to_string(replica.index), "running", 0, 0, ""});
    return found;
  }
  Result<> logs(const release::ReleasePlan&, const std::vector<release::Replica>& of, const cluster::LogRequest&,
                const proc::LineSink& output, const proc::CancelToken&) override {
    for (const auto& replica : of) output("2026-01-01T00:00:00.000Z " + replica.service + ": hello");
    return ok();
  }

  std::vector<release::Replica> missing(const std::vector<release::Replica>&) override { return {}; }
  bool restore(const release::ReleasePlan&, const release::Replica&) override { return true; }

 private:
  void stop(const std::vector<release::Replica>& stopped) {
    std::string call = "stop";
    for (const auto& replica : stopped) call += " " + replica.pod;
    calls.push_back(call);
  }

  int next_port_ = 40000;
};

// ---- progress ----

// Collects what a job tells the user; the user "goes away" when `open` is false.
struct Collected {
  std::string text;
  bool open = true;
  pipeline::Progress::Writer writer() {
    return [this](const std::string& chunk) {
      text += chunk;
      return open;
    };
  }
  bool has(const std::string& part) const { return text.find(part) != std::string::npos; }
};

// ---- state ----

}  // namespace porter::test
