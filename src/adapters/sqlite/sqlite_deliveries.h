// SqliteDeliveryQueue: ports::DeliveryQueue on the index database (tables
// delivery_jobs and delivery_attempts, schema version 5). It opens its own
// small connection pool on the same file (WAL: readers and the index's
// writers do not block each other for long) and migrates it like the index.
// Thread-safe.
#pragma once

#include <filesystem>
#include <memory>

#include "ports/delivery_queue.h"

namespace systole::adapters {

namespace sqlite { class ConnectionPool; }

class SqliteDeliveryQueue final : public ports::DeliveryQueue {
 public:
  // Opens (creating and migrating if needed) the database at `path`.
  static Result<std::unique_ptr<SqliteDeliveryQueue>> Open(const std::filesystem::path& path);
  ~SqliteDeliveryQueue() override;

  Result<std::int64_t> Enqueue(const ports::DeliveryJob& job) override;
  Result<std::optional<ports::DeliveryJob>> Claim(const std::string& now) override;
  Status Finish(std::int64_t id, const ports::DeliveryAttempt& attempt, const std::string& state,
                const std::string& next_attempt_at) override;
  Result<std::size_t> RequeueInFlight() override;
  Status Resend(std::int64_t id, const std::string& now) override;
  Result<ports::DeliveryJob> Get(std::int64_t id) override;
  Result<std::vector<ports::DeliveryJob>> List(const std::string& state, std::size_t limit) override;

 private:
  explicit SqliteDeliveryQueue(std::unique_ptr<sqlite::ConnectionPool> pool);
  std::unique_ptr<sqlite::ConnectionPool> pool_;
};

}  // namespace systole::adapters
