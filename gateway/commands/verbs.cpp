#include "commands/verbs.hpp"

#include <cstdint>
#include <optional>
#include <regex>

#include "config/quantities.hpp"
#include "ssh/exec_command.hpp"

namespace porter::commands {
namespace {

constexpr VerbSpec kVerbs[] = {
    {Verb::apps_list, "apps:list", false, 0, 0, "apps:list"},
    {Verb::apps_create, "apps:create", true, 0, 0, "apps:create <app>"},
    {Verb::cache_purge, "cache:purge", true, 0, 0, "cache:purge <app> [-e <env>]"},
    {Verb::config_show, "config", true, 0, 0, "config <app> [-e <env>]"},
    {Verb::config_get, "config:get", true, 1, 1, "config:get <app> [-e <env>] <KEY>"},
    {Verb::config_set, "config:set", true, 1, 100,
     "config:set <app> [-e <env>] [--encoded] <KEY>=<value>... | config:set <app> [-e <env>] <KEY> --stdin"},
    {Verb::config_unset, "config:unset", true, 1, 100, "config:unset <app> [-e <env>] <KEY>..."},
    {Verb::releases, "releases", true, 0, 0, "releases <app> [-e <env>]"},
    {Verb::rollback, "rollback", true, 1, 1, "rollback <app> [-e <env>] v<N>"},
    {Verb::deploys, "deploys", true, 0, 0, "deploys <app> [-e <env>]"},
    {Verb::deploy_log, "deploy:log", false, 1, 1, "deploy:log <id>"},
    {Verb::run, "run", true, 1, 100, "run <app> [-e <env>] -- <command> [<argument>...]"},
    {Verb::ps, "ps", true, 0, 0, "ps <app> [-e <env>]"},
    {Verb::ps_scale, "ps:scale", true, 1, 20, "ps:scale <app> [-e <env>] <service>=<count>..."},
    {Verb::ps_resize, "ps:resize", true, 3, 5,
     "ps:resize <app> [-e <env>] <service> [--cpu <amount, e.g. 0.5>] [--memory <size, e.g. 512M>]"},
    {Verb::ps_restart, "ps:restart", true, 0, 0, "ps:restart <app> [-e <env>]"},
    {Verb::logs, "logs", true, 0, 5, "logs <app> [-e <env>] [-f] [--service <service>] [--tail <lines>]"},
    {Verb::jobs, "jobs", true, 0, 0, "jobs <app> [-e <env>]"},
    {Verb::jobs_log, "jobs:log", true, 1, 1, "jobs:log <app> [-e <env>] <job>"},
    {Verb::dashboard, "dashboard", false, 0, 0, "dashboard"},
    {Verb::dashboard_logout_all, "dashboard:logout-all", false, 0, 0, "dashboard:logout-all"},
};

std::string known_commands() {
  std::string text;
  for (const auto& verb : kVerbs) text += (text.empty() ? "" : ", ") + std::string(verb.name);
  return text;
}

constexpr const char* kInvalidKey = "invalid config key: keys are letters, digits and _, not starting with a digit";

// Standard base64 (RFC 4648 section 4), "=" padding optional. Anything else
// (spaces, line breaks, the URL-safe alphabet, stray low bits) is refused,
// not skipped: a mangled value must not be stored as if it were the secret.
std::optional<std::string> decode_base64(std::string_view text) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 == 0 && text.ends_with('=')) text.remove_suffix(text.ends_with("==") ? 2 : 1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string bytes;
  std::uint32_t bits = 0;
  int pending = 0;  // bits in `bits` not yet output
  for (const char c : text) {
    const auto digit = kAlphabet.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    bits = (bits << 6 | static_cast<std::uint32_t>(digit)) & 0xfff;  // never more than 12 pending
    pending += 6;
    if (pending >= 8) {
      pending -= 8;
      bytes += static_cast<char>(bits >> pending & 0xff);
    }
  }
  if (bits & ((1u << pending) - 1)) return std::nullopt;  // leftover bits of a canonical encoding are 0
  return bytes;
}

// yaml-cpp, which writes the release manifests, turns bytes that are not
// UTF-8 into U+FFFD: such a value would reach the app altered.
bool is_utf8(std::string_view text) {
  static constexpr char32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};  // by length: no overlong forms
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const int length = lead < 0x80 ? 1 : lead < 0xc2 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf5 ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    char32_t code = length == 1 ? lead : lead & (0x7f >> length);
    for (int k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = code << 6 | (next & 0x3f);
    }
    if (code < kLeast[length] || code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) return false;
    i += length;
  }
  return true;
}

