#pragma once
// A small HTTP/1.1 server for the dashboard: Boost.Beast parses and writes
// messages over plain sockets read with deadlines. One thread per connection,
// at most kMaxConnections at once; bodies at most 64 KiB, headers 8 KiB.
// Server-Sent Events stream from the handler's thread until it returns.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace porter::dashboard {

struct Request {
  std::string method;  // "GET"
  std::string path;    // without the query, not decoded
  std::map<std::string, std::string> query;   // decoded
  std::map<std::string, std::string> headers;  // names lowercase
  std::string body;
  std::string client;  // peer address, for logs

  std::string header(const std::string& lowercase_name) const;
  std::string cookie(const std::string& name) const;
};

// An open event stream: send() writes one event (its lines as data: lines);
// alive() is false once the client went away or the server is stopping.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // `event`: the event's type ("" for the default, message).
  virtual bool send(std::string_view data, std::string_view event = {}) = 0;
  virtual bool alive() = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // extra: Set-Cookie, Location...
  // When set, the response is an event stream that this writes to (the body is unused).
  std::function<void(EventSink&)> stream;
};

using Handler = std::function<Response(const Request&)>;

// Splits "a=1&b=x%20y" into decoded pairs; nullopt on a bad escape.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view text);
// Percent-decodes a path segment or query part ('+' as space only in queries).
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

class HttpServer {
 public:
  static constexpr std::size_t kMaxBody = 64 * 1024;
  static constexpr std::size_t kMaxHeader = 8 * 1024;
  static constexpr std::size_t kMaxConnections = 64;
  static constexpr std::chrono::seconds kReadTimeout{15};   // for a request, once the connection is open
  static constexpr std::chrono::seconds kWriteTimeout{15};  // for each write to a slow client

  explicit HttpServer(Handler handler) : handler_(std::move(handler)) {}
  ~HttpServer();

  Result<> listen(const std::string& host, int port);
  int bound_port() const { return port_; }
  // Accepts until `stop`; then waits (up to `grace`) for connections to end.
  void serve(std::stop_token stop, std::chrono::seconds grace);

 private:
  void handle_connection(int fd, std::string client);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable ended_;
  std::size_t open_ = 0;
};

}  // namespace porter::dashboard
