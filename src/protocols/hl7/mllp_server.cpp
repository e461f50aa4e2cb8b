#include "protocols/hl7/mllp_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <set>
#include <thread>

#include "base/log.h"
#include "protocols/tls/tls_connection.h"

namespace systole::hl7 {
namespace {

constexpr char kStart = '\x0b';
constexpr char kEnd = '\x1c';
constexpr char kCr = '\x0d';

std::string PeerName(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {};
  std::uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return fmt::format("{}:{}", host, port);
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string MllpFrame(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 3);
  out.push_back(kStart);
  out.append(payload);
  out.push_back(kEnd);
  out.push_back(kCr);
  return out;
}

struct MllpServer::Impl {
  MllpConfig config;
  MllpHandler handler;
  tls::ContextPtr tls;  // set: every connection speaks TLS
  int listen_fd = -1;
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  std::mutex mutex;
  std::condition_variable drained;
  std::size_t active = 0;

  void AcceptLoop();
  void Serve(int fd, std::string peer);
};

void MllpServer::Impl::AcceptLoop() {
  while (!stopping) {
    pollfd p{listen_fd, POLLIN, 0};
    int ready = ::poll(&p, 1, 200);
    if (ready <= 0) continue;
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::string peer = PeerName(address);
    {
      std::lock_guard lock(mutex);
      if (active >= config.max_connections) {
        LOG_WARN("hl7", "connection from {} refused: {} connections already open", peer, active);
        ::close(fd);
        continue;
      }
      ++active;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::thread([this, fd, peer] {
      Serve(fd, peer);
      std::lock_guard lock(mutex);
      --active;
      drained.notify_all();
    }).detach();
  }
}

void MllpServer::Impl::Serve(int fd, std::string peer) {
  LOG_DEBUG("hl7", "connection from {}", peer);
  std::unique_ptr<tls::Connection> secure;
  if (tls) {
    // The handshake and every read of a record that poll() announced may block this long.
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    auto accepted = tls::Connection::Accept(tls.get(), fd);
    if (!accepted) {
      LOG_WARN("hl7", "connection from {} refused: {}", peer, accepted.error().message);
      ::close(fd);
      return;
    }
    secure = std::move(*accepted);
    LOG_DEBUG("hl7", "{}: TLS, client certificate CN '{}'", peer, secure->PeerCommonName());
  }
  auto receive = [&](char* into, std::size_t size) -> ssize_t {
    return secure ? secure->Read(into, size) : ::recv(fd, into, size, 0);
  };
  auto send = [&](std::string_view data) { return secure ? secure->WriteAll(data) : SendAll(fd, data); };
  std::string buffer;
  auto idle_since = std::chrono::steady_clock::now();
  char chunk[65536];
  bool open = true;
  while (open) {
    pollfd p{fd, POLLIN, 0};
    int ready = secure && secure->Pending() ? 1 : ::poll(&p, 1, 200);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) {
      if (stopping && buffer.find(kStart) == std::string::npos) break;
      if (std::chrono::steady_clock::now() - idle_since > config.idle_timeout) {
        LOG_INFO("hl7", "closing connection from {}: idle", peer);
        break;
      }
      continue;
    }
    ssize_t n = receive(chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // closed by the peer, or reset
    idle_since = std::chrono::steady_clock::now();
    buffer.append(chunk, static_cast<std::size_t>(n));
    // Answer every complete frame in the buffer.
    while (true) {
      auto start = buffer.find(kStart);
      if (start == std::string::npos) {
        if (!buffer.empty()) LOG_WARN("hl7", "{}: {} byte(s) outside an MLLP frame skipped", peer, buffer.size());
        buffer.clear();
        break;
      }
      if (start > 0) {
        LOG_WARN("hl7", "{}: {} byte(s) before an MLLP frame skipped", peer, start);
        buffer.erase(0, start);
      }
      auto end = buffer.find(kEnd, 1);
      if (end == std::string::npos) {
        if (buffer.size() > config.max_message_bytes) {
          LOG_WARN("hl7", "{}: message over {} bytes, skipped", peer, config.max_message_bytes);
          std::string answer = handler(std::string_view(buffer).substr(1, 1024), peer);
          if (!send(MllpFrame(answer))) open = false;
          // Skip to the next frame start.
          auto next = buffer.find(kStart, 1);
          buffer.erase(0, next == std::string::npos ? buffer.size() : next);
          if (next == std::string::npos) buffer.clear();
          continue;
        }
        break;  // wait for more bytes
      }
      std::string message = buffer.substr(1, end - 1);
      // <FS> is followed by <CR>; tolerate senders that omit it.
      buffer.erase(0, end + 1 < buffer.size() && buffer[end + 1] == kCr ? end + 2 : end + 1);
      std::string answer = handler(message, peer);
      if (!send(MllpFrame(answer))) {
        open = false;
        break;
      }
    }
  }
  secure.reset();  // close_notify before the socket goes
  ::close(fd);
  LOG_DEBUG("hl7", "connection from {} closed", peer);
}

MllpServer::MllpServer(MllpConfig config, MllpHandler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->handler = std::move(handler);
}

MllpServer::~MllpServer() { Stop(); }

Result<std::uint16_t> MllpServer::Start() {
  if (tls::Configured(impl_->config.tls)) {
    auto context = tls::ServerContext(impl_->config.tls);
    if (!context) return std::unexpected(context.error());
    impl_->tls = std::move(*context);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const std::string port = std::to_string(impl_->config.port);
  const char* host = impl_->config.bind_address.empty() ? nullptr : impl_->config.bind_address.c_str();
  if (int rc = getaddrinfo(host, port.c_str(), &hints, &results); rc != 0)
    return Fail(ErrorCode::kUnavailable, fmt::format("hl7.bind {}: {}", impl_->config.bind_address, gai_strerror(rc)));
  std::string error = "no address";
  for (addrinfo* r = results; r; r = r->ai_next) {
    int fd = ::socket(r->ai_family, r->ai_socktype | SOCK_CLOEXEC, r->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, r->ai_addr, r->ai_addrlen) == 0 && ::listen(fd, 64) == 0) {
      impl_->listen_fd = fd;
      break;
    }
    error = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(results);
  if (impl_->listen_fd < 0)
    return Fail(ErrorCode::kUnavailable, fmt::format("cannot listen for HL7 on {} port {}: {}",
                                                     impl_->config.bind_address, impl_->config.port, error));
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  std::uint16_t bound = impl_->config.port;
  if (getsockname(impl_->listen_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    bound = ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  impl_->acceptor = std::thread([this] { impl_->AcceptLoop(); });
  return bound;
}

void MllpServer::Stop() {
  if (!impl_ || !impl_->acceptor.joinable()) return;
  impl_->stopping = true;
  impl_->acceptor.join();
  {
    std::unique_lock lock(impl_->mutex);
    impl_->drained.wait(lock, [&] { return impl_->active == 0; });
  }
  ::close(impl_->listen_fd);
  impl_->listen_fd = -1;
}

}  // namespace systole::hl7
