#include "protocols/http/http_server.h"

#include "protocols/http/response_filters.h"

#include <netinet/in.h>
#include <sys/sendfile.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <type_traits>

#include "base/log.h"
#include "base/thread.h"

namespace systole::http {

// A request body must arrive, and a response be taken, at least this fast (beyond http.idle_timeout)
// or the connection is closed.
constexpr std::uint64_t kMinBodyBytesPerSecond = 16 << 10;
// Streamed answers are written in slices of at most this, each with its own deadline.
constexpr std::size_t kWriteSlice = 64 << 10;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

using TlsStream = asio::ssl::stream<tcp::socket&>;

// Writes a streamed body: in chunks, or raw when its length was announced. Each write of at
// most kWriteSlice bytes runs under a deadline: `deadline(n)` before it, `deadline(0)` after
// (none while the handler computes the next part).
template <typename Stream>
class ChunkWriter final : public BodyWriter {
 public:
  ChunkWriter(Stream& socket, bool chunked, std::function<void(std::uint64_t)> deadline)
      : socket_(socket), chunked_(chunked), deadline_(std::move(deadline)) {}
  bool Write(std::string_view bytes) override {
    if (failed_ || bytes.empty()) return !failed_;
    boost::system::error_code ec;
    const std::string size = fmt::format("{:x}\r\n", bytes.size());
    if (chunked_) asio::write(socket_, asio::buffer(size), ec);
    for (std::size_t at = 0; !ec && at < bytes.size(); at += kWriteSlice) {
      const auto slice = bytes.substr(at, kWriteSlice);
      deadline_(slice.size());
      asio::write(socket_, asio::const_buffer(slice.data(), slice.size()), ec);
    }
    if (!ec && chunked_) asio::write(socket_, asio::buffer("\r\n", 2), ec);
    deadline_(0);
    if (ec) failed_ = true;
    else written_ += bytes.size();
    return !failed_;
  }
  // One chunk whose data goes from the file to the socket inside the kernel.
  bool WriteFile(int fd, std::uint64_t offset, std::uint64_t length) override {
    // Over TLS the bytes must pass through the cipher: read and write.
    if constexpr (std::is_same_v<Stream, tcp::socket>) return SendFile(fd, offset, length);
    else return BodyWriter::WriteFile(fd, offset, length);
  }
  bool SendFile(int fd, std::uint64_t offset, std::uint64_t length) {
    if (failed_ || length == 0) return !failed_;
    boost::system::error_code ec;
    const std::string size = fmt::format("{:x}\r\n", length);
    if (chunked_) asio::write(socket_, asio::buffer(size), ec);
    auto at = static_cast<off_t>(offset);
    std::uint64_t left = length;
    while (!ec && left > 0) {
      deadline_(std::min<std::uint64_t>(left, kWriteSlice));
      ssize_t n = ::sendfile(socket_.native_handle(), fd, &at, std::min<std::uint64_t>(left, kWriteSlice));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ec = asio::error::broken_pipe;
      else left -= static_cast<std::uint64_t>(n);
    }
    if (!ec && chunked_) asio::write(socket_, asio::buffer("\r\n", 2), ec);
    deadline_(0);
    if (ec) failed_ = true;
    else written_ += length;
    return !failed_;
  }
  bool Finish() {
    if (failed_) return false;
    if (!chunked_) return true;
    boost::system::error_code ec;
    asio::write(socket_, bhttp::make_chunk_last(), ec);
    return !ec;
  }
  std::size_t written() const { return written_; }

 private:
  Stream& socket_;
  const bool chunked_;
  const std::function<void(std::uint64_t)> deadline_;
  bool failed_ = false;
  std::size_t written_ = 0;
};

HttpRequest ToRequest(const bhttp::request<bhttp::string_body>& in, std::string remote) {
  HttpRequest out;
  out.method = std::string(in.method_string());
  std::string_view target(in.target().data(), in.target().size());
  auto q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    std::size_t start = 0;
    while (start <= query.size()) {
      std::size_t end = query.find('&', start);
      if (end == std::string_view::npos) end = query.size();
      std::string_view pair = query.substr(start, end - start);
      if (!pair.empty()) {
        auto eq = pair.find('=');
        out.query.emplace_back(PercentDecode(pair.substr(0, eq), true),
                               eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true));
      }
      start = end + 1;
    }
  }
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = in.body();
  out.remote = std::move(remote);
  return out;
}

}  // namespace

