#pragma once
// The management commands over SSH, in one table: their names, arguments
// and usage. Parsing reads the table; AdminCommands dispatches on the verb.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/driver.hpp"
#include "util/result.hpp"

namespace porter::commands {

enum class Verb {
  apps_list, apps_create, cache_purge, config_show, config_get, config_set, config_unset, releases, rollback,
  deploys, deploy_log, run, ps, ps_scale, ps_resize, ps_restart, logs, jobs, jobs_log, dashboard, dashboard_logout_all
};

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
  std::string env;   // -e/--env; default production (cache:purge, deploys: every environment)
  // The rest: keys, KEY=VALUE pairs (with --encoded, their values decoded), a
  // version, a deploy id; run: the command's argv, the words after `--`.
  std::vector<std::string> args;
  // config:set KEY --stdin: args is {KEY}; its value is the command's standard input.
  bool value_on_stdin = false;
};

// `words` as split from the exec string; the error is one line and never
// echoes a word that may hold a secret.
Result<Command> parse_command(const std::vector<std::string>& words);

bool is_valid_config_key(const std::string& key);

// logs' words: [-f|--follow] [--service SERVICE] [--tail N]
Result<cluster::LogRequest> log_request(const std::vector<std::string>& args);
// ps:scale's words: SERVICE=COUNT...
Result<std::map<std::string, int>> scale_counts(const std::vector<std::string>& args);
// ps:resize's words: SERVICE [--cpu AMOUNT] [--memory SIZE]
struct Resize {
  std::string service;
  std::optional<int> millicpu;
  std::optional<std::uint64_t> memory_bytes;
};
Result<Resize> resize_request(const std::vector<std::string>& args);

// A value config:set may store, however it came: UTF-8 text without NUL
// bytes. The error names the key, never the value.
Result<> check_config_value(const std::string& key, std::string_view value);

// The most a value on standard input may hold.
inline constexpr std::size_t kMaxStdinValue = 64 * 1024;

}  // namespace porter::commands
