#include "dashboard/http_server.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <thread>

#include "util/log.hpp"

namespace porter::dashboard {
namespace {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

const auto& log() {
  static const auto logger = util::logger("dashboard");
  return logger;
}

// A connected socket as Beast's SyncReadStream and SyncWriteStream: every
// read and write waits at most until the deadline, and not past a stop.
class FdStream {
 public:
  FdStream(int fd, const std::atomic<bool>& stopping) : fd_(fd), stopping_(stopping) {}

  void expire_after(std::chrono::seconds time) { deadline_ = Clock::now() + time; }

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
    const auto buffer = first_of(buffers);
    if (buffer.size() == 0) return ec = {}, 0;
    if (!wait_for(POLLIN, ec)) return 0;
    const auto n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n == 0) return ec = boost::asio::error::eof, 0;
    if (n < 0) return ec = error_code(errno, boost::system::system_category()), 0;
    ec = {};
    return static_cast<std::size_t>(n);
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    error_code ec;
    const auto n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, error_code& ec) {
    const auto buffer = first_of(buffers);
    if (buffer.size() == 0) return ec = {}, 0;
    if (!wait_for(POLLOUT, ec)) return 0;
    const auto n = ::send(fd_, buffer.data(), buffer.size(), MSG_NOSIGNAL);
    if (n < 0) return ec = error_code(errno, boost::system::system_category()), 0;
    ec = {};
    return static_cast<std::size_t>(n);
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    error_code ec;
    const auto n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  bool write_all(std::string_view text) {
    expire_after(HttpServer::kWriteTimeout);
    while (!text.empty()) {
      error_code ec;
      const auto n = write_some(boost::asio::const_buffer(text.data(), text.size()), ec);
      if (ec) return false;
      text.remove_prefix(n);
    }
    return true;
  }

  // Whether the client is still there: no EOF, no error (what it sends meanwhile is ignored).
  bool peer_open() {
    pollfd entry{fd_, POLLIN | POLLRDHUP, 0};
    if (::poll(&entry, 1, 0) <= 0) return true;
    if (entry.revents & (POLLERR | POLLHUP | POLLRDHUP)) return false;
    char discard[512];
    return ::recv(fd_, discard, sizeof discard, MSG_DONTWAIT) > 0;
  }

  bool stopping() const { return stopping_; }

 private:
  template <class Buffers>
  static auto first_of(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it)
      if (boost::asio::buffer_size(*it) > 0) return *it;
    return *boost::asio::buffer_sequence_begin(buffers);
  }

  // Polls in short slices, so that a stopping server is noticed.
  bool wait_for(short events, error_code& ec) {
    constexpr std::chrono::milliseconds kSlice{200};
    while (!stopping_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) break;
      pollfd entry{fd_, events, 0};
      const int ready = ::poll(&entry, 1, static_cast<int>(std::min(left, kSlice).count()));
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return ec = error_code(errno, boost::system::system_category()), false;
    }
    ec = boost::asio::error::timed_out;
    return false;
  }

  int fd_;
  const std::atomic<bool>& stopping_;
  Clock::time_point deadline_ = Clock::now();
};

class SocketEventSink final : public EventSink {
 public:
  explicit SocketEventSink(FdStream& stream) : stream_(stream) {}

  bool send(std::string_view data, std::string_view type) override {
    std::string event;
    if (!type.empty()) event += "event: " + std::string(type) + "\n";
    while (true) {  // a line per data: field; a newline inside would end the field
      const auto end = data.find('\n');
      event += "data: ";
      event += data.substr(0, end);
      event += '\n';
      if (end == std::string_view::npos) break;
      data.remove_prefix(end + 1);
    }
    event += '\n';
    return open_ = open_ && stream_.write_all(event);
  }
  bool alive() override { return open_ = open_ && !stream_.stopping() && stream_.peer_open(); }

 private:
  FdStream& stream_;
  bool open_ = true;
};

std::string lowercase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

Request to_request(const http::request<http::string_body>& message, const std::string& client) {
  Request request;
  request.method = std::string(message.method_string());
  const std::string_view target = message.target();
  const auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos)
    request.query = parse_query(target.substr(question + 1)).value_or(std::map<std::string, std::string>{});
  for (const auto& field : message) request.headers[lowercase(std::string(field.name_string()))] = std::string(field.value());
  request.body = message.body();
  request.client = client;
  return request;
}

void write_response(FdStream& stream, const Response& response, bool keep_alive) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), 11};
  message.set(http::field::content_type, response.content_type);
  message.set(http::field::cache_control, "no-store");
  message.set("X-Content-Type-Options", "nosniff");
  message.set("X-Frame-Options", "DENY");
  message.set("Referrer-Policy", "no-referrer");  // login tokens sit in paths
  for (const auto& [name, value] : response.headers) message.set(name, value);
  message.body() = response.body;
  message.keep_alive(keep_alive);
  message.prepare_payload();
  stream.expire_after(HttpServer::kWriteTimeout);
  error_code ec;
  http::write(stream, message, ec);
}