struct HttpServer::Impl {
  HttpConfig config;
  const Router& router;
  asio::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread accept_thread;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable idle;
  std::size_t active = 0;
  std::list<int> open_sockets;
  // Connections waiting for (the rest of) a request, and since when: when every slot is
  // taken, the one waiting longest is closed for a newcomer, so idle keep-alive or
  // stalled (slowloris) connections cannot lock clients out.
  std::map<int, std::chrono::steady_clock::time_point> waiting;
  // Their deadlines: the reaper thread closes a connection that has not sent its whole request
  // (or TLS handshake) in time. Socket timeouts cannot do it: Asio's blocking reads poll again
  // after SO_RCVTIMEO expires.
  std::map<int, std::chrono::steady_clock::time_point> deadlines;
  std::set<int> reaped;
  std::condition_variable wake_reaper;
  std::thread reaper;

  std::unique_ptr<asio::ssl::context> tls;  // set when the listener speaks HTTPS

  Impl(HttpConfig c, const Router& r) : config(std::move(c)), router(r) {}

  void AcceptLoop();
  void ReapLoop();
  // `fd` waits for (the rest of) a request, for at most `limit`; Unwatch when it arrived.
  void Watch(int fd, std::chrono::seconds limit);
  // `fd` is being written `bytes`: the client must take them in time (not closed for newcomers);
  // 0: the write is over, no deadline.
  void WriteDeadline(int fd, std::uint64_t bytes);
  bool Unwatch(int fd);  // false when the reaper closed the connection
  void Serve(tcp::socket socket);
  template <typename Stream>
  void ServeRequests(Stream& stream, int fd, const std::string& remote);
  HttpResponse Answer(HttpRequest& request);
  template <typename Stream>
  void WriteResponse(Stream& socket, int fd, const HttpRequest& request, HttpResponse& response, bool keep_alive,
                     unsigned version, std::size_t& bytes, boost::system::error_code& ec);
};

void HttpServer::Impl::AcceptLoop() {
  while (!stopping) {
    boost::system::error_code ec;
    tcp::socket socket(io);
    acceptor->accept(socket, ec);
    if (ec) {
      if (stopping) break;
      continue;
    }
    std::lock_guard lock(mutex);
    if (active >= config.max_connections) {
      auto oldest = std::min_element(waiting.begin(), waiting.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
      if (oldest == waiting.end()) {  // every connection is busy with a request
        static const char kBusy[] =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 77\r\n"
            "Connection: close\r\nRetry-After: 1\r\n\r\n"
            "{\"error\":{\"status\":503,\"message\":\"every connection is busy, retry shortly\"}}\n";
        asio::write(socket, asio::buffer(kBusy, sizeof(kBusy) - 1), ec);
        LOG_WARN("http", "connection limit ({}) reached, every connection busy: 503", config.max_connections);
        continue;
      }
      const auto waited = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - oldest->second);
      LOG_WARN("http", "connection limit ({}) reached: closing the connection idle for {} s for a new client",
               config.max_connections, waited.count());
      ::shutdown(oldest->first, SHUT_RDWR);  // its thread sees the read fail and ends
      reaped.insert(oldest->first);
      deadlines.erase(oldest->first);
      waiting.erase(oldest);
    }
    ++active;
    // Detached (see DimseServer): Stop() waits for `active` to reach zero.
    DeepStackThread([this, s = std::make_shared<tcp::socket>(std::move(socket))]() mutable {
      Serve(std::move(*s));
      s.reset();  // nothing of the io_context may be touched once `active` drops
      std::lock_guard done(mutex);
      --active;
      idle.notify_all();
    }).detach();
  }
}

