#include "http/probe.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace porter::http {
namespace {

using namespace std::chrono_literals;

// A listening socket on 127.0.0.1 whose connections a test answers (or not).
class Listener {
 public:
  Listener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }

  // Accepts one connection, reads the request and writes `reply` (nothing when empty).
  std::jthread answer_once(std::string reply) {
    return std::jthread([this, reply = std::move(reply)] {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char request[4096];
      (void)::read(client, request, sizeof request);
      if (!reply.empty()) (void)::write(client, reply.data(), reply.size());
      ::close(client);
    });
  }

 private:
  int fd_;
  int port_ = 0;
};

TEST(GetStatus, ReturnsTheStatusCode) {
  Listener listener;
  auto server = listener.answer_once("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  const auto status = get_status("127.0.0.1", listener.port(), "/health", 5s);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(*status, 204);
}

TEST(GetStatus, SaysTheConnectionWasRefused) {
  const int port = Listener().port();  // closed at once
  const auto status = get_status("127.0.0.1", port, "/", 5s);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message, "Connection refused");
}

TEST(GetStatus, SaysNoAnswerCameInTime) {
  Listener listener;  // accepted by the kernel, never answered
  const auto status = get_status("127.0.0.1", listener.port(), "/", 1s);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message, "no answer within 1 s");
}

TEST(GetStatus, SaysTheConnectionClosedWithoutAnAnswer) {
  Listener listener;
  auto server = listener.answer_once("");
  const auto status = get_status("127.0.0.1", listener.port(), "/", 5s);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message, "closed without an answer");
}

}  // namespace
}  // namespace porter::http
