#include "git/service.hpp"

namespace porter::git {

const char* program_name(Service service) {
  return service == Service::receive_pack ? "receive-pack" : "upload-pack";
}

proc::Command service_command(Service service, const std::filesystem::path& repo_dir,
                              const std::string& git_protocol, const std::optional<PushHook>& hook,
                              const std::vector<std::string>& hidden_refs) {
  proc::Command command{.program = "git", .args = {}, .env = {}, .dir = repo_dir.parent_path()};
  for (const auto& ref : hidden_refs) command.args.insert(command.args.end(), {"-c", "transfer.hideRefs=" + ref});
  if (!git_protocol.empty()) command.env["GIT_PROTOCOL"] = git_protocol;
  if (hook) {
    // Push options reach the hook only when receive-pack advertises them.
    command.args.insert(command.args.end(), {"-c", "receive.advertisePushOptions=true"});
    // The pushed pack is kept as it came (indexed only), as big git hosts
    // do: unpacking it into loose objects would deflate every byte again,
    // which is most of a large push's time. `git gc --auto` after the push
    // still consolidates many small packs.
    command.args.insert(command.args.end(), {"-c", "receive.unpackLimit=1"});
    if (hook->max_pack_bytes > 0)
      command.args.insert(command.args.end(), {"-c", "receive.maxInputSize=" + std::to_string(hook->max_pack_bytes)});
    command.env["PORTER_BIN"] = hook->porter_bin.string();
    command.env["PORTER_CONTROL_SOCKET"] = hook->control_socket.string();
    command.env["PORTER_SESSION"] = hook->session_token;
  }
  command.args.push_back(program_name(service));
  command.args.push_back(repo_dir.string());
  return command;
}

}  // namespace porter::git