template <typename Stream>
void HttpServer::Impl::WriteResponse(Stream& socket, int fd, const HttpRequest& request, HttpResponse& response,
                                     bool keep_alive, unsigned version, std::size_t& bytes,
                                     boost::system::error_code& ec) {
  ApplySecurityHeaders(response, config.security_headers, tls != nullptr);
  auto fill = [&](auto& message) {
    message.version(version);
    message.keep_alive(keep_alive);
    message.set(bhttp::field::server, "Systole");
    for (const auto& [name, value] : response.headers) message.set(name, value);
  };
  if (response.stream && request.method != "HEAD") {
    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(response.status), version};
    fill(head);
    if (response.stream_length) head.content_length(*response.stream_length);
    else head.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    WriteDeadline(fd, 1);
    bhttp::write_header(socket, serializer, ec);
    WriteDeadline(fd, 0);
    if (ec) return;
    ChunkWriter<Stream> writer(socket, !response.stream_length, [&](std::uint64_t n) { WriteDeadline(fd, n); });
    response.stream(writer);
    if (!writer.Finish()) ec = asio::error::broken_pipe;
    bytes = writer.written();
    // A body shorter than announced cannot be finished: the connection must close.
    if (response.stream_length && bytes != *response.stream_length) ec = asio::error::broken_pipe;
    return;
  }
  bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status), version};
  fill(message);
  bytes = response.body.size();
  if (request.method == "HEAD") message.content_length(bytes);
  else message.body() = std::move(response.body);
  message.prepare_payload();
  if (request.method == "HEAD") message.content_length(bytes);
  WriteDeadline(fd, std::max<std::uint64_t>(bytes, 1));
  bhttp::write(socket, message, ec);
  WriteDeadline(fd, 0);
}

// The plain listener of a TLS-only site: no data, only the way to https.
static HttpResponse HttpsRedirect(const HttpRequest& request, std::uint16_t https_port) {
  std::string host = request.Header("host");
  if (host.starts_with('[')) host = host.substr(0, host.find(']') + 1);  // [v6]:port
  else host = host.substr(0, host.find(':'));
  if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':';
      }))
    host = "localhost";
  // The decoded path goes back into a header: anything but printable ASCII sends to the root.
  const bool printable = std::all_of(request.path.begin(), request.path.end(), [](char c) { return c > 32 && c < 127; });
  HttpResponse response;
  response.status = 301;
  response.With("Location", fmt::format("https://{}:{}{}", host, https_port, printable ? request.path : "/"));
  return response;
}

HttpResponse HttpServer::Impl::Answer(HttpRequest& request) {
  if (config.redirect_to_https_port) return HttpsRedirect(request, config.redirect_to_https_port);
  HttpResponse response;
  if (auto preflight = CorsPreflight(request, config.cors_origins)) response = std::move(*preflight);
  else response = router.Dispatch(request);
  ApplyResponseFilters(request, response, config.cors_origins);
  return response;
}

void HttpServer::Impl::Watch(int fd, std::chrono::seconds limit) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex);
  waiting[fd] = now;
  deadlines[fd] = now + limit;
}

void HttpServer::Impl::WriteDeadline(int fd, std::uint64_t bytes) {
  const auto limit = config.idle_timeout + std::chrono::seconds(bytes / kMinBodyBytesPerSecond);
  std::lock_guard lock(mutex);
  if (bytes == 0) deadlines.erase(fd);
  else deadlines[fd] = std::chrono::steady_clock::now() + limit;
}

bool HttpServer::Impl::Unwatch(int fd) {
  std::lock_guard lock(mutex);
  waiting.erase(fd);
  deadlines.erase(fd);
  return reaped.erase(fd) == 0;
}

void HttpServer::Impl::ReapLoop() {
  std::unique_lock lock(mutex);
  while (!stopping) {
    wake_reaper.wait_for(lock, std::chrono::milliseconds(500));
    const auto now = std::chrono::steady_clock::now();
    for (auto it = deadlines.begin(); it != deadlines.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      LOG_WARN("http", "closing a connection that did not send or take data in time (http.idle_timeout {} s)",
               config.idle_timeout.count());
      ::shutdown(it->first, SHUT_RDWR);  // its thread sees the read fail and ends
      reaped.insert(it->first);
      waiting.erase(it->first);
      it = deadlines.erase(it);
    }
  }
}

