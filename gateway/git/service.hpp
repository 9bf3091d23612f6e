#pragma once
// The git services the gateway serves, and how their processes are started:
// `git receive-pack` / `git upload-pack` on the app's bare repository, by
// argv and never through a shell.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "proc/process.hpp"

namespace porter::git {

enum class Service { receive_pack, upload_pack };

const char* program_name(Service service);  // "receive-pack" / "upload-pack"

// What the pre-receive hook of a push needs to reach the daemon's job.
struct PushHook {
  std::filesystem::path porter_bin;      // the binary the hook shim execs
  std::filesystem::path control_socket;  // the daemon's hook socket
  std::string session_token;             // ties the hook's request to this SSH session
  std::uint64_t max_pack_bytes = 0;      // receive.maxInputSize; 0 = no limit
};

// `git_protocol`: the client's GIT_PROTOCOL ("version=2"), already validated.
// `hook` is given for pushes only. `hidden_refs` are refs neither advertised
// nor served nor updatable (transfer.hideRefs): the branches of environments
// the key may not see.
proc::Command service_command(Service service, const std::filesystem::path& repo_dir,
                              const std::string& git_protocol, const std::optional<PushHook>& hook,
                              const std::vector<std::string>& hidden_refs = {});

}  // namespace porter::git
