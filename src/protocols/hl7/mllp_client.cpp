#include "protocols/hl7/mllp_client.h"

#include <fmt/format.h>

#include <boost/asio.hpp>

#include "protocols/hl7/mllp_server.h"
#include "protocols/tls/tls_connection.h"

namespace systole::hl7 {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Runs the started asynchronous operation until `done`, or fails it after `timeout`.
bool RunUntil(asio::io_context& io, tcp::socket& socket, const bool& done, std::chrono::milliseconds timeout) {
  io.restart();
  io.run_for(timeout);
  if (done) return true;
  boost::system::error_code ignored;
  socket.close(ignored);  // cancels the operation; its handler runs below
  io.restart();
  io.run();
  return false;
}

// The exchange over TLS on the connected socket: blocking, each step bounded by the socket timeouts.
Result<std::string> TlsExchange(const MllpEndpoint& endpoint, tcp::socket& socket, std::string_view message,
                                const std::string& where) {
  auto context = tls::ClientContext(endpoint.tls_files);
  if (!context) return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: {}", where, context.error().message));
  boost::system::error_code ignored;
  socket.native_non_blocking(false, ignored);
  const int fd = socket.native_handle();
  const auto ms = endpoint.timeout.count();
  timeval timeout{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  auto connection = tls::Connection::Connect(context->get(), fd, endpoint.host);
  if (!connection) return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: {}", where, connection.error().message));
  if (!(*connection)->WriteAll(MllpFrame(message)))
    return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: send failed", where));
  std::string bytes;
  char chunk[16384];
  while (bytes.find("\x1c\x0d") == std::string::npos) {
    if (bytes.size() > endpoint.max_answer_bytes)
      return Fail(ErrorCode::kInvalidArgument, fmt::format("MLLP {}: answer over {} bytes", where, endpoint.max_answer_bytes));
    const auto n = (*connection)->Read(chunk, sizeof(chunk));
    if (n <= 0) return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: no answer (closed or timed out)", where));
    bytes.append(chunk, static_cast<std::size_t>(n));
  }
  bytes.resize(bytes.find("\x1c\x0d"));
  const auto start = bytes.find('\x0b');
  if (start == std::string::npos)
    return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: answer without a start block", where));
  return bytes.substr(start + 1);
}

}  // namespace

Result<std::string> MllpExchange(const MllpEndpoint& endpoint, std::string_view message) {
  const std::string where = fmt::format("{}:{}", endpoint.host, endpoint.port);
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code error;
  bool done = false;

  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(endpoint.host, std::to_string(endpoint.port), error);
  if (error) return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: cannot resolve: {}", where, error.message()));
  asio::async_connect(socket, endpoints, [&](const boost::system::error_code& e, const tcp::endpoint&) {
    error = e;
    done = true;
  });
  if (!RunUntil(io, socket, done, endpoint.timeout))
    return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: connect timed out", where));
  if (error) return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: connect: {}", where, error.message()));
  if (endpoint.tls) return TlsExchange(endpoint, socket, message, where);

  const std::string framed = MllpFrame(message);
  done = false;
  asio::async_write(socket, asio::buffer(framed), [&](const boost::system::error_code& e, std::size_t) {
    error = e;
    done = true;
  });
  if (!RunUntil(io, socket, done, endpoint.timeout))
    return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: send timed out", where));
  if (error) return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: send: {}", where, error.message()));

  asio::streambuf answer(endpoint.max_answer_bytes);
  std::size_t length = 0;
  done = false;
  asio::async_read_until(socket, answer, std::string("\x1c\x0d"), [&](const boost::system::error_code& e, std::size_t n) {
    error = e;
    length = n;
    done = true;
  });
  if (!RunUntil(io, socket, done, endpoint.timeout))
    return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: no answer within {} ms", where, endpoint.timeout.count()));
  if (error == asio::error::not_found)
    return Fail(ErrorCode::kInvalidArgument, fmt::format("MLLP {}: answer over {} bytes", where, endpoint.max_answer_bytes));
  if (error) return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: no answer: {}", where, error.message()));
  std::string bytes(asio::buffers_begin(answer.data()), asio::buffers_begin(answer.data()) + length - 2);
  auto start = bytes.find('\x0b');
  if (start == std::string::npos)
    return Fail(ErrorCode::kUnavailable, fmt::format("MLLP {}: answer without a start block", where));
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  return bytes.substr(start + 1);
}

}  // namespace systole::hl7
