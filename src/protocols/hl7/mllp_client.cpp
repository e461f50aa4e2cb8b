#include "protocols/hl7/mllp_client.h"

#include <fmt/format.h>

#include <boost/asio.hpp>

#include "protocols/hl7/mllp_server.h"

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
