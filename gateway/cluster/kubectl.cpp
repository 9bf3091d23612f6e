#include "cluster/kubectl.hpp"

namespace porter::cluster {
namespace {

constexpr std::chrono::seconds kRequestTimeout{30};  // an unreachable API server fails within this
constexpr std::size_t kMaxOutputBytes = 16 << 20;     // a `get` of one environment's objects is far smaller
constexpr std::size_t kMaxErrorChars = 300;

// kubectl's warnings share its output with the JSON: "Warning: ..." and klog
// lines ("W1129 18:45:15.123456 ...").
bool is_diagnostic(const std::string& line) {
  if (line.starts_with("Warning:")) return true;
  return line.size() > 5 && std::string("IWEF").find(line[0]) != std::string::npos &&
         std::all_of(line.begin() + 1, line.begin() + 5, [](unsigned char c) { return std::isdigit(c); });
}

// kubectl's last word, shortened to what the pusher can act on.
std::string error_line(const proc::RunResult& result) {
  if (!result.error.empty()) return result.error;
  if (result.timed_out) return "kubectl timed out";
  for (auto it = result.last_lines.rbegin(); it != result.last_lines.rend(); ++it) {
    if (it->empty()) continue;
    // However kubectl words it ("Unable to connect to the server: ...",
    // "failed to download openapi: ..."), an unreachable API server is this.
    if (const auto dial = it->find("dial tcp "); dial != std::string::npos) {
      const auto cause = it->substr(dial, it->find("; ", dial) - dial);  // before any advice
      return "cannot reach the API server: " + cause.substr(0, kMaxErrorChars);
    }
    return (it->starts_with("error: ") ? it->substr(7) : *it).substr(0, kMaxErrorChars);
  }
  return "kubectl failed (exit " + std::to_string(result.exit_code) + ")";
}

}  // namespace

proc::Command Kubectl::command(std::vector<std::string> args) const {
  std::vector<std::string> full = {"--kubeconfig", kubeconfig_.string()};
  if (!context_.empty()) full.insert(full.end(), {"--context", context_});
  full.insert(full.end(), {"--namespace", namespace_});
  full.insert(full.end(), args.begin(), args.end());
  return {.program = program_.string(), .args = std::move(full), .env = {}, .dir = {}};
}

Result<std::vector<std::string>> Kubectl::run(std::vector<std::string> args) const {
  args.push_back("--request-timeout=" + std::to_string(kRequestTimeout.count()) + "s");
  std::vector<std::string> lines;
  std::size_t bytes = 0;
  proc::CancelToken never;
  auto result = proc::run(
      command(std::move(args)),
      [&](const std::string& line) {
        bytes += line.size() + 1;
        if (bytes <= kMaxOutputBytes) lines.push_back(line);
      },
      never, 2 * kRequestTimeout);
  if (!result.ok()) return fail(error_line(result));
  if (bytes > kMaxOutputBytes) return fail("kubectl said more than " + std::to_string(kMaxOutputBytes >> 20) + " MB");
  return lines;
}

Result<YAML::Node> Kubectl::get(std::vector<std::string> args) const {
  args.insert(args.begin(), "get");
  args.insert(args.end(), {"-o", "json"});
  auto lines = run(std::move(args));
  if (!lines) return std::unexpected(lines.error());
  std::string json;
  for (const auto& line : *lines)
    if (!is_diagnostic(line)) json += line + "\n";
  try {
    return YAML::Load(json);
  } catch (const YAML::Exception& e) {
    return fail(std::string("kubectl get gave unreadable output: ") + e.what());
  }
}

Result<> Kubectl::apply(const std::filesystem::path& manifests) const {
  auto applied =
      run({"apply", "--server-side", "--field-manager", "porter", "--force-conflicts", "-f", manifests.string()});
  if (!applied) return std::unexpected(applied.error());
  return ok();
}

Result<> Kubectl::remove(const std::string& kinds, const std::string& selector) const {
  auto removed = run({"delete", kinds, "-l", selector, "--ignore-not-found", "--wait=false"});
  if (!removed) return std::unexpected(removed.error());
  return ok();
}

proc::RunResult Kubectl::stream(std::vector<std::string> args, const proc::LineSink& sink,
                                const proc::CancelToken& cancel, std::chrono::seconds timeout) const {
  return proc::run(command(std::move(args)), sink, cancel, timeout);
}

proc::RunResult Kubectl::attach(std::vector<std::string> args, const proc::Stdio& stdio,
                                const proc::CancelToken& cancel, std::chrono::seconds timeout) const {
  return proc::run_attached(command(std::move(args)), stdio, cancel, timeout);
}

}  // namespace porter::cluster