// config:set's KEY=VALUE pairs (their values decoded with --encoded), or its
// one KEY with --stdin.
Result<> check_config_set(Command& command, bool encoded) {
  if (command.value_on_stdin) {
    if (encoded) return fail("--stdin takes the value as sent: leave out --encoded");
    if (command.args.size() != 1 || command.args[0].find('=') != std::string::npos)
      return fail("--stdin sets one KEY, without =, to what comes on standard input");
    if (!is_valid_config_key(command.args[0])) return fail(kInvalidKey);
    return ok();
  }
  for (auto& arg : command.args) {
    const auto equals = arg.find('=');
    const auto key = arg.substr(0, equals);
    if (equals == std::string::npos || !is_valid_config_key(key))
      // Never echo the word: a mistyped pair may hold the secret itself.
      return fail("expected KEY=VALUE with a KEY of letters, digits and _ (like DATABASE_URL)");
    if (encoded) {
      auto value = decode_base64(std::string_view(arg).substr(equals + 1));
      if (!value) return fail("the value of " + key + " is not base64 (A-Z a-z 0-9 + / and = padding only)");
      arg = key + "=" + *value;
    }
    if (auto checked = check_config_value(key, std::string_view(arg).substr(equals + 1)); !checked) return checked;
  }
  return ok();
}

Result<> check_args(Command& command, bool encoded) {
  if (command.verb == Verb::config_set) return check_config_set(command, encoded);
  for (const auto& arg : command.args) {
    if ((command.verb == Verb::config_get || command.verb == Verb::config_unset) && !is_valid_config_key(arg))
      return fail(kInvalidKey);
    if (command.verb == Verb::rollback && !std::regex_match(arg, std::regex("v?[0-9]{1,9}")))
      return fail("expected a release version like v12");
    if (command.verb == Verb::deploy_log && !std::regex_match(arg, std::regex("#?[0-9]{1,15}")))
      return fail("expected a deploy id like 41");
  }
  if (command.verb == Verb::logs)
    if (auto request = log_request(command.args); !request) return std::unexpected(request.error());
  if (command.verb == Verb::ps_scale)
    if (auto counts = scale_counts(command.args); !counts) return std::unexpected(counts.error());
  if (command.verb == Verb::ps_resize)
    if (auto resize = resize_request(command.args); !resize) return std::unexpected(resize.error());
  return ok();
}

bool is_service_name(const std::string& word) {
  static const std::regex pattern("[a-z][a-z0-9-]{0,39}");
  return std::regex_match(word, pattern);
}

// A whole number within [least, most], as typed; nullopt otherwise.
std::optional<int> count_in(const std::string& word, int least, int most) {
  if (!std::regex_match(word, std::regex("[0-9]{1,6}"))) return std::nullopt;
  const int value = std::stoi(word);
  if (value < least || value > most) return std::nullopt;
  return value;
}

const VerbSpec* find_verb(const std::string& name) {
  for (const auto& verb : kVerbs)
    if (name == verb.name) return &verb;
  return nullptr;
}

}  // namespace

std::span<const VerbSpec> verbs() { return kVerbs; }

Result<cluster::LogRequest> log_request(const std::vector<std::string>& args) {
  constexpr int kMostLines = 10000;
  cluster::LogRequest request;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& word = args[i];
    const bool has_value = i + 1 < args.size();
    if (word == "-f" || word == "--follow") {
      request.follow = true;
    } else if ((word == "--service" || word == "-s") && has_value) {
      request.service = args[++i];
      if (!is_service_name(request.service)) return fail("invalid service name: lower-case letters, digits and '-'");
    } else if ((word == "--tail" || word == "-n") && has_value) {
      const auto lines = count_in(args[++i], 0, kMostLines);
      if (!lines) return fail("--tail takes a number of lines from 0 to " + std::to_string(kMostLines));
      request.tail = static_cast<std::size_t>(*lines);
    } else {
      return fail("usage: logs <app> [-e <env>] [-f] [--service <service>] [--tail <lines>]");
    }
  }
  return request;
}

