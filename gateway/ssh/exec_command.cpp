#include "ssh/exec_command.hpp"

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

ExecRequest parse_admin(const std::vector<std::string>& words) {
  const auto& verb = words[0];
  std::vector<std::string> args(words.begin() + 1, words.end());
  if (verb == "apps:list" && args.empty()) return AdminRequest{verb, args};
  if ((verb == "apps:create" && args.size() == 1) || (verb == "cache:purge" && (args.size() == 1 || args.size() == 2))) {
    if (!is_valid_app_name(args[0]))
      return ExecError{"invalid app name: app names are lower-case letters, digits and '-', starting with a letter"};
    if (args.size() == 2 && !is_valid_app_name(args[1])) return ExecError{"invalid environment name"};
    return AdminRequest{verb, args};
  }
  return ExecError{
      "unknown command; this server accepts git push/fetch, apps:list, apps:create <app>, cache:purge <app> [<env>]"};
}

}  // namespace

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
  return parse_admin(words);
}

}  // namespace porter::ssh
