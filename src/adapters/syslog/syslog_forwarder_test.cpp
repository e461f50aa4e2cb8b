// The forwarder against a real local TCP collector, and against none.
#include "adapters/syslog/syslog_forwarder.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace systole::adapters {
namespace {

using namespace std::chrono_literals;

// A listening loopback socket on a free port.
int Listen(std::uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 4) != 0) return -1;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

domain::AuditRecord Record(std::int64_t seq) {
  domain::AuditRecord record;
  record.seq = seq;
  record.recorded_at = 1795403400123;
  record.message = "{\"seq\":" + std::to_string(seq) + "}";
  return record;
}

TEST(SyslogForwarderTest, SendsOctetCountedLinesOverTcpInOrder) {
  std::uint16_t port = 0;
  const int listener = Listen(port);
  ASSERT_GE(listener, 0);
  auto forwarder = SyslogForwarder::Start({"127.0.0.1", port, SyslogTransport::kTcp, {}, 100});
  ASSERT_TRUE(forwarder) << forwarder.error().message;
  (*forwarder)->Forward(Record(1), "110112");
  (*forwarder)->Forward(Record(2), "110103");
  const int connection = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(connection, 0);
  timeval timeout{5, 0};
  ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string received;
  char buffer[4096];
  while (received.find("{\"seq\":2}") == std::string::npos) {
    const auto n = ::recv(connection, buffer, sizeof(buffer), 0);
    ASSERT_GT(n, 0) << received;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  const auto first = received.find(' ');
  const std::size_t length = std::stoul(received.substr(0, first));
  const std::string line = received.substr(first + 1, length);
  EXPECT_TRUE(line.starts_with("<85>1 2026-11-23T03:10:00.123Z ")) << line;
  EXPECT_NE(line.find(" systole "), std::string::npos);
  EXPECT_TRUE(line.ends_with(" 110112 - {\"seq\":1}")) << line;
  EXPECT_NE(received.find(" 110103 - {\"seq\":2}", first + 1 + length), std::string::npos) << received;
  forwarder->reset();
  EXPECT_EQ(::close(connection), 0);
  ::close(listener);
}

TEST(SyslogForwarderTest, WithoutACollectorRecordsQueueUpToTheLimitThenDropWithoutBlocking) {
  std::uint16_t port = 0;
  const int listener = Listen(port);
  ::close(listener);  // nobody listens there now
  auto forwarder = SyslogForwarder::Start({"127.0.0.1", port, SyslogTransport::kTcp, {}, 3});
  ASSERT_TRUE(forwarder);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 1; i <= 10; ++i) (*forwarder)->Forward(Record(i), "110112");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 100ms);
  EXPECT_GE((*forwarder)->dropped(), 6u);  // 3 queued (one may be in the sender's hands)
  EXPECT_EQ((*forwarder)->sent(), 0u);
}

TEST(SyslogForwarderTest, UdpSendsOneDatagramPerRecordWithoutFraming) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  auto forwarder = SyslogForwarder::Start({"127.0.0.1", ntohs(address.sin_port), SyslogTransport::kUdp, {}, 100});
  ASSERT_TRUE(forwarder);
  (*forwarder)->Forward(Record(9), "110114");
  char buffer[4096];
  const auto n = ::recv(fd, buffer, sizeof(buffer), 0);
  ASSERT_GT(n, 0);
  const std::string datagram(buffer, static_cast<std::size_t>(n));
  EXPECT_TRUE(datagram.starts_with("<85>1 2026-11-23T03:10:00.123Z ")) << datagram;
  EXPECT_TRUE(datagram.ends_with(" 110114 - {\"seq\":9}")) << datagram;
  ::close(fd);
}

TEST(SyslogForwarderTest, TransportNames) {
  EXPECT_EQ(*ParseSyslogTransport("udp"), SyslogTransport::kUdp);
  EXPECT_EQ(*ParseSyslogTransport("tls"), SyslogTransport::kTls);
  EXPECT_FALSE(ParseSyslogTransport("TLS"));
}

}  // namespace
}  // namespace systole::adapters
