#pragma once
// Child processes for builds, hooks and git: each runs in its own process
// group, so a timeout or a cancel kills the whole tree (SIGTERM, then SIGKILL).
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace porter::proc {

struct Command {
  std::string program;            // looked up on PATH unless it holds a '/'
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // added to (or replacing) the daemon's environment
  std::filesystem::path dir;      // working directory; empty = current
  std::filesystem::path stdin_file = {};  // empty = /dev/null
};

// Set from another thread (a disconnecting client, a shutdown) to stop a job.
class CancelToken {
 public:
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

 private:
  std::atomic<bool> cancelled_{false};
};

using LineSink = std::function<void(const std::string& line)>;

struct RunResult {
  int exit_code = -1;
  bool timed_out = false;
  bool cancelled = false;
  std::string error;                 // spawn failure, empty otherwise
  std::deque<std::string> last_lines;  // tail of the output, for failure reports

  bool ok() const { return error.empty() && !timed_out && !cancelled && exit_code == 0; }
};

// Runs to completion, handing each output line (stdout and stderr merged) to
// `sink` as it arrives. Never throws for an expected failure.
RunResult run(const Command& command, const LineSink& sink, const CancelToken& cancel,
              std::chrono::seconds timeout);

// Kills a process group: SIGTERM, then SIGKILL after `grace` if still alive.
void kill_group(int pgid, std::chrono::milliseconds grace);

// Full environment for a child: ours plus `overrides`, as NAME=VALUE strings.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides);

// Resolves a program name on PATH; empty if not found.
std::string find_program(const std::string& program);

}  // namespace porter::proc
