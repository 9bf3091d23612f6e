#pragma once
// Child processes for builds, hooks and git: each runs in its own process
// group (and, when asked, in its own cgroup), so a timeout or a cancel ends
// the whole tree: SIGTERM, then SIGKILL after a grace period.
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace porter::proc {

struct Command {
  std::string program;            // looked up on PATH unless it holds a '/'
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // added to (or replacing) the daemon's environment
  std::filesystem::path dir;      // working directory; empty = current
  std::filesystem::path stdin_file = {};  // empty = /dev/null
  std::filesystem::path cgroup = {};      // a cgroup2 directory to run in (see cgroup.hpp); empty = the daemon's
};

// Set from another thread (a disconnecting client, a shutdown) to stop a job.
// Waiters are woken through the stop token, never by polling.
class CancelToken {
 public:
  void cancel() { source_.request_stop(); }
  bool cancelled() const { return source_.stop_requested(); }
  std::stop_token token() const { return source_.get_token(); }

 private:
  std::stop_source source_;
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

// An attached child's standard streams: descriptors of the caller's, which
// stay open until run_attached returns (see pty.hpp).
struct Stdio {
  int in = -1, out = -1, err = -1;
  // `in` is a terminal's slave: the child gets a session of its own with it
  // as its controlling terminal, so that it receives SIGWINCH.
  bool terminal = false;
};

// Runs to completion with its standard streams on `stdio`; the caller moves
// the bytes. Timeouts and cancels end its tree as run() does.
RunResult run_attached(const Command& command, const Stdio& stdio, const CancelToken& cancel,
                       std::chrono::seconds timeout);

// Runs a short command that cannot be cancelled to its end: its output
// lines (stdout and stderr merged), or nothing if it did not succeed.
std::optional<std::vector<std::string>> output_of(const Command& command, std::chrono::seconds timeout);

// Waits until `when` unless cancelled first; false if cancelled.
bool sleep_until(const CancelToken& cancel, std::chrono::steady_clock::time_point when);

// Full environment for a child: ours plus `overrides`, as NAME=VALUE strings.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides);

// Resolves a program name on PATH; empty if not found.
std::string find_program(const std::string& program);

}  // namespace porter::proc
