// MemoryDeliveryQueue: ports::DeliveryQueue in memory, for tests. Thread-safe.
#pragma once

#include <map>
#include <mutex>

#include "ports/delivery_queue.h"

namespace systole::adapters {

class MemoryDeliveryQueue final : public ports::DeliveryQueue {
 public:
  Result<std::int64_t> Enqueue(const ports::DeliveryJob& job) override;
  Result<std::optional<ports::DeliveryJob>> Claim(const std::string& now) override;
  Status Finish(std::int64_t id, const ports::DeliveryAttempt& attempt, const std::string& state,
                const std::string& next_attempt_at) override;
  Result<std::size_t> RequeueInFlight() override;
  Status Resend(std::int64_t id, const std::string& now) override;
  Result<ports::DeliveryJob> Get(std::int64_t id) override;
  Result<std::vector<ports::DeliveryJob>> List(const std::string& state, std::size_t limit) override;

 private:
  std::mutex mutex_;
  std::map<std::int64_t, ports::DeliveryJob> jobs_;
  std::int64_t next_id_ = 1;
};

}  // namespace systole::adapters