Result<std::map<std::string, int>> scale_counts(const std::vector<std::string>& args) {
  constexpr int kMostReplicas = 100;
  std::map<std::string, int> counts;
  for (const auto& arg : args) {
    const auto equals = arg.find('=');
    const auto service = arg.substr(0, equals);
    if (equals == std::string::npos || !is_service_name(service))
      return fail("expected <service>=<count>, like web=3");
    const auto count = count_in(arg.substr(equals + 1), 0, kMostReplicas);
    if (!count) return fail("the count of " + service + " must be a number from 0 to " + std::to_string(kMostReplicas));
    counts[service] = *count;
  }
  return counts;
}

Result<Resize> resize_request(const std::vector<std::string>& args) {
  Resize resize{args.empty() ? "" : args[0], std::nullopt, std::nullopt};
  if (!is_service_name(resize.service)) return fail("invalid service name: lower-case letters, digits and '-'");
  for (std::size_t i = 1; i < args.size(); i += 2) {
    if (i + 1 == args.size()) return fail(args[i] + " needs a value");
    if (args[i] == "--cpu") {
      resize.millicpu = config::parse_millicpu(args[i + 1]);
      if (!resize.millicpu) return fail("--cpu takes CPUs like 0.5, 2 or 250m (at most 64)");
    } else if (args[i] == "--memory") {
      resize.memory_bytes = config::parse_size(args[i + 1]);
      if (!resize.memory_bytes || *resize.memory_bytes < 4 * 1024 * 1024)
        return fail("--memory takes a size like 512M or 2G (at least 4M)");
    } else {
      return fail("ps:resize takes --cpu and --memory, not " + args[i]);
    }
  }
  if (!resize.millicpu && !resize.memory_bytes) return fail("say what to change: --cpu, --memory or both");
  return resize;
}

bool is_valid_config_key(const std::string& key) {
  static const std::regex pattern("[A-Za-z_][A-Za-z0-9_]{0,127}");
  return std::regex_match(key, pattern);
}

Result<> check_config_value(const std::string& key, std::string_view value) {
  // A NUL would cut the value short: environment variables end at one.
  if (value.find('\0') != std::string_view::npos) return fail("the value of " + key + " contains a NUL byte");
  if (!is_utf8(value)) return fail("the value of " + key + " is not UTF-8 text");
  return ok();
}

Result<Command> parse_command(const std::vector<std::string>& words) {
  const VerbSpec* spec = words.empty() ? nullptr : find_verb(words[0]);
  if (!spec) return fail("unknown command; this server accepts git push/fetch and " + known_commands());
  Command command{.verb = spec->verb, .name = spec->name, .app = "",
                  .env = spec->verb == Verb::cache_purge || spec->verb == Verb::deploys ? "" : "production", .args = {}, .value_on_stdin = false};
  const std::string usage = std::string("usage: ") + spec->usage;
  bool encoded = false;
  bool command_follows = false;  // run: the words after `--` are the command, as they are
  for (std::size_t i = 1; i < words.size(); ++i) {
    const auto& word = words[i];
    if (spec->verb == Verb::run && word == "--") {
      command.args.assign(words.begin() + static_cast<std::ptrdiff_t>(i) + 1, words.end());
      command_follows = true;
      break;
    }
    if (word == "-e" || word == "--env") {
      if (++i == words.size()) return fail(usage);
      command.env = words[i];
      if (!ssh::is_valid_app_name(command.env))
        return fail("invalid environment name: lower-case letters, digits and '-', starting with a letter");
    } else if (word == "--encoded" || word == "--stdin") {
      if (spec->verb != Verb::config_set) return fail(usage);
      (word == "--encoded" ? encoded : command.value_on_stdin) = true;
    } else if (spec->needs_app && command.app.empty()) {
      if (!ssh::is_valid_app_name(word))
        return fail("invalid app name: app names are lower-case letters, digits and '-', starting with a letter");
      command.app = word;
    } else {
      command.args.push_back(word);
    }
  }
  if ((spec->needs_app && command.app.empty()) || command.args.size() < spec->min_args ||
      command.args.size() > spec->max_args || (spec->verb == Verb::run && !command_follows))
    return fail(usage);
  if (auto checked = check_args(command, encoded); !checked) return std::unexpected(checked.error());
  return command;
}

}  // namespace porter::commands
