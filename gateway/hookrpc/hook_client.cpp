#include "hookrpc/hook_client.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "hookrpc/connection.hpp"
#include "hookrpc/request_fields.hpp"

namespace porter::hookrpc {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

bool write_all(int fd, const std::string& data) {
  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<std::size_t>(n);
  }
  return true;
}

int fail(const std::string& message) {
  std::cout << "error: " << message << std::endl;
  return 1;
}

// Everything the daemon needs, taken from git's hook environment.
std::string encode_request() {
  std::string request;
  request += encode_field(field::session, env_or_empty("PORTER_SESSION"));
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd)) request += encode_field(field::repo_dir, cwd);
  for (const char* name : {"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"})
    request += encode_field(field::git_env_prefix + std::string(name), env_or_empty(name));
  const int options = std::atoi(env_or_empty("GIT_PUSH_OPTION_COUNT").c_str());
  for (int i = 0; i < options; ++i)
    request += encode_field(field::push_option, env_or_empty(("GIT_PUSH_OPTION_" + std::to_string(i)).c_str()));
  std::string line;
  while (std::getline(std::cin, line)) request += encode_field(field::ref_update, line);
  return request + encode_frame(FrameKind::end, "");
}

}  // namespace

int run_pre_receive_hook() {
  ::signal(SIGPIPE, SIG_IGN);  // a vanished client shows up as EPIPE, handled below
  const auto socket_path = env_or_empty("PORTER_CONTROL_SOCKET");
  if (socket_path.empty()) return fail("this repository is managed by porter; push through the gateway");
  auto connection = Connection::connect(socket_path);
  if (!connection) return fail("cannot reach the porter daemon");
  if (!connection->send_raw(encode_request())) return fail("lost the connection to the porter daemon");
  while (auto frame = connection->receive()) {
    if (frame->kind == FrameKind::output) {
      // If git's side is gone, closing our socket tells the daemon to cancel.
      if (!write_all(STDOUT_FILENO, frame->payload)) return 1;
    } else if (frame->kind == FrameKind::verdict && frame->payload.size() == 1) {
      return static_cast<unsigned char>(frame->payload[0]);
    }
  }
  return fail("lost the connection to the porter daemon");
}

}  // namespace porter::hookrpc
