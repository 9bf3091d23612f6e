#include "ssh/session.hpp"

#include <libssh/callbacks.h>
#include <libssh/server.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <functional>
#include <optional>
#include <regex>

#include "git/bridge.hpp"
#include "ssh/attach.hpp"
#include "util/clock.hpp"
#include "util/log.hpp"

namespace porter::ssh {
namespace {
using Clock = std::chrono::steady_clock;
using util::milliseconds_until;

constexpr std::chrono::seconds kCloseGrace{2};  // for the client to close after exit-status
constexpr std::chrono::seconds kInputTime{60};  // at most, for a command's standard input to end

std::atomic<std::uint64_t> next_session_id{1};

const auto& log() {
  static const auto logger = util::logger("ssh");
  return logger;
}

// Records what poll saw on a watched descriptor.
int record_revents(socket_t, int revents, void* watched) {
  static_cast<pollfd*>(watched)->revents = static_cast<short>(revents);
  return 0;
}

class Session final : public git::ClientChannel {
 public:
  Session(ssh_session session, ConnectionLimits::Ticket ticket, SessionHandler& handler, SessionLimits limits,
          std::stop_token stop)
      : session_(session),
        ticket_(std::move(ticket)),
        handler_(handler),
        limits_(limits),
        id_(next_session_id++),
        client_address_(ticket_.address()),
        stop_(stop) {
    // Cuts the connection: any libssh call waiting on it returns an error.
    on_stop_.emplace(stop_, [this] { ::shutdown(ssh_get_fd(session_), SHUT_RDWR); });
  }

  ~Session() override {
    on_stop_.reset();  // waits for a running callback: the session must outlive it
    if (event_) ssh_event_free(event_);
    if (channel_) ssh_channel_free(channel_);
    ssh_disconnect(session_);
    ssh_free(session_);
  }

  void run() {
    const auto started = Clock::now();
    if (negotiate()) serve_request();
    log()->info("session end session={} user={} seconds={:.1f}", id_, identity_ ? identity_->name : "-",
                std::chrono::duration<double>(Clock::now() - started).count());
  }

  // ---- git::ClientChannel ----------------------------------------------

  std::size_t writable() override { return ssh_channel_window_size(channel_); }

  bool write(git::Stream stream, std::string_view bytes) override {
    const auto size = static_cast<uint32_t>(bytes.size());
    const int rc = stream == git::Stream::err ? ssh_channel_write_stderr(channel_, bytes.data(), size)
                                              : ssh_channel_write(channel_, bytes.data(), size);
    return rc != SSH_ERROR && connected();
  }

  std::size_t read(std::span<char> buffer) override {
    const int n = ssh_channel_read_nonblocking(channel_, buffer.data(), static_cast<uint32_t>(buffer.size()), 0);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }

  bool input_ended() override { return ssh_channel_is_eof(channel_); }

  bool wait(std::span<pollfd> fds, Clock::time_point deadline) override {
    for (auto& fd : fds) {
      fd.revents = 0;
      ssh_event_add_fd(event_, fd.fd, fd.events, record_revents, &fd);
    }
    const int rc = ssh_event_dopoll(event_, milliseconds_until(deadline));
    for (const auto& fd : fds) ssh_event_remove_fd(event_, fd.fd);
    return rc != SSH_ERROR && connected() && !ssh_channel_is_closed(channel_);
  }

 private:
  // ---- key exchange, auth, channel, request ----------------------------

  bool negotiate() {
    server_callbacks_.userdata = this;
    server_callbacks_.auth_pubkey_function = &Session::on_auth_pubkey;
    server_callbacks_.channel_open_request_session_function = &Session::on_channel_open;
    ssh_callbacks_init(&server_callbacks_);
    ssh_set_server_callbacks(session_, &server_callbacks_);
    ssh_set_auth_methods(session_, SSH_AUTH_METHOD_PUBLICKEY);
    long timeout = static_cast<long>(limits_.auth.count());
    ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &timeout);
    if (ssh_handle_key_exchange(session_) != SSH_OK) {
      log()->debug("key exchange failed session={} error={}", id_, ssh_get_error(session_));
      return false;
    }
    event_ = ssh_event_new();
    if (!event_ || ssh_event_add_session(event_, session_) != SSH_OK) return false;
    const auto deadline = Clock::now() + limits_.auth;
    while (!command_ && !shell_requested_) {
      if (Clock::now() >= deadline) {
        log()->info("session timed out before a command session={}", id_);
        return false;
      }
      if (ssh_event_dopoll(event_, milliseconds_until(deadline)) == SSH_ERROR || !connected()) return false;
    }
    return true;
  }

  bool connected() const {
    return ssh_is_connected(session_) && !(ssh_get_status(session_) & (SSH_CLOSED | SSH_CLOSED_ERROR));
  }

