#pragma once
// The management commands over SSH, in one table: their names, arguments
// and usage. Parsing reads the table; AdminCommands dispatches on the verb.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace porter::commands {

enum class Verb { apps_list, apps_create, cache_purge, config_show, config_get, config_set, config_unset, releases, rollback };

struct VerbSpec {
  Verb verb;
  const char* name;  // as typed: "config:set"
  bool needs_app;
  std::size_t min_args, max_args;
  const char* usage;
};

std::span<const VerbSpec> verbs();

// e.g. `config:set shop -e staging KEY=VALUE`
struct Command {
  Verb verb;
  std::string name;  // the verb as typed, for messages
  std::string app;   // empty for apps:list
  std::string env;   // -e/--env; default production (cache:purge: every environment)
  std::vector<std::string> args;  // the rest: keys, KEY=VALUE pairs, a version
};

// `words` as split from the exec string; the error is one line and never
// echoes a word that may hold a secret.
Result<Command> parse_command(const std::vector<std::string>& words);

bool is_valid_config_key(const std::string& key);

}  // namespace porter::commands
