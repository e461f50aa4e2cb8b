// DeliveryQueue: the durable queue of report deliveries — one job per signed
// report version × destination (the archive, each HL7 receiver), with every
// attempt recorded. The delivery service is its only writer.
//
//   pending ──Claim──▶ in_flight ──Finish(delivered)──▶ delivered
//      ▲                  │ Finish(pending, next time)       (final)
//      └──────────────────┤ Finish(failed) ──▶ failed ──Resend──▶ pending
//      └── RequeueInFlight (at start: a crash left it in flight)
//
// Times are ISO 8601 UTC with milliseconds ("2026-11-23T01:02:03.004Z"), so
// they compare as strings. Every method is one transaction. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace systole::ports {

inline constexpr const char* kDeliveryPending = "pending";
inline constexpr const char* kDeliveryInFlight = "in_flight";
inline constexpr const char* kDeliveryDelivered = "delivered";
inline constexpr const char* kDeliveryFailed = "failed";

struct DeliveryAttempt {
  std::string at;        // when the attempt ended
  std::string outcome;   // "delivered" or "error"
  std::string ack_code;  // HL7 MSA-1 (AA, AE, AR) when an answer came; empty otherwise
  std::string detail;    // error text, or what was stored
};

struct DeliveryJob {
  std::int64_t id = 0;
  std::string report_id;
  int version = 0;
  std::string destination;      // "archive" or an HL7 destination name
  std::string state = kDeliveryPending;
  std::string document;         // the signed version, serialized (services::delivery owns the format)
  std::string created_at;
  std::string next_attempt_at;  // pending: due time
  std::vector<DeliveryAttempt> attempts;  // oldest first
};

class DeliveryQueue {
 public:
  virtual ~DeliveryQueue() = default;

  // Adds `job` (state pending, due at job.next_attempt_at; attempts ignored).
  // Idempotent: a job for the same report_id, version and destination is kept
  // as it is and its id returned.
  virtual Result<std::int64_t> Enqueue(const DeliveryJob& job) = 0;

  // The pending job due first at or before `now`, now in_flight; nullopt when none is due.
  virtual Result<std::optional<DeliveryJob>> Claim(const std::string& now) = 0;

  // Records one attempt of an in_flight job and moves it to `state`
  // (delivered, failed, or pending due at `next_attempt_at`) in one
  // transaction. kNotFound for an unknown id; kInvalidArgument if it is not in flight.
  virtual Status Finish(std::int64_t id, const DeliveryAttempt& attempt, const std::string& state,
                        const std::string& next_attempt_at) = 0;

  // Moves every in_flight job back to pending (due at once); returns how many.
  virtual Result<std::size_t> RequeueInFlight() = 0;

  // A failed job back to pending, due at `now`. kNotFound; kInvalidArgument when it is not failed.
  virtual Status Resend(std::int64_t id, const std::string& now) = 0;

  virtual Result<DeliveryJob> Get(std::int64_t id) = 0;
  // Jobs in `state` (every job when empty), newest first, at most `limit`.
  virtual Result<std::vector<DeliveryJob>> List(const std::string& state, std::size_t limit) = 0;
};

}  // namespace systole::ports