  static int on_auth_pubkey(ssh_session, const char*, struct ssh_key_struct* key, char state, void* self_ptr) {
    auto* self = static_cast<Session*>(self_ptr);
    try {
      // A key offered without a signature only asks "would you accept it?";
      // it is trusted once libssh has verified its signature (STATE_VALID).
      if (state != SSH_PUBLICKEY_STATE_NONE && state != SSH_PUBLICKEY_STATE_VALID) return SSH_AUTH_DENIED;
      auto identity = self->handler_.authorize(key, self->client_address_);
      if (!identity) {
        log()->info("key refused session={} key={}", self->id_, fingerprint(key));
        return SSH_AUTH_DENIED;
      }
      if (state == SSH_PUBLICKEY_STATE_VALID) {
        self->identity_ = identity;
        self->key_slot_ = self->ticket_.authenticated(fingerprint(key));
        log()->info("authenticated session={} user={}", self->id_, identity->name);
      }
      return SSH_AUTH_SUCCESS;
    } catch (const std::exception& e) {
      log()->error("auth callback failed session={} error={}", self->id_, e.what());
      return SSH_AUTH_DENIED;
    }
  }

  static ssh_channel on_channel_open(ssh_session session, void* self_ptr) {
    auto* self = static_cast<Session*>(self_ptr);
    if (!self->identity_ || self->channel_) return nullptr;  // one channel per session
    self->channel_ = ssh_channel_new(session);
    if (!self->channel_) return nullptr;
    auto& cb = self->channel_callbacks_;
    cb.userdata = self;
    cb.channel_exec_request_function = &Session::on_exec;
    cb.channel_shell_request_function = &Session::on_shell;
    cb.channel_subsystem_request_function = &Session::on_subsystem;
    cb.channel_pty_request_function = &Session::on_pty;
    cb.channel_pty_window_change_function = &Session::on_window_change;
    cb.channel_env_request_function = &Session::on_env;
    ssh_callbacks_init(&cb);
    ssh_set_channel_callbacks(self->channel_, &cb);
    return self->channel_;
  }

  static int on_exec(ssh_session, ssh_channel, const char* command, void* self_ptr) {
    auto* self = static_cast<Session*>(self_ptr);
    if (self->command_ || self->shell_requested_) return SSH_ERROR;
    self->command_ = command;  // copied: libssh frees its string after the callback
    return SSH_OK;
  }

  // Shells and subsystems are accepted only to answer with one clear line.
  static int on_shell(ssh_session, ssh_channel, void* self_ptr) {
    static_cast<Session*>(self_ptr)->shell_requested_ = true;
    return SSH_OK;
  }
  static int on_subsystem(ssh_session, ssh_channel, const char*, void* self_ptr) {
    static_cast<Session*>(self_ptr)->shell_requested_ = true;
    return SSH_OK;
  }
  // A terminal is accepted before the command is known (clients ask first);
  // only `run` uses it, other commands ignore it. A TERM that is not a plain
  // name is refused (the client goes on without a terminal).
  static int on_pty(ssh_session, ssh_channel, const char* term, int cols, int rows, int, int, void* self_ptr) {
    auto* self = static_cast<Session*>(self_ptr);
    if (self->terminal_ || self->command_) return SSH_ERROR;
    self->terminal_ = terminal_request(term, cols, rows);
    return self->terminal_ ? SSH_OK : SSH_ERROR;
  }

  // Reaches the command's terminal while it runs; before, its first size.
  static int on_window_change(ssh_session, ssh_channel, int cols, int rows, int, int, void* self_ptr) {
    auto* self = static_cast<Session*>(self_ptr);
    if (!self->terminal_) return SSH_ERROR;
    self->terminal_->size = proc::window_size(cols, rows);
    proc::set_window_size(self->terminal_master_, self->terminal_->size);
    return SSH_OK;
  }

  static int on_env(ssh_session, ssh_channel, const char* name, const char* value, void* self_ptr) {
    static const std::regex protocol_value("[A-Za-z0-9=:.,_-]{1,64}");
    if (std::string(name) != "GIT_PROTOCOL" || !std::regex_match(value, protocol_value)) return SSH_ERROR;
    static_cast<Session*>(self_ptr)->git_protocol_ = value;
    return SSH_OK;
  }

  // ---- the request -------------------------------------------------------

