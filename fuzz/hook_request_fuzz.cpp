// A hook request as the daemon reads it (read_request over a real socket):
// anything that can connect to the control socket can send these bytes.
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_support.hpp"
#include "hookrpc/server.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  porter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace porter::hookrpc;
  if (size > 64 * 1024) return -1;  // all of it must fit in the socket's buffer
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  Connection daemon_end(fds[0]);
  {
    Connection hook_end(fds[1]);
    if (!hook_end.send_raw(porter::fuzz::text_of(data, size))) std::abort();
  }  // closed: the daemon sees EOF after the bytes
  auto request = read_request(daemon_end);
  if (request) {
    // Every ref line came in a frame of its own: at least 9 bytes ("ref\0" and the header).
    FUZZ_CHECK((request->ref_lines.size() + request->push_options.size()) * 9 <= size);
  } else {
    FUZZ_CHECK(!request.error().message.empty());
  }
  return 0;
}