void HttpServer::Impl::Serve(tcp::socket socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  const int fd = socket.native_handle();
  {
    std::lock_guard lock(mutex);
    open_sockets.push_back(fd);
  }
  const std::string remote = socket.remote_endpoint(ec).address().to_string();
  if (!tls) {
    ServeRequests(socket, fd, remote);
  } else {
    TlsStream stream(socket, *tls);
    Watch(fd, config.idle_timeout);  // a stalled handshake is closed in time, or for a newcomer
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (!Unwatch(fd)) {
      // closed by the reaper or for a newcomer: logged there
    } else if (ec) {
      LOG_WARN("http", "{}: TLS handshake failed: {}", remote, ec.message());
    } else {
      ServeRequests(stream, fd, remote);
      stream.shutdown(ec);
    }
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  std::lock_guard lock(mutex);
  open_sockets.remove(fd);
  waiting.erase(fd);
  deadlines.erase(fd);
  reaped.erase(fd);
}

template <typename Stream>
void HttpServer::Impl::ServeRequests(Stream& socket, int fd, const std::string& remote) {
  boost::system::error_code ec;
  beast::flat_buffer buffer;
  while (!stopping) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(config.max_body_bytes);
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    // The head within http.idle_timeout of the last answer; the body at a modest minimum rate.
    Watch(fd, config.idle_timeout);
    bhttp::read_header(socket, buffer, parser, ec);
    if (!ec && !parser.is_done()) {
      const auto expected = parser.content_length().value_or(config.max_body_bytes);
      Watch(fd, config.idle_timeout + std::chrono::seconds(expected / kMinBodyBytesPerSecond));
      bhttp::read(socket, buffer, parser, ec);
    }
    if (!Unwatch(fd)) break;
    if (ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset || ec == asio::error::eof ||
        ec == asio::ssl::error::stream_truncated)
      break;
    const auto started = std::chrono::steady_clock::now();
    HttpRequest request;
    HttpResponse response;
    bool keep_alive = false;
    unsigned version = 11;
    if (ec) {
      int status = 400;
      if (ec == bhttp::error::body_limit) status = 413;
      else if (ec == bhttp::error::header_limit) status = 431;
      response = HttpResponse::Error(status, "bad request: " + ec.message());
      request.method = "?";
      request.path = "?";
    } else {
      const auto& message = parser.get();
      keep_alive = message.keep_alive();
      version = message.version();
      request = ToRequest(message, remote);
      request.secure = tls != nullptr;
      try {
        response = Answer(request);
      } catch (const std::exception& error) {
        LOG_ERROR("http", "{} {}: handler failed: {}", request.method, request.path, error.what());
        response = HttpResponse::Error(500, "internal error");
      }
    }
    std::size_t bytes = 0;
    boost::system::error_code write_error;
    WriteResponse(socket, fd, request, response, keep_alive && !ec, version, bytes, write_error);
    const bool taken = Unwatch(fd);  // false: the client stopped reading, closed by the reaper
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    LOG_INFO("http", "{} {} {} {} {} {:.1f}ms", remote, request.method, request.path, response.status, bytes, ms);
    if (!taken || ec || write_error || !keep_alive) break;
  }
}

HttpServer::HttpServer(HttpConfig config, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(config), router)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::uint16_t> HttpServer::Start() {
  boost::system::error_code ec;
  if (tls::Configured(impl_->config.tls)) {
    impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    SYSTOLE_RETURN_IF_ERROR(tls::ConfigureServer(impl_->tls->native_handle(), impl_->config.tls));
  }
  auto address = asio::ip::make_address(impl_->config.bind_address, ec);
  if (ec) return Fail(ErrorCode::kInvalidArgument, "http.bind: not an address: " + impl_->config.bind_address);
  impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->io);
  tcp::endpoint endpoint(address, impl_->config.port);
  impl_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(endpoint, ec);
  if (!ec) impl_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Fail(ErrorCode::kUnavailable, "cannot listen for HTTP on " + impl_->config.bind_address + ":" +
                                             std::to_string(impl_->config.port) + ": " + ec.message());
  const std::uint16_t port = impl_->acceptor->local_endpoint().port();
  impl_->accept_thread = std::thread([this] { impl_->AcceptLoop(); });
  impl_->reaper = std::thread([this] { impl_->ReapLoop(); });
  return port;
}

void HttpServer::Stop() {
  if (!impl_ || !impl_->accept_thread.joinable()) return;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake_reaper.notify_all();
  impl_->reaper.join();
  ::shutdown(impl_->acceptor->native_handle(), SHUT_RDWR);
  impl_->accept_thread.join();
  {
    // Idle keep-alive connections are waiting in read(): wake them.
    std::lock_guard lock(impl_->mutex);
    for (int fd : impl_->open_sockets) ::shutdown(fd, SHUT_RD);
  }
  std::unique_lock lock(impl_->mutex);
  impl_->idle.wait(lock, [&] { return impl_->active == 0; });
  lock.unlock();
  boost::system::error_code ec;
  impl_->acceptor->close(ec);
}

}  // namespace systole::http