  void serve_request() {
    if (!key_slot_) {
      const auto why = "too many sessions for this key (" + std::to_string(ticket_.sessions_per_key()) + ")";
      log()->info("session refused session={} user={} reason={:?}", id_, identity_->name, why);
      return finish(1, "porter: " + why + "\n");
    }
    if (shell_requested_)
      return finish(1, "porter: no shell here; this server accepts git push and git fetch\n");
    auto request = parse_exec_command(*command_);
    if (!request) {
      log()->info("exec refused session={} user={} reason={:?}", id_, identity_->name, request.error().message);
      return finish(1, "porter: " + request.error().message + "\n");
    }
    if (auto* command = std::get_if<CommandRequest>(&*request)) {
      // Never the whole command: config:set carries secret values.
      log()->info("command session={} user={} verb={}", id_, identity_->name, command->words.front());
      CommandOutput output{[this](const std::string& text) { return write(git::Stream::out, text); },
                           [this](const std::string& text) { write(git::Stream::err, text); },
                           [this](std::size_t max_bytes) { return read_input(max_bytes); },
                           [this](std::chrono::milliseconds time) { return wait({}, Clock::now() + time); },
                           terminal_,
                           [this](proc::AttachedStreams& streams, int ended) { return relay(streams, ended); }};
      return finish(handler_.run_command(command->words, *identity_, output), "");
    }
    const auto& git = std::get<GitRequest>(*request);
    log()->info("exec session={} user={} service={} app={}", id_, identity_->name, git::program_name(git.service),
                git.app);
    auto launch = handler_.prepare_git(git, *identity_, git_protocol_);
    if (!launch) return finish(1, "porter: " + launch.error().message + "\n");
    const auto bridged = git::bridge(launch->command, *this, limits_.idle, stop_);
    handler_.git_finished(*launch);
    if (bridged.client_gone)
      log()->info("client gone, git stopped session={}", id_);
    else
      finish(bridged.exit_code, "");
  }

  // A management command's standard input, to the client's EOF (config:set
  // KEY --stdin). The command runs on this thread, so libssh is called from
  // it as always. Bounded: max_bytes + 1 bytes at most, and kInputTime (or
  // the idle limit, if shorter) for the whole of it.
  Result<std::string> read_input(std::size_t max_bytes) {
    const auto limit = std::min(limits_.idle, kInputTime);
    const auto deadline = Clock::now() + limit;
    std::string input;
    std::array<char, 16384> buffer;
    for (;;) {
      const auto wanted = std::min(buffer.size(), max_bytes + 1 - input.size());
      const auto got = read(std::span(buffer).first(wanted));
      input.append(buffer.data(), got);
      if (input.size() > max_bytes) return fail("more than " + std::to_string(max_bytes) + " bytes on standard input");
      if (got > 0) continue;
      if (input_ended()) return input;
      if (Clock::now() >= deadline)
        return fail("standard input did not end within " + std::to_string(limit.count()) + " s");
      if (!wait({}, deadline)) return fail("the client went away");
    }
  }

  // An attached command's streams, with the window changes that come meanwhile.
  bool relay(proc::AttachedStreams& streams, int ended) {
    terminal_master_ = streams.master();
    if (terminal_) proc::set_window_size(terminal_master_, terminal_->size);  // a change before it existed
    const bool stayed = relay_streams(*this, streams, ended);
    terminal_master_ = -1;
    return stayed;
  }

  // Sends any error text, the exit status, EOF and close, then lets the
  // client hang up first: closing the TCP connection under it would lose
  // the exit status.
  void finish(int exit_code, const std::string& error_text) {
    if (!error_text.empty()) write(git::Stream::err, error_text);
    ssh_channel_request_send_exit_status(channel_, exit_code);
    ssh_channel_send_eof(channel_);
    ssh_channel_close(channel_);
    const auto deadline = Clock::now() + kCloseGrace;
    while (connected() && Clock::now() < deadline)
      if (ssh_event_dopoll(event_, milliseconds_until(deadline)) == SSH_ERROR) break;
  }

  ssh_session session_;
  // Destroyed after the connection is closed (in ~Session): only then does
  // the connection stop counting.
  ConnectionLimits::Ticket ticket_;
  bool key_slot_ = false;  // holds a session slot of its key
  SessionHandler& handler_;
  SessionLimits limits_;
  const std::uint64_t id_;
  const std::string client_address_;
  std::stop_token stop_;
  std::optional<std::stop_callback<std::function<void()>>> on_stop_;
  ssh_event event_ = nullptr;
  ssh_channel channel_ = nullptr;
  ssh_server_callbacks_struct server_callbacks_{};
  ssh_channel_callbacks_struct channel_callbacks_{};
  std::optional<Identity> identity_;
  std::optional<std::string> command_;
  bool shell_requested_ = false;
  std::string git_protocol_;
  std::optional<Terminal> terminal_;  // what the client's pty request asked for
  int terminal_master_ = -1;          // the attached command's terminal, while it runs
};

}  // namespace

void run_session(ssh_session session, ConnectionLimits::Ticket ticket, SessionHandler& handler, SessionLimits limits,
                 std::stop_token stop) {
  Session(session, std::move(ticket), handler, limits, std::move(stop)).run();
}

}  // namespace porter::ssh
