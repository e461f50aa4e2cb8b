#include "services/delivery/delivery_service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "base/log.h"
#include "services/delivery/report_json.h"

namespace systole::services {

std::string DeliveryTime(std::chrono::system_clock::time_point t) {
  // Fixed width (always .mmm) so that times compare as strings in the queue.
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t - seconds).count();
  return fmt::format("{:%FT%T}.{:03}Z", seconds, millis);
}

DeliveryService::DeliveryService(ports::DeliveryQueue& queue, const Clock& clock, DeliveryPolicy policy)
    : queue_(queue), clock_(clock), policy_(policy) {}

DeliveryService::~DeliveryService() { Stop(); }

void DeliveryService::AddDestination(std::string name, DeliverySender sender) {
  destinations_[std::move(name)] = std::move(sender);
}

std::string DeliveryService::Now() const { return DeliveryTime(clock_.Now()); }

std::chrono::seconds DeliveryService::Backoff(int attempts) const {
  auto wait = policy_.retry_initial;
  for (int i = 1; i < attempts && wait < policy_.retry_max; ++i) wait *= 2;
  return std::min(wait, policy_.retry_max);
}

Status DeliveryService::Enqueue(const domain::ReportDocument& document) {
  ports::DeliveryJob job;
  job.report_id = document.report_id;
  job.version = document.version;
  job.document = ReportToJson(document);
  job.created_at = Now();
  job.next_attempt_at = job.created_at;
  for (const auto& [name, sender] : destinations_) {
    job.destination = name;
    auto id = queue_.Enqueue(job);
    if (!id) return std::unexpected(id.error());
    LOG_INFO("delivery", "report {} v{} queued for {} (job {})", document.report_id, document.version, name, *id);
  }
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
  return {};
}

Status DeliveryService::Attempt(const ports::DeliveryJob& job) {
  SendOutcome outcome;
  auto sender = destinations_.find(job.destination);
  auto document = ReportFromJson(job.document);
  if (sender == destinations_.end())
    outcome.detail = "destination " + job.destination + " is not configured";
  else if (!document)
    outcome.detail = "stored document unreadable: " + document.error().message;
  else
    outcome = sender->second(*document, job.id);

  ports::DeliveryAttempt attempt{Now(), outcome.delivered ? "delivered" : "error", outcome.ack_code, outcome.detail};
  const int attempts = static_cast<int>(job.attempts.size()) + 1;
  if (outcome.delivered) {
    LOG_INFO("delivery", "job {} (report {} v{} → {}) delivered after {} attempt(s) {}", job.id, job.report_id,
             job.version, job.destination, attempts, outcome.ack_code);
    return queue_.Finish(job.id, attempt, ports::kDeliveryDelivered, "");
  }
  if (attempts >= policy_.max_attempts) {
    LOG_ERROR("delivery", "job {} (report {} v{} → {}) failed after {} attempts: {} {}", job.id, job.report_id,
              job.version, job.destination, attempts, outcome.ack_code, outcome.detail);
    return queue_.Finish(job.id, attempt, ports::kDeliveryFailed, "");
  }
  const auto wait = Backoff(attempts);
  LOG_WARN("delivery", "job {} (report {} v{} → {}) attempt {} failed, retry in {}s: {} {}", job.id, job.report_id,
           job.version, job.destination, attempts, wait.count(), outcome.ack_code, outcome.detail);
  return queue_.Finish(job.id, attempt, ports::kDeliveryPending, DeliveryTime(clock_.Now() + wait));
}

Result<std::size_t> DeliveryService::RunDue() {
  std::size_t attempted = 0;
  for (;;) {
    auto job = queue_.Claim(Now());
    if (!job) return std::unexpected(job.error());
    if (!job->has_value()) return attempted;
    SYSTOLE_RETURN_IF_ERROR(Attempt(**job));
    ++attempted;
  }
}

Status DeliveryService::Start() {
  auto requeued = queue_.RequeueInFlight();
  if (!requeued) return std::unexpected(requeued.error());
  if (*requeued) LOG_WARN("delivery", "{} delivery job(s) were in flight at the last stop: pending again", *requeued);
  worker_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      if (auto ran = RunDue(); !ran) LOG_ERROR("delivery", "delivery queue: {}", ran.error().message);
      lock.lock();
      wake_.wait_for(lock, policy_.poll, [this] { return stopping_ || woken_; });
      woken_ = false;
    }
  });
  return {};
}

void DeliveryService::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Result<std::vector<ports::DeliveryJob>> DeliveryService::Jobs(const std::string& state, std::size_t limit) {
  return queue_.List(state, limit);
}

Status DeliveryService::Resend(std::int64_t id) {
  SYSTOLE_RETURN_IF_ERROR(queue_.Resend(id, Now()));
  LOG_INFO("delivery", "job {} resent by request", id);
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
  return {};
}

}  // namespace systole::services
