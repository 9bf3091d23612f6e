#pragma once
// Parses the command string of an SSH exec request. No shell is ever
// involved: git services are recognised here and mapped to an argv chosen by
// the gateway; anything else is split into words (quotes honoured) for the
// management commands to parse.
#include <string>
#include <variant>
#include <vector>

#include "git/service.hpp"
#include "util/result.hpp"

namespace porter::ssh {

struct GitRequest {
  git::Service service;
  std::string app;
};

// A management command, e.g. `config:set shop -e staging 'GREETING=hello world'`.
struct CommandRequest {
  std::vector<std::string> words;  // never empty
};

using ExecRequest = std::variant<GitRequest, CommandRequest>;

Result<ExecRequest> parse_exec_command(const std::string& command);

// Splits on spaces, honouring '...' and "..." (with \" and \\ inside double quotes).
Result<std::vector<std::string>> split_words(const std::string& command);

// Lower-case letters, digits and '-', starting with a letter; also environment names.
bool is_valid_app_name(const std::string& name);

}  // namespace porter::ssh
