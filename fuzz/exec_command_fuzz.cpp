// The command string of an SSH exec request: sent by any client that got past
// authentication, before any other check.
#include "fuzz_support.hpp"
#include "ssh/exec_command.hpp"

namespace {

// Quotes `words` so that split_words gives them back.
std::string quote(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& word : words) {
    if (!line.empty()) line += ' ';
    if (word.find('\'') == std::string::npos) {
      line += '\'' + word + '\'';
    } else {
      line += '"';
      for (char c : word) {
        if (c == '"' || c == '\\') line += '\\';
        line += c;
      }
      line += '"';
    }
  }
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  porter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace porter::ssh;
  const auto command = porter::fuzz::text_of(data, size);
  if (auto request = parse_exec_command(command)) {
    FUZZ_CHECK(command.size() <= 1024);
    if (const auto* git = std::get_if<GitRequest>(&*request)) {
      FUZZ_CHECK(is_valid_app_name(git->app));
    } else {
      FUZZ_CHECK(!std::get<CommandRequest>(*request).words.empty());
    }
  }
  if (auto words = split_words(command)) {
    auto again = split_words(quote(*words));
    FUZZ_CHECK(again && *again == *words);
  }
  return 0;
}
