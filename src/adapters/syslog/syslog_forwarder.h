// SyslogForwarder: sends every audit record to a syslog collector as one
// RFC 5424 line (syslog_format.h) — over UDP (one datagram each), TCP (RFC 6587
// octet counting) or TLS (RFC 5425; the collector's certificate is verified
// against `ca` and must name `host`).
//
// Forward() only queues (at most queue_limit records; beyond that records are
// dropped, counted and logged) and a background thread sends, reconnecting
// with backoff: a slow or absent collector never blocks nor fails a request.
// The destructor sends what is queued for up to two seconds, then stops.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "ports/audit_sink.h"
#include "protocols/tls/tls_context.h"

namespace systole::adapters {

enum class SyslogTransport { kUdp, kTcp, kTls };
Result<SyslogTransport> ParseSyslogTransport(std::string_view text);  // "udp", "tcp", "tls"

struct SyslogConfig {
  std::string host;  // empty: no forwarding
  std::uint16_t port = 6514;
  SyslogTransport transport = SyslogTransport::kTls;
  std::filesystem::path ca;  // tls: CA of the collector's certificate; empty: the system's
  std::size_t queue_limit = 10000;
};

class SyslogForwarder final : public ports::AuditSink {
 public:
  // Starts the sending thread. kInvalidArgument when the TLS CA cannot be read.
  static Result<std::unique_ptr<SyslogForwarder>> Start(const SyslogConfig& config);
  ~SyslogForwarder() override;

  void Forward(const domain::AuditRecord& record, std::string_view event_id) override;
  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t sent() const { return sent_; }

 private:
  SyslogForwarder(SyslogConfig config, tls::ContextPtr tls);
  void Run();
  bool Connect();
  void Disconnect();
  bool Send(const std::string& line);

  const SyslogConfig config_;
  const tls::ContextPtr tls_;
  const std::string hostname_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;  // formatted lines
  bool stopping_ = false;
  std::atomic<std::uint64_t> dropped_{0}, sent_{0};
  int fd_ = -1;
  struct Session;
  std::unique_ptr<Session> session_;  // TLS session on fd_
  std::thread thread_;
};

}  // namespace systole::adapters
