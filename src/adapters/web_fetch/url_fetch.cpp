#include "adapters/web_fetch/url_fetch.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace systole::adapters {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// One GET on a connected stream (plain or TLS); the response body if 200.
template <typename Stream>
Result<std::string> Get(Stream& stream, const UrlParts& parts, const std::string& url, std::size_t max_bytes) {
  bhttp::request<bhttp::empty_body> request(bhttp::verb::get, parts.target, 11);
  request.set(bhttp::field::host, parts.host);
  request.set(bhttp::field::user_agent, "Systole");
  request.set(bhttp::field::accept, "application/json");
  bhttp::write(stream, request);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_bytes);
  bhttp::read(stream, buffer, parser);
  const auto& response = parser.get();
  if (response.result_int() != 200)
    return Fail(ErrorCode::kUnavailable, url + ": HTTP status " + std::to_string(response.result_int()));
  return response.body();
}

}  // namespace

Result<UrlParts> ParseHttpUrl(const std::string& url) {
  UrlParts parts;
  std::string rest;
  if (url.starts_with("https://")) {
    parts.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return Fail(ErrorCode::kInvalidArgument, "expected an http:// or https:// URL");
  }
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  parts.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string::npos)
    return Fail(ErrorCode::kInvalidArgument, "expected http(s)://host[:port]/path");
  const auto colon = authority.rfind(':');
  const bool has_port = colon != std::string::npos && authority.find(']', colon) == std::string::npos;
  parts.host = has_port ? authority.substr(0, colon) : authority;
  parts.port = has_port ? authority.substr(colon + 1) : (parts.tls ? "443" : "80");
  if (parts.host.size() > 2 && parts.host.front() == '[' && parts.host.back() == ']')
    parts.host = parts.host.substr(1, parts.host.size() - 2);
  if (parts.host.empty() || parts.port.empty() || parts.port.size() > 5 ||
      parts.port.find_first_not_of("0123456789") != std::string::npos)
    return Fail(ErrorCode::kInvalidArgument, "expected http(s)://host[:port]/path");
  return parts;
}

Result<std::string> FetchUrl(const std::string& url, std::chrono::seconds timeout, std::size_t max_bytes) {
  auto parts = ParseHttpUrl(url);
  if (!parts) return std::unexpected(parts.error());
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(parts->host, parts->port);
    if (!parts->tls) {
      beast::tcp_stream stream(io);
      stream.expires_after(timeout);
      stream.connect(endpoints);
      return Get(stream, *parts, url, max_bytes);
    }
    // TLS: the system's trusted CAs, the certificate must name the host.
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_default_verify_paths();
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, tls);
    stream.set_verify_callback(asio::ssl::host_name_verification(parts->host));
    if (!SSL_set_tlsext_host_name(stream.native_handle(), parts->host.c_str()))
      return Fail(ErrorCode::kUnavailable, url + ": cannot set the TLS server name");
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(asio::ssl::stream_base::client);
    return Get(stream, *parts, url, max_bytes);
  } catch (const boost::system::system_error& error) {
    return Fail(ErrorCode::kUnavailable, url + ": " + error.code().message());
  }
}

}  // namespace systole::adapters
