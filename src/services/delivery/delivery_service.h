// DeliveryService: sends every signed report version to its destinations —
// the archive (DICOM SR + Encapsulated PDF stored back into the study) and
// each HL7 receiver (ORU^R01 over MLLP) — through a durable queue, retried
// with exponential backoff until acknowledged, every attempt recorded.
//
//   DeliveryService delivery(queue, clock, policy);
//   delivery.AddDestination("archive", ArchiveSender(ingest, pdf_options));
//   delivery.AddDestination("EHR", hl7_sender);       // from protocols/hl7
//   reporting.OnSigned([&](const auto& doc) { delivery.Enqueue(doc); });
//   delivery.Start();                                 // worker thread
//
// A job is marked delivered only once its success (HL7: an AA ACK) is
// recorded in the queue; anything else (AE/AR, no answer, refused
// connection) is an attempt with an error and a retry after the backoff;
// after max_attempts the job is failed until resent. Jobs left in flight by
// a crash go back to pending at Start(), so nothing is lost; a receiver may
// then see the same message (same control id) twice.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "domain/report.h"
#include "ports/delivery_queue.h"

namespace systole::services {

struct DeliveryPolicy {
  std::chrono::seconds retry_initial{30};   // wait after the first failed attempt; doubled after each
  std::chrono::seconds retry_max{3600};     // longest wait between attempts
  int max_attempts = 10;                    // then the job is "failed"
  std::chrono::milliseconds poll{1000};     // the worker looks for due jobs this often (and when woken)
};

// What one attempt to deliver came to.
struct SendOutcome {
  bool delivered = false;
  std::string ack_code;  // HL7 MSA-1 when an answer came
  std::string detail;    // what was wrong, or what was stored
};

// Delivers one document to one destination; `job_id` makes the message
// identifiable across retries (HL7 control id). Must not throw.
using DeliverySender = std::function<SendOutcome(const domain::ReportDocument& document, std::int64_t job_id)>;

inline constexpr const char* kArchiveDestination = "archive";

class DeliveryService {
 public:
  DeliveryService(ports::DeliveryQueue& queue, const Clock& clock, DeliveryPolicy policy);
  ~DeliveryService();  // stops the worker
  DeliveryService(const DeliveryService&) = delete;
  DeliveryService& operator=(const DeliveryService&) = delete;

  // Before Start(): a destination every signed version is sent to.
  void AddDestination(std::string name, DeliverySender sender);

  // One pending job per destination for this signed version (idempotent per
  // version and destination), due at once; wakes the worker.
  Status Enqueue(const domain::ReportDocument& document);

  // Attempts every job due now, one after the other; returns how many were attempted.
  Result<std::size_t> RunDue();

  // Requeues jobs left in flight, then runs RunDue() on a worker thread until Stop().
  Status Start();
  void Stop();

  // For the API: jobs in `state` ("" = all), newest first; a failed job back to pending.
  Result<std::vector<ports::DeliveryJob>> Jobs(const std::string& state, std::size_t limit = 500);
  Status Resend(std::int64_t id);
  Result<ports::DeliveryJob> Job(std::int64_t id) { return queue_.Get(id); }

  // The wait after `attempts` failed attempts (1 → retry_initial, doubling, at most retry_max).
  std::chrono::seconds Backoff(int attempts) const;

 private:
  Status Attempt(const ports::DeliveryJob& job);
  std::string Now() const;

  ports::DeliveryQueue& queue_;
  const Clock& clock_;
  DeliveryPolicy policy_;
  std::map<std::string, DeliverySender> destinations_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread worker_;
};

// ISO 8601 UTC with milliseconds, "2026-11-23T01:02:03.004Z" (the queue's time format).
std::string DeliveryTime(std::chrono::system_clock::time_point t);

}  // namespace systole::services
