#include "ssh/attach.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace porter::ssh {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kChunk = 32 * 1024;
constexpr std::chrono::hours kNoDeadline{24};  // every wake-up is an event; the command has its own timeout

bool is_term_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("+-._").find(c) != std::string_view::npos;
}

// One of the command's outputs, copied to the client.
struct CommandOutput {
  int fd = -1;
  git::Stream stream = git::Stream::out;
  bool eof = false;
  bool empty = false;  // the last read found nothing waiting

  bool done() const { return fd < 0 || eof; }
};

class StreamRelay {
 public:
  StreamRelay(git::ClientChannel& client, proc::AttachedStreams& streams, int ended)
      : client_(client),
        streams_(streams),
        ended_(ended),
        outputs_{CommandOutput{streams.output.get(), git::Stream::out}, CommandOutput{streams.errors.get(), git::Stream::err}} {}

  bool run() {
    for (;;) {
      pump_input();
      for (auto& output : outputs_)
        if (!pump_output(output)) return false;
      if (ended_seen_ && drained()) return true;
      std::vector<pollfd> watched;
      if (!pending_.empty() && streams_.input) watched.push_back({streams_.input.get(), POLLOUT, 0});
      if (client_.writable() > 0)
        for (const auto& output : outputs_)
          if (!output.done()) watched.push_back({output.fd, POLLIN, 0});
      if (!ended_seen_) watched.push_back({ended_, POLLIN, 0});
      if (!client_.wait(watched, Clock::now() + kNoDeadline)) return false;
      if (!ended_seen_ && watched.back().revents) ended_seen_ = true;
    }
  }

 private:
  // After the command has exited: nothing more waits in its outputs.
  bool drained() const {
    return std::all_of(outputs_.begin(), outputs_.end(),
                       [](const CommandOutput& output) { return output.done() || output.empty; });
  }

  // Takes from the client only when the last chunk has gone to the command,
  // so a command that does not read slows the client down (its SSH window).
  void pump_input() {
    std::array<char, kChunk> buffer;
    while (streams_.input) {
      if (pending_.empty()) {
        const auto n = client_.read(buffer);
        if (n == 0) break;
        pending_.assign(buffer.data(), n);
      }
      const ssize_t written = ::write(streams_.input.get(), pending_.data(), pending_.size());
      if (written > 0) {
        pending_.erase(0, static_cast<std::size_t>(written));
        continue;
      }
      if (written < 0 && (errno == EAGAIN || errno == EINTR)) return;
      pending_.clear();  // the command closed its stdin: nothing more to give it
      streams_.input.reset();
    }
    if (streams_.input && pending_.empty() && client_.input_ended()) streams_.input.reset();
  }

  // False once the client is gone. Never reads more than the client's window.
  bool pump_output(CommandOutput& output) {
    output.empty = false;
    std::array<char, kChunk> buffer;
    for (int rounds = 0; rounds < 8 && !output.done(); ++rounds) {
      const auto window = client_.writable();
      if (window == 0) return true;
      const ssize_t n = ::read(output.fd, buffer.data(), std::min(window, buffer.size()));
      if (n > 0) {
        if (!client_.write(output.stream, {buffer.data(), static_cast<std::size_t>(n)})) return false;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        output.empty = true;
        return true;
      }
      output.eof = true;  // 0, or EIO: a terminal whose every slave is closed
    }
    return true;
  }

  git::ClientChannel& client_;
  proc::AttachedStreams& streams_;
  const int ended_;
  std::array<CommandOutput, 2> outputs_;
  std::string pending_;  // read from the client, not yet taken by the command
  bool ended_seen_ = false;
};

}  // namespace

std::optional<Terminal> terminal_request(const char* term, int cols, int rows) {
  const std::string_view name(term ? term : "");
  if (name.empty() || name.size() > kMaxTermLength || !std::all_of(name.begin(), name.end(), is_term_char))
    return std::nullopt;
  return Terminal{std::string(name), proc::window_size(cols, rows)};
}

bool relay_streams(git::ClientChannel& client, proc::AttachedStreams& streams, int ended) {
  return StreamRelay(client, streams, ended).run();
}

}  // namespace porter::ssh
