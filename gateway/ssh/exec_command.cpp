#include "ssh/exec_command.hpp"

#include <optional>
#include <regex>

namespace porter::ssh {
namespace {

constexpr std::size_t kMaxCommandLength = 1024;

// "'myapp'", "'/myapp.git'", "myapp.git" -> "myapp"; the result is validated
// afterwards, so anything odd left in it is refused.
std::string app_from_path(std::string path) {
  if (path.size() >= 2 && path.front() == '\'' && path.back() == '\'') path = path.substr(1, path.size() - 2);
  if (path.starts_with("/")) path.erase(0, 1);
  if (path.ends_with(".git")) path.erase(path.size() - 4);
  if (path.ends_with("/")) path.pop_back();
  return path;
}

std::vector<std::string> split_words(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  for (char c : command) {
    if (c == ' ') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

ExecRequest parse_git(GitService service, const std::vector<std::string>& words) {
  if (words.size() != 2) return ExecError{"usage: git-receive-pack '<app>' or git-upload-pack '<app>'"};
  auto app = app_from_path(words[1]);
  if (!is_valid_app_name(app))
    return ExecError{"invalid app name: app names are lower-case letters, digits and '-', starting with a letter"};
  return GitRequest{service, app};
}

// Splits on spaces, honouring '...' and "..." (with \" and \\ inside double quotes).
std::optional<std::vector<std::string>> split_quoted(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (quote == '"' && c == '\\' && i + 1 < command.size() &&
                 (command[i + 1] == '"' || command[i + 1] == '\\')) {
        word += command[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  return words;
}

struct AdminVerb {
  const char* name;
  bool needs_app;
  std::size_t min_args, max_args;
  const char* usage;
};

constexpr AdminVerb kAdminVerbs[] = {
    {"apps:list", false, 0, 0, "apps:list"},
    {"apps:create", true, 0, 0, "apps:create <app>"},
    {"cache:purge", true, 0, 0, "cache:purge <app> [-e <env>]"},
    {"config", true, 0, 0, "config <app> [-e <env>]"},
    {"config:get", true, 1, 1, "config:get <app> [-e <env>] <KEY>"},
    {"config:set", true, 1, 100, "config:set <app> [-e <env>] <KEY>=<value>..."},
    {"config:unset", true, 1, 100, "config:unset <app> [-e <env>] <KEY>..."},
    {"releases", true, 0, 0, "releases <app> [-e <env>]"},
    {"rollback", true, 1, 1, "rollback <app> [-e <env>] v<N>"},
};

std::string known_commands() {
  std::string text;
  for (const auto& verb : kAdminVerbs) text += (text.empty() ? "" : ", ") + std::string(verb.name);
  return text;
}

std::optional<std::string> check_args(const std::string& verb, const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (verb == "config:set") {
      auto equals = arg.find('=');
      if (equals == std::string::npos || !is_valid_config_key(arg.substr(0, equals)))
        // Never echo the word: a mistyped pair may hold the secret itself.
        return "expected KEY=VALUE with a KEY of letters, digits and _ (like DATABASE_URL)";
    } else if ((verb == "config:get" || verb == "config:unset") && !is_valid_config_key(arg)) {
      return "invalid config key '" + arg + "' (letters, digits and _, not starting with a digit)";
    } else if (verb == "rollback" && !std::regex_match(arg, std::regex("v?[0-9]{1,9}"))) {
      return "expected a release version like v12, got '" + arg + "'";
    }
  }
  return std::nullopt;
}

ExecRequest parse_admin(const std::string& command) {
  auto words = split_quoted(command);
  if (!words) return ExecError{"unbalanced quote in command"};
  const auto& name = (*words)[0];
  const AdminVerb* verb = nullptr;
  for (const auto& candidate : kAdminVerbs)
    if (name == candidate.name) verb = &candidate;
  if (!verb) return ExecError{"unknown command; this server accepts git push/fetch and " + known_commands()};
  AdminRequest request{name, "", name == "cache:purge" ? "" : "production", {}};
  const std::string usage = std::string("usage: ") + verb->usage;
  for (std::size_t i = 1; i < words->size(); ++i) {
    const auto& word = (*words)[i];
    if (word == "-e" || word == "--env") {
      if (++i == words->size()) return ExecError{usage};
      request.env = (*words)[i];
      if (!is_valid_app_name(request.env)) return ExecError{"invalid environment name '" + request.env + "'"};
    } else if (verb->needs_app && request.app.empty()) {
      if (!is_valid_app_name(word))
        return ExecError{"invalid app name: app names are lower-case letters, digits and '-', starting with a letter"};
      request.app = word;
    } else {
      request.args.push_back(word);
    }
  }
  if ((verb->needs_app && request.app.empty()) || request.args.size() < verb->min_args ||
      request.args.size() > verb->max_args)
    return ExecError{usage};
  if (auto error = check_args(name, request.args)) return ExecError{*error};
  return request;
}

}  // namespace

bool is_valid_config_key(const std::string& key) {
  static const std::regex pattern("[A-Za-z_][A-Za-z0-9_]{0,127}");
  return std::regex_match(key, pattern);
}

bool is_valid_app_name(const std::string& name) {
  static const std::regex pattern("[a-z][a-z0-9-]{0,62}");
  return std::regex_match(name, pattern);
}

const char* git_service_program(GitService service) {
  return service == GitService::receive_pack ? "receive-pack" : "upload-pack";
}

ExecRequest parse_exec_command(const std::string& command) {
  if (command.size() > kMaxCommandLength) return ExecError{"command too long"};
  for (unsigned char c : command)
    if (c < 0x20 || c == 0x7f) return ExecError{"command contains control characters"};
  auto words = split_words(command);
  if (words.empty()) return ExecError{"no command given; this server only accepts git push and fetch"};
  if (words[0] == "git-receive-pack") return parse_git(GitService::receive_pack, words);
  if (words[0] == "git-upload-pack") return parse_git(GitService::upload_pack, words);
  return parse_admin(command);
}

}  // namespace porter::ssh
