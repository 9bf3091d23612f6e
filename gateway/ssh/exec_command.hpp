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

// `apps:create NAME`, `apps:list`: management commands over SSH.
struct AdminRequest {
  std::string verb;
  std::vector<std::string> args;
};

struct ExecError {
  std::string message;  // one line for the client's stderr
};

using ExecRequest = std::variant<GitRequest, AdminRequest, ExecError>;

ExecRequest parse_exec_command(const std::string& command);

bool is_valid_app_name(const std::string& name);

const char* git_service_program(GitService service);  // "receive-pack" / "upload-pack"

}  // namespace porter::ssh
