#include "ssh/exec_command.hpp"

#include <regex>

namespace porter::ssh {
namespace {

// Room for a config:set --encoded PEM key (an RSA-2048 one is ~2.3 KB in base64).
constexpr std::size_t kMaxCommandLength = 8192;

// "'myapp'", "'/myapp.git'", "myapp.git" -> "myapp"; the result is validated
// afterwards, so anything odd left in it is refused.
std::string app_from_path(std::string path) {
  if (path.size() >= 2 && path.front() == '\'' && path.back() == '\'') path = path.substr(1, path.size() - 2);
  if (path.starts_with("/")) path.erase(0, 1);
  if (path.ends_with(".git")) path.erase(path.size() - 4);
  if (path.ends_with("/")) path.pop_back();
  return path;
}

// git sends exactly "git-receive-pack '<path>'": plain spaces, no other quoting.
std::vector<std::string> split_on_spaces(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  for (char c : command) {
    if (c != ' ') {
      word += c;
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

Result<ExecRequest> parse_git(git::Service service, const std::vector<std::string>& words) {
  if (words.size() != 2) return fail("usage: git-receive-pack '<app>' or git-upload-pack '<app>'");
  auto app = app_from_path(words[1]);
  if (!is_valid_app_name(app))
    return fail("invalid app name: app names are lower-case letters, digits and '-', starting with a letter");
  return GitRequest{service, app};
}

}  // namespace

Result<std::vector<std::string>> split_words(const std::string& command) {
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
  if (quote) return fail("unbalanced quote in command");
  if (in_word) words.push_back(std::move(word));
  return words;
}

bool is_valid_app_name(const std::string& name) {
  static const std::regex pattern("[a-z][a-z0-9-]{0,62}");
  return std::regex_match(name, pattern);
}

Result<ExecRequest> parse_exec_command(const std::string& command) {
  if (command.size() > kMaxCommandLength) return fail("command too long");
  for (unsigned char c : command)
    if (c < 0x20 || c == 0x7f) return fail("command contains control characters");
  const auto plain = split_on_spaces(command);
  if (plain.empty()) return fail("no command given; this server accepts git push and fetch");
  if (plain[0] == "git-receive-pack") return parse_git(git::Service::receive_pack, plain);
  if (plain[0] == "git-upload-pack") return parse_git(git::Service::upload_pack, plain);
  auto words = split_words(command);
  if (!words) return std::unexpected(words.error());
  return CommandRequest{std::move(*words)};
}

}  // namespace porter::ssh
