#include "adapters/syslog/syslog_forwarder.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "adapters/syslog/syslog_format.h"
#include "base/log.h"
#include "protocols/tls/tls_connection.h"

namespace systole::adapters {
namespace {

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "-";
  return name;
}

const char* Name(SyslogTransport transport) {
  switch (transport) {
    case SyslogTransport::kUdp: return "udp";
    case SyslogTransport::kTcp: return "tcp";
    case SyslogTransport::kTls: return "tls";
  }
  return "?";
}

}  // namespace

struct SyslogForwarder::Session {
  std::unique_ptr<tls::Connection> connection;
};

Result<SyslogTransport> ParseSyslogTransport(std::string_view text) {
  if (text == "udp") return SyslogTransport::kUdp;
  if (text == "tcp") return SyslogTransport::kTcp;
  if (text == "tls") return SyslogTransport::kTls;
  return Fail(ErrorCode::kInvalidArgument, "expected udp, tcp or tls");
}

Result<std::unique_ptr<SyslogForwarder>> SyslogForwarder::Start(const SyslogConfig& config) {
  tls::ContextPtr context;
  if (config.transport == SyslogTransport::kTls) {
    auto made = tls::ClientContext({{}, {}, config.ca, false});
    if (!made) return std::unexpected(made.error());
    context = std::move(*made);
  }
  std::unique_ptr<SyslogForwarder> forwarder(new SyslogForwarder(config, std::move(context)));
  forwarder->thread_ = std::thread([f = forwarder.get()] { f->Run(); });
  LOG_INFO("audit", "audit records are forwarded to syslog {}:{} over {}", config.host, config.port,
           Name(config.transport));
  return forwarder;
}

SyslogForwarder::SyslogForwarder(SyslogConfig config, tls::ContextPtr tls)
    : config_(std::move(config)), tls_(std::move(tls)), hostname_(HostName()), session_(std::make_unique<Session>()) {}

SyslogForwarder::~SyslogForwarder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  Disconnect();
  if (dropped_ > 0) LOG_WARN("audit", "syslog forwarding dropped {} audit record(s) in all", dropped_.load());
}

void SyslogForwarder::Forward(const domain::AuditRecord& record, std::string_view event_id) {
  std::string line = SyslogLine(record, event_id, hostname_, "systole", static_cast<int>(::getpid()));
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= config_.queue_limit) {
      const auto n = ++dropped_;
      if (n == 1 || n % 100 == 0)
        LOG_WARN("audit", "syslog queue full ({} records): audit record {} not forwarded ({} dropped so far)",
                 config_.queue_limit, record.seq, n);
      return;
    }
    queue_.push_back(std::move(line));
  }
  wake_.notify_one();
}

void SyslogForwarder::Run() {
  auto backoff = std::chrono::milliseconds(500);
  std::chrono::steady_clock::time_point stop_deadline{};
  while (true) {
    std::string line;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        if (stop_deadline == std::chrono::steady_clock::time_point{})
          stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        if (queue_.empty() || std::chrono::steady_clock::now() > stop_deadline) {
          if (!queue_.empty())
            LOG_WARN("audit", "stopping: {} audit record(s) not forwarded to syslog", queue_.size());
          return;
        }
      }
      line = queue_.front();
    }
    if ((fd_ >= 0 || Connect()) && Send(line)) {
      backoff = std::chrono::milliseconds(500);
      ++sent_;
      std::lock_guard lock(mutex_);
      queue_.pop_front();
      continue;
    }
    Disconnect();
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    wake_.wait_for(lock, backoff, [&] { return stopping_; });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
  }
}

bool SyslogForwarder::Connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = config_.transport == SyslogTransport::kUdp ? SOCK_DGRAM : SOCK_STREAM;
  addrinfo* results = nullptr;
  const std::string port = std::to_string(config_.port);
  if (int rc = getaddrinfo(config_.host.c_str(), port.c_str(), &hints, &results); rc != 0) {
    LOG_WARN("audit", "syslog {}:{}: {}", config_.host, config_.port, gai_strerror(rc));
    return false;
  }
  for (addrinfo* r = results; r && fd_ < 0; r = r->ai_next) {
    int fd = ::socket(r->ai_family, r->ai_socktype | SOCK_CLOEXEC, r->ai_protocol);
    if (fd < 0) continue;
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    if (::connect(fd, r->ai_addr, r->ai_addrlen) == 0) fd_ = fd;
    else ::close(fd);
  }
  freeaddrinfo(results);
  if (fd_ < 0) {
    LOG_WARN("audit", "syslog {}:{} ({}): cannot connect", config_.host, config_.port, Name(config_.transport));
    return false;
  }
  if (config_.transport == SyslogTransport::kTls) {
    auto connection = tls::Connection::Connect(tls_.get(), fd_, config_.host);
    if (!connection) {
      LOG_WARN("audit", "syslog {}:{}: {}", config_.host, config_.port, connection.error().message);
      return false;
    }
    session_->connection = std::move(*connection);
  }
  return true;
}

void SyslogForwarder::Disconnect() {
  session_->connection.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool SyslogForwarder::Send(const std::string& line) {
  switch (config_.transport) {
    case SyslogTransport::kUdp: return ::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size());
    case SyslogTransport::kTls: return session_->connection->WriteAll(OctetCounted(line));
    case SyslogTransport::kTcp: {
      const std::string framed = OctetCounted(line);
      std::string_view rest(framed);
      while (!rest.empty()) {
        ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        rest.remove_prefix(static_cast<std::size_t>(n));
      }
      return true;
    }
  }
  return false;
}

}  // namespace systole::adapters
