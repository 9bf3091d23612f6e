#include "http/probe.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace porter::http {
namespace asio = boost::asio;
namespace beast = boost::beast;

Result<int> get_status(const std::string& host, int port, const std::string& path,
                       std::chrono::milliseconds timeout) {
  asio::io_context ctx;
  beast::tcp_stream stream(ctx);
  std::optional<int> status;
  beast::error_code failure;  // of the step that ended the exchange
  beast::flat_buffer buffer;
  beast::http::request<beast::http::empty_body> request{beast::http::verb::get, path, 11};
  request.set(beast::http::field::host, host);
  request.set(beast::http::field::user_agent, "porter-healthcheck");
  beast::http::response<beast::http::string_body> response;
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port));

  stream.expires_after(timeout);  // one deadline for connect, write and read
  stream.async_connect(endpoint, [&](beast::error_code ec) {
    if ((failure = ec)) return;
    beast::http::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
      if ((failure = ec)) return;
      beast::http::async_read(stream, buffer, response, [&](beast::error_code ec, std::size_t) {
        if (!(failure = ec)) status = response.result_int();
      });
    });
  });
  ctx.run();
  if (status) return *status;
  if (failure == beast::error::timeout)
    return fail("no answer within " + std::to_string(std::chrono::ceil<std::chrono::seconds>(timeout).count()) + " s");
  if (failure == beast::http::error::end_of_stream) return fail("closed without an answer");
  return fail(failure.message());
}

}  // namespace porter::http