Response plain_error(int status, const std::string& message) {
  return {status, "application/json", "{\"error\":\"" + message + "\"}\n", {}, {}};
}

std::string peer_address(const sockaddr_storage& address) {
  char host[NI_MAXHOST] = "";
  ::getnameinfo(reinterpret_cast<const sockaddr*>(&address), sizeof address, host, sizeof host, nullptr, 0,
                NI_NUMERICHOST);
  return host;
}

}  // namespace

std::string Request::header(const std::string& lowercase_name) const {
  const auto it = headers.find(lowercase_name);
  return it == headers.end() ? "" : it->second;
}

std::string Request::cookie(const std::string& name) const {
  const auto header_text = header("cookie");
  std::string_view text = header_text;
  while (!text.empty()) {
    const auto end = text.find(';');
    auto item = text.substr(0, end);
    while (item.starts_with(' ')) item.remove_prefix(1);
    const auto equals = item.find('=');
    if (equals != std::string_view::npos && item.substr(0, equals) == name) return std::string(item.substr(equals + 1));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return "";
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const auto hex = std::string(text.substr(i + 1, 2));
      if (!std::isxdigit(static_cast<unsigned char>(hex[0])) ||
          !std::isxdigit(static_cast<unsigned char>(hex[1])))
        return std::nullopt;
      out += static_cast<char>(std::stoi(hex, nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> parse_query(std::string_view text) {
  std::map<std::string, std::string> pairs;
  while (!text.empty()) {
    const auto end = text.find('&');
    const auto item = text.substr(0, end);
    const auto equals = item.find('=');
    auto key = percent_decode(item.substr(0, equals), true);
    auto value = percent_decode(equals == std::string_view::npos ? "" : item.substr(equals + 1), true);
    if (!key || !value) return std::nullopt;
    if (!key->empty()) pairs[*key] = *value;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return pairs;
}

HttpServer::~HttpServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

Result<> HttpServer::listen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  const auto bare_host = host.starts_with('[') ? host.substr(1, host.size() - 2) : host;
  addrinfo* found = nullptr;
  if (::getaddrinfo(bare_host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found)
    return fail("dashboard: cannot resolve " + host);
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  const bool bound = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 64) == 0;
  const int error = errno;
  ::freeaddrinfo(found);
  if (!bound) {
    if (fd >= 0) ::close(fd);
    return fail("dashboard: cannot listen on " + host + ":" + std::to_string(port) + ": " + std::strerror(error));
  }
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  listen_fd_ = fd;
  return ok();
}

void HttpServer::serve(std::stop_token stop, std::chrono::seconds grace) {
  while (!stop.stop_requested()) {
    pollfd entry{listen_fd_, POLLIN, 0};
    if (::poll(&entry, 1, 200) <= 0) continue;
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard lock(mutex_);
      if (open_ >= kMaxConnections) {
        static constexpr std::string_view kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        ::send(fd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::close(fd);
        continue;
      }
      ++open_;
    }
    std::thread([this, fd, client = peer_address(address)] {
      try {
        handle_connection(fd, client);
      } catch (const std::exception& e) {  // a full disk, say: this thread must not take the daemon down
        log()->error("dashboard connection failed: {}", e.what());
      }
      ::close(fd);
      std::lock_guard lock(mutex_);
      --open_;
      ended_.notify_all();
    }).detach();
  }
  stopping_ = true;
  std::unique_lock lock(mutex_);
  if (!ended_.wait_for(lock, grace, [&] { return open_ == 0; }))
    log()->warn("{} dashboard connection(s) still open at shutdown", open_);
}

void HttpServer::handle_connection(int fd, std::string client) {
  constexpr int kRequestsPerConnection = 1000;
  FdStream stream(fd, stopping_);
  boost::beast::flat_buffer buffer(kMaxHeader + kMaxBody);
  for (int served = 0; served < kRequestsPerConnection && !stopping_; ++served) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeader);
    parser.body_limit(kMaxBody);
    stream.expire_after(kReadTimeout);
    error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::body_limit) return write_response(stream, plain_error(413, "request body over 64 KiB"), false);
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return write_response(stream, plain_error(431, "request headers over 8 KiB"), false);
    if (ec == http::error::end_of_stream || ec == boost::asio::error::eof || ec == boost::asio::error::timed_out) return;
    if (ec) return write_response(stream, plain_error(400, "malformed HTTP request"), false);
    const auto& message = parser.get();
    Response response;
    try {
      response = handler_(to_request(message, client));
    } catch (const std::exception& e) {
      log()->error("{} request failed: {}", std::string(message.method_string()), e.what());  // paths may hold tokens
      response = plain_error(500, "internal error");
    }
    if (response.stream) {
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                         "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n";
      if (!stream.write_all(head)) return;
      SocketEventSink sink(stream);
      response.stream(sink);
      return;
    }
    const bool keep_alive = message.keep_alive() && !stopping_;
    write_response(stream, response, keep_alive);
    if (!keep_alive) return;
  }
}

}  // namespace porter::dashboard
