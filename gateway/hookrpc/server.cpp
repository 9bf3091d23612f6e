#include "hookrpc/server.hpp"

#include "hookrpc/request_fields.hpp"
#include "util/log.hpp"

namespace porter::hookrpc {
namespace {

constexpr std::chrono::seconds kRequestTimeout{30};
constexpr std::size_t kMaxRequestBytes = 4 << 20;  // every ref line and push option of one push

}  // namespace

Result<HookRequest> read_request(Connection& connection) {
  HookRequest request;
  std::size_t received = 0;
  while (auto frame = connection.receive()) {
    if (frame->kind == FrameKind::end) return request;
    received += frame->payload.size();
    if (received > kMaxRequestBytes) return fail("the hook's request is too large");
    auto field = frame->kind == FrameKind::field ? decode_field(frame->payload) : std::nullopt;
    if (!field) break;
    auto& [name, value] = *field;
    if (name == field::session)
      request.session_token = std::move(value);
    else if (name == field::repo_dir)
      request.repo_dir = std::move(value);
    else if (name == field::ref_update)
      request.ref_lines.push_back(std::move(value));
    else if (name == field::push_option)
      request.push_options.push_back(std::move(value));
    else if (name.starts_with(field::git_env_prefix))
      request.git_env[name.substr(std::string_view(field::git_env_prefix).size())] = std::move(value);
  }
  return fail("incomplete request from the hook");
}

Result<> Server::listen(const std::filesystem::path& socket_path) { return listener_.listen(socket_path); }

void Server::start(PushHandler handler) {
  handler_ = std::move(handler);
  acceptor_ = std::jthread([this](std::stop_token stop) { accept_loop(stop); });
}

void Server::accept_loop(const std::stop_token& stop) {
  while (auto connection = listener_.accept(stop))
    pushes_.spawn([this, connection = std::make_shared<Connection>(std::move(*connection))](std::stop_token stop) {
      // At shutdown a push still running loses its hook: its job sees the
      // user gone and is cancelled.
      std::stop_callback on_stop(stop, [&] { connection->interrupt(); });
      serve(*connection);
    });
}

void Server::serve(Connection& connection) {
  int verdict = 1;
  try {
    // The hook sends its request at once; a client that does not is dropped.
    connection.set_receive_timeout(kRequestTimeout);
    auto request = read_request(connection);
    if (!request) {
      connection.send(FrameKind::output, "error: " + request.error().message + "\n");
    } else {
      verdict = handler_(*request, [&](const std::string& text) { return connection.send(FrameKind::output, text); });
    }
  } catch (const std::exception& e) {
    util::logger("hookrpc")->error("push job crashed: {}", e.what());
    connection.send(FrameKind::output, "error: internal error (see the gateway log)\n");
  }
  connection.send(FrameKind::verdict, std::string(1, static_cast<char>(verdict)));
}

void Server::shutdown() {
  if (acceptor_.joinable()) {
    acceptor_.request_stop();
    acceptor_.join();
  }
  pushes_.stop_and_join();
}

}  // namespace porter::hookrpc
