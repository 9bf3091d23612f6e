#include "commands/verbs.hpp"

#include <regex>

#include "ssh/exec_command.hpp"

namespace porter::commands {
namespace {

constexpr VerbSpec kVerbs[] = {
    {Verb::apps_list, "apps:list", false, 0, 0, "apps:list"},
    {Verb::apps_create, "apps:create", true, 0, 0, "apps:create <app>"},
    {Verb::cache_purge, "cache:purge", true, 0, 0, "cache:purge <app> [-e <env>]"},
    {Verb::config_show, "config", true, 0, 0, "config <app> [-e <env>]"},
    {Verb::config_get, "config:get", true, 1, 1, "config:get <app> [-e <env>] <KEY>"},
    {Verb::config_set, "config:set", true, 1, 100, "config:set <app> [-e <env>] <KEY>=<value>..."},
    {Verb::config_unset, "config:unset", true, 1, 100, "config:unset <app> [-e <env>] <KEY>..."},
    {Verb::releases, "releases", true, 0, 0, "releases <app> [-e <env>]"},
    {Verb::rollback, "rollback", true, 1, 1, "rollback <app> [-e <env>] v<N>"},
};

std::string known_commands() {
  std::string text;
  for (const auto& verb : kVerbs) text += (text.empty() ? "" : ", ") + std::string(verb.name);
  return text;
}

Result<> check_args(Verb verb, const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (verb == Verb::config_set) {
      auto equals = arg.find('=');
      if (equals == std::string::npos || !is_valid_config_key(arg.substr(0, equals)))
        // Never echo the word: a mistyped pair may hold the secret itself.
        return fail("expected KEY=VALUE with a KEY of letters, digits and _ (like DATABASE_URL)");
    } else if ((verb == Verb::config_get || verb == Verb::config_unset) && !is_valid_config_key(arg)) {
      return fail("invalid config key: keys are letters, digits and _, not starting with a digit");
    } else if (verb == Verb::rollback && !std::regex_match(arg, std::regex("v?[0-9]{1,9}"))) {
      return fail("expected a release version like v12");
    }
  }
  return ok();
}

const VerbSpec* find_verb(const std::string& name) {
  for (const auto& verb : kVerbs)
    if (name == verb.name) return &verb;
  return nullptr;
}

}  // namespace

std::span<const VerbSpec> verbs() { return kVerbs; }

bool is_valid_config_key(const std::string& key) {
  static const std::regex pattern("[A-Za-z_][A-Za-z0-9_]{0,127}");
  return std::regex_match(key, pattern);
}

Result<Command> parse_command(const std::vector<std::string>& words) {
  const VerbSpec* spec = words.empty() ? nullptr : find_verb(words[0]);
  if (!spec) return fail("unknown command; this server accepts git push/fetch and " + known_commands());
  Command command{spec->verb, spec->name, "", spec->verb == Verb::cache_purge ? "" : "production", {}};
  const std::string usage = std::string("usage: ") + spec->usage;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const auto& word = words[i];
    if (word == "-e" || word == "--env") {
      if (++i == words.size()) return fail(usage);
      command.env = words[i];
      if (!ssh::is_valid_app_name(command.env))
        return fail("invalid environment name: lower-case letters, digits and '-', starting with a letter");
    } else if (spec->needs_app && command.app.empty()) {
      if (!ssh::is_valid_app_name(word))
        return fail("invalid app name: app names are lower-case letters, digits and '-', starting with a letter");
      command.app = word;
    } else {
      command.args.push_back(word);
    }
  }
  if ((spec->needs_app && command.app.empty()) || command.args.size() < spec->min_args ||
      command.args.size() > spec->max_args)
    return fail(usage);
  if (auto checked = check_args(spec->verb, command.args); !checked) return std::unexpected(checked.error());
  return command;
}

}  // namespace porter::commands
