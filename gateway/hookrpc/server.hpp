#pragma once
// The daemon's end of the hook socket: accepts the pre-receive hooks'
// connections and runs each push on a thread it owns, answering with the
// handler's progress and its verdict.
#include <filesystem>
#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "hookrpc/connection.hpp"
#include "util/result.hpp"
#include "util/task_group.hpp"

namespace porter::hookrpc {

// What a pre-receive hook hands over: git's view of the push.
struct HookRequest {
  std::string session_token;                   // of the SSH session that spawned receive-pack
  std::filesystem::path repo_dir;
  std::map<std::string, std::string> git_env;  // GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES, ...
  std::vector<std::string> ref_lines;          // "<old> <new> <ref>"
  std::vector<std::string> push_options;
};

// Reads Field frames up to End.
Result<HookRequest> read_request(Connection& connection);

// Sends progress to the hook; false once the hook (or the git client behind it) is gone.
using OutputSink = std::function<bool(const std::string& text)>;
// Runs a push; returns the hook's exit code (0 accepts the push).
using PushHandler = std::function<int(const HookRequest& request, const OutputSink& output)>;

class Server {
 public:
  Server() = default;
  ~Server() { shutdown(); }

  // Listens on a unix socket only the daemon's user may connect to.
  Result<> listen(const std::filesystem::path& socket_path);
  // Accepts on a thread of its own until shutdown().
  void start(PushHandler handler);
  // Stops accepting and waits for every running push to end.
  void shutdown();

 private:
  void accept_loop(const std::stop_token& stop);
  void serve(Connection& connection);

  Listener listener_;
  PushHandler handler_;
  util::TaskGroup pushes_;
  std::jthread acceptor_;
};

}  // namespace porter::hookrpc
