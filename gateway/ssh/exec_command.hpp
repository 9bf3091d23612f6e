#pragma once
// Parses the command string of an SSH exec request. Only a fixed set of
// commands is accepted and no shell is ever involved: the string is split and
// validated here, then mapped to an argv chosen by the gateway.
#include <string>
#include <variant>
#include <vector>

namespace porter::ssh {

enum class GitService { receive_pack, upload_pack };

struct GitRequest {
  GitService service;
  std::string app;
};

// Management commands over SSH, e.g. `config:set shop -e staging KEY=VALUE`.
// Words may be quoted ('...' or "...") so values can hold spaces.
struct AdminRequest {
  std::string verb;               // apps:list, apps:create, cache:purge, config, config:get,
                                  // config:set, config:unset, releases, rollback
  std::string app;                // empty for apps:list
  std::string env;                // -e/--env; default production (cache:purge: all)
  std::vector<std::string> args;  // the rest: keys, KEY=VALUE pairs, a version
};

struct ExecError {
  std::string message;  // one line for the client's stderr
};

using ExecRequest = std::variant<GitRequest, AdminRequest, ExecError>;

ExecRequest parse_exec_command(const std::string& command);

bool is_valid_app_name(const std::string& name);
bool is_valid_config_key(const std::string& key);

const char* git_service_program(GitService service);  // "receive-pack" / "upload-pack"

}  // namespace porter::ssh
