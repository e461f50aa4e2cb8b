#include "adapters/memory/memory_delivery_queue.h"

namespace systole::adapters {

using ports::DeliveryJob;

Result<std::int64_t> MemoryDeliveryQueue::Enqueue(const DeliveryJob& job) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, existing] : jobs_)
    if (existing.report_id == job.report_id && existing.version == job.version &&
        existing.destination == job.destination)
      return id;
  DeliveryJob stored = job;
  stored.id = next_id_++;
  stored.state = ports::kDeliveryPending;
  stored.attempts.clear();
  jobs_[stored.id] = stored;
  return stored.id;
}

Result<std::optional<DeliveryJob>> MemoryDeliveryQueue::Claim(const std::string& now) {
  std::lock_guard lock(mutex_);
  DeliveryJob* due = nullptr;
  for (auto& [id, job] : jobs_)
    if (job.state == ports::kDeliveryPending && job.next_attempt_at <= now &&
        (!due || job.next_attempt_at < due->next_attempt_at))
      due = &job;
  if (!due) return std::optional<DeliveryJob>();
  due->state = ports::kDeliveryInFlight;
  return std::optional<DeliveryJob>(*due);
}

Status MemoryDeliveryQueue::Finish(std::int64_t id, const ports::DeliveryAttempt& attempt, const std::string& state,
                                   const std::string& next_attempt_at) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Fail(ErrorCode::kNotFound, "no delivery job " + std::to_string(id));
  if (it->second.state != ports::kDeliveryInFlight)
    return Fail(ErrorCode::kInvalidArgument, "delivery job " + std::to_string(id) + " is not in flight");
  it->second.attempts.push_back(attempt);
  it->second.state = state;
  it->second.next_attempt_at = next_attempt_at;
  return {};
}

Result<std::size_t> MemoryDeliveryQueue::RequeueInFlight() {
  std::lock_guard lock(mutex_);
  std::size_t moved = 0;
  for (auto& [id, job] : jobs_)
    if (job.state == ports::kDeliveryInFlight) {
      job.state = ports::kDeliveryPending;
      job.next_attempt_at.clear();
      ++moved;
    }
  return moved;
}

Status MemoryDeliveryQueue::Resend(std::int64_t id, const std::string& now) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Fail(ErrorCode::kNotFound, "no delivery job " + std::to_string(id));
  if (it->second.state != ports::kDeliveryFailed)
    return Fail(ErrorCode::kInvalidArgument,
                "delivery job " + std::to_string(id) + " is " + it->second.state + ", not failed");
  it->second.state = ports::kDeliveryPending;
  it->second.next_attempt_at = now;
  return {};
}

Result<DeliveryJob> MemoryDeliveryQueue::Get(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Fail(ErrorCode::kNotFound, "no delivery job " + std::to_string(id));
  return it->second;
}

Result<std::vector<DeliveryJob>> MemoryDeliveryQueue::List(const std::string& state, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<DeliveryJob> out;
  for (auto it = jobs_.rbegin(); it != jobs_.rend() && out.size() < limit; ++it)
    if (state.empty() || it->second.state == state) out.push_back(it->second);
  return out;
}

}  // namespace systole::adapters
