#include "ssh/session.hpp"

#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <regex>

#include "proc/process_group.hpp"

namespace porter::ssh {
namespace {
namespace bp = boost::process::v2;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 32 * 1024;
constexpr std::chrono::seconds kCloseGrace{2};  // for the client to close after exit-status

std::atomic<std::uint64_t> next_session_id{1};

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Wakes ssh_event_dopoll when a child pipe is ready; the work is done in the
// session loop, never inside libssh's poll.
int wake_only(socket_t, int, void*) { return 0; }

// One child output pipe (stdout or stderr) copied to the channel.
struct ChildOutput {
  int fd = -1;
  bool to_stderr = false;
  bool watched = false;
  bool eof = false;
};

class Session {
 public:
  Session(ssh_session session, SessionHandler& handler, SessionLimits limits)
      : session_(session), handler_(handler), limits_(limits), id_(next_session_id++) {}

  ~Session() {
    if (event_) ssh_event_free(event_);
    if (channel_) ssh_channel_free(channel_);
    ssh_disconnect(session_);
    ssh_free(session_);
  }

  void run() {
    const auto started = Clock::now();
    if (negotiate()) serve_request();
    spdlog::info("ssh session end session={} user={} seconds={:.1f}", id_, identity_ ? identity_->name : "-",
                 std::chrono::duration<double>(Clock::now() - started).count());
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
      spdlog::debug("ssh key exchange failed session={} error={}", id_, ssh_get_error(session_));
      return false;
    }
    event_ = ssh_event_new();
    if (!event_ || ssh_event_add_session(event_, session_) != SSH_OK) return false;
    const auto deadline = Clock::now() + limits_.auth;
    while (!command_ && !shell_requested_) {
      if (Clock::now() > deadline) {
        spdlog::info("ssh session timed out before a command session={}", id_);
        return false;
      }
      if (ssh_event_dopoll(event_, 200) == SSH_ERROR || !connected()) return false;
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
      auto identity = self->handler_.authorize(key);
      if (!identity) {
        spdlog::info("ssh key refused session={} key={}", self->id_, fingerprint(key));
        return SSH_AUTH_DENIED;
      }
      if (state == SSH_PUBLICKEY_STATE_VALID) {
        self->identity_ = identity;
        spdlog::info("ssh authenticated session={} user={}", self->id_, identity->name);
      }
      return SSH_AUTH_SUCCESS;
    } catch (const std::exception& e) {
      spdlog::error("auth callback failed session={} error={}", self->id_, e.what());
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
  static int on_pty(ssh_session, ssh_channel, const char*, int, int, int, int, void*) { return SSH_ERROR; }

  static int on_env(ssh_session, ssh_channel, const char* name, const char* value, void* self_ptr) {
    static const std::regex protocol_value("[A-Za-z0-9=:.,_-]{1,64}");
    if (std::string(name) != "GIT_PROTOCOL" || !std::regex_match(value, protocol_value)) return SSH_ERROR;
    static_cast<Session*>(self_ptr)->git_protocol_ = value;
    return SSH_OK;
  }

  // ---- the request -------------------------------------------------------

  void serve_request() {
    if (shell_requested_)
      return finish(1, "porter: no shell here; this server accepts git push and git fetch\n", true);
    auto request = parse_exec_command(*command_);
    if (auto* error = std::get_if<ExecError>(&request)) {
      spdlog::info("ssh exec refused session={} user={} reason={:?}", id_, identity_->name, error->message);
      return finish(1, "porter: " + error->message + "\n", true);
    }
    if (auto* admin = std::get_if<AdminRequest>(&request)) {
      // Never the whole command: config:set carries secret values.
      spdlog::info("ssh command session={} user={} verb={} app={} env={}", id_, identity_->name, admin->verb,
                   admin->app, admin->env);
      CommandOutput output{[this](const std::string& text) { return write_out(text, false); },
                           [this](const std::string& text) { write_out(text, true); }};
      return finish(handler_.run_admin(*admin, *identity_, output), "", false);
    }
    const auto& git = std::get<GitRequest>(request);
    spdlog::info("ssh exec session={} user={} service={} app={}", id_, identity_->name,
                 git_service_program(git.service), git.app);
    auto launch = handler_.prepare_git(git, *identity_, git_protocol_);
    if (auto* error = std::get_if<ExecError>(&launch)) return finish(1, "porter: " + error->message + "\n", true);
    bridge_git(std::get<GitLaunch>(launch));
  }

  bool write_out(const std::string& text, bool to_stderr) {
    const auto size = static_cast<uint32_t>(text.size());
    int rc = to_stderr ? ssh_channel_write_stderr(channel_, text.data(), size)
                       : ssh_channel_write(channel_, text.data(), size);
    return rc != SSH_ERROR && connected();
  }

  // Sends output, exit status, EOF and close, then lets the client close.
  void finish(int exit_code, const std::string& output, bool to_stderr) {
    if (!output.empty()) {
      if (to_stderr)
        ssh_channel_write_stderr(channel_, output.data(), static_cast<uint32_t>(output.size()));
      else
        ssh_channel_write(channel_, output.data(), static_cast<uint32_t>(output.size()));
    }
    ssh_channel_request_send_exit_status(channel_, exit_code);
    ssh_channel_send_eof(channel_);
    ssh_channel_close(channel_);
    // Let the client read all of it and hang up first; closing the TCP
    // connection under it would lose the exit status.
    const auto deadline = Clock::now() + kCloseGrace;
    while (connected() && Clock::now() < deadline)
      if (ssh_event_dopoll(event_, 100) == SSH_ERROR) break;
  }

  // ---- git child <-> channel ---------------------------------------------

  void bridge_git(GitLaunch& launch) {
    asio::io_context ctx;
    asio::writable_pipe child_in(ctx);
    asio::readable_pipe child_out(ctx), child_err(ctx);
    bp::error_code ec;
    auto exe = proc::find_program(launch.command.program);
    bp::process child(ctx, exe, launch.command.args, bp::process_stdio{child_in, child_out, child_err},
                      bp::process_environment(proc::child_environment(launch.command.env)),
                      bp::process_start_dir(bp::filesystem::path(launch.command.dir.string())), proc::isolated_child{});
    const int pgid = child.id();
    stdin_fd_ = child_in.native_handle();
    ChildOutput out{child_out.native_handle(), false}, err{child_err.native_handle(), true};
    for (int fd : {stdin_fd_, out.fd, err.fd}) set_nonblocking(fd);

    bool client_gone = false;
    auto last_activity = Clock::now();
    while (!(out.eof && err.eof)) {
      if (ssh_event_dopoll(event_, 500) == SSH_ERROR || !connected() || ssh_channel_is_closed(channel_)) {
        client_gone = true;
        break;
      }
      bool moved = pump_channel_to_child(child_in);
      for (auto* stream : {&out, &err}) {
        auto copied = pump_child_to_channel(*stream);
        if (copied < 0) client_gone = true;
        moved = moved || copied > 0;
      }
      if (client_gone) break;
      if (moved) {
        last_activity = Clock::now();
      } else if (Clock::now() - last_activity > limits_.idle) {
        spdlog::info("ssh session idle timeout session={}", id_);
        client_gone = true;
        break;
      }
    }
    for (auto* stream : {&out, &err}) unwatch(*stream);
    unwatch_stdin();
    if (client_gone) {
      spdlog::info("ssh client gone, stopping git session={}", id_);
      proc::kill_group(pgid, std::chrono::seconds(2));
    }
    child.wait(ec);
    const int exit_code = ec ? 255 : child.exit_code();
    handler_.git_finished(launch.session_token);
    if (!client_gone) finish(exit_code, "", false);
  }

  // Returns true if bytes moved. Reads from the channel only what the child
  // can take, so a slow child slows the client down (SSH window backpressure).
  bool pump_channel_to_child(asio::writable_pipe& child_in) {
    bool moved = false;
    char buffer[kChunk];
    while (stdin_fd_ >= 0) {
      if (pending_input_.empty()) {
        int n = ssh_channel_read_nonblocking(channel_, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        pending_input_.assign(buffer, static_cast<std::size_t>(n));
      }
      ssize_t written = ::write(stdin_fd_, pending_input_.data(), pending_input_.size());
      if (written > 0) {
        pending_input_.erase(0, static_cast<std::size_t>(written));
        moved = true;
        continue;
      }
      if (written < 0 && (errno == EAGAIN || errno == EINTR)) break;
      pending_input_.clear();  // the child closed its stdin: nothing more to give it
      close_stdin(child_in);
    }
    if (stdin_fd_ >= 0 && pending_input_.empty() && ssh_channel_is_eof(channel_)) close_stdin(child_in);
    // Wake up when the child can take more of what is pending.
    if (!pending_input_.empty() && !stdin_watched_) {
      ssh_event_add_fd(event_, stdin_fd_, POLLOUT, wake_only, nullptr);
      stdin_watched_ = true;
    } else if (pending_input_.empty()) {
      unwatch_stdin();
    }
    return moved;
  }

  void close_stdin(asio::writable_pipe& child_in) {
    unwatch_stdin();
    bp::error_code ignored;
    child_in.close(ignored);
    stdin_fd_ = -1;
  }

  void unwatch_stdin() {
    if (stdin_watched_) ssh_event_remove_fd(event_, stdin_fd_);
    stdin_watched_ = false;
  }

  // Bytes copied, 0 if none, -1 if the client is gone. Never reads more than
  // the client's window allows; a full window pauses the child (its pipe fills).
  long pump_child_to_channel(ChildOutput& stream) {
    if (stream.eof) return 0;
    long copied = 0;
    char buffer[kChunk];
    for (int rounds = 0; rounds < 8; ++rounds) {
      const uint32_t window = ssh_channel_window_size(channel_);
      if (window == 0) break;
      ssize_t n = ::read(stream.fd, buffer, std::min<std::size_t>(window, sizeof buffer));
      if (n == 0) {
        stream.eof = true;
        break;
      }
      if (n < 0) break;  // EAGAIN: nothing now
      int rc = stream.to_stderr ? ssh_channel_write_stderr(channel_, buffer, static_cast<uint32_t>(n))
                                : ssh_channel_write(channel_, buffer, static_cast<uint32_t>(n));
      if (rc == SSH_ERROR) return -1;
      copied += n;
    }
    const bool want_watch = !stream.eof && ssh_channel_window_size(channel_) > 0;
    if (want_watch && !stream.watched) {
      ssh_event_add_fd(event_, stream.fd, POLLIN, wake_only, nullptr);
      stream.watched = true;
    } else if (!want_watch) {
      unwatch(stream);
    }
    return copied;
  }

  void unwatch(ChildOutput& stream) {
    if (stream.watched) ssh_event_remove_fd(event_, stream.fd);
    stream.watched = false;
  }

  ssh_session session_;
  SessionHandler& handler_;
  SessionLimits limits_;
  const std::uint64_t id_;
  ssh_event event_ = nullptr;
  ssh_channel channel_ = nullptr;
  ssh_server_callbacks_struct server_callbacks_{};
  ssh_channel_callbacks_struct channel_callbacks_{};
  std::optional<Identity> identity_;
  std::optional<std::string> command_;
  bool shell_requested_ = false;
  std::string git_protocol_;
  int stdin_fd_ = -1;
  bool stdin_watched_ = false;
  std::string pending_input_;
};

}  // namespace

void run_session(ssh_session session, SessionHandler& handler, SessionLimits limits) {
  Session(session, handler, limits).run();
}

}  // namespace porter::ssh
