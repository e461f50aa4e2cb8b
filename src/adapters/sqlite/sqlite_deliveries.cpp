// SqliteDeliveryQueue: delivery_jobs + delivery_attempts (schema version 5).
#include "adapters/sqlite/sqlite_deliveries.h"

#include <fmt/format.h>

#include "adapters/sqlite/internal/connection.h"
#include "adapters/sqlite/internal/schema.h"

namespace systole::adapters {
namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr const char* kJobColumns = "pk, report_id, version, destination, state, document, created_at, next_attempt_at";

ports::DeliveryJob ReadJob(const Statement& row) {
  ports::DeliveryJob job;
  job.id = row.Int(0);
  job.report_id = row.Text(1);
  job.version = static_cast<int>(row.Int(2));
  job.destination = row.Text(3);
  job.state = row.Text(4);
  job.document = row.Text(5);
  job.created_at = row.Text(6);
  job.next_attempt_at = row.Text(7);
  return job;
}

Status ReadAttempts(Connection& c, ports::DeliveryJob& job) {
  auto stmt = c.Prepare("SELECT at, outcome, ack_code, detail FROM delivery_attempts WHERE job_pk = ? ORDER BY pk");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, job.id);
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    job.attempts.push_back({stmt->Text(0), stmt->Text(1), stmt->Text(2), stmt->Text(3)});
  }
}

// The job `id` with its attempts; kNotFound when absent.
Result<ports::DeliveryJob> LoadJob(Connection& c, std::int64_t id) {
  ports::DeliveryJob job;
  {
    auto stmt = c.Prepare(fmt::format("SELECT {} FROM delivery_jobs WHERE pk = ?", kJobColumns));
    if (!stmt) return std::unexpected(stmt.error());
    stmt->Bind(1, id);
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return Fail(ErrorCode::kNotFound, fmt::format("no delivery job {}", id));
    job = ReadJob(*stmt);
  }
  SYSTOLE_RETURN_IF_ERROR(ReadAttempts(c, job));
  return job;
}

// kNotFound for an unknown job; kInvalidArgument when it is not in `state`.
Status ExpectState(Connection& c, std::int64_t id, std::string_view state) {
  auto job = LoadJob(c, id);
  if (!job) return std::unexpected(job.error());
  if (job->state != state)
    return Fail(ErrorCode::kInvalidArgument, fmt::format("delivery job {} is {}, not {}", id, job->state, state));
  return {};
}

Status SetState(Connection& c, std::int64_t id, std::string_view state, const std::string& next_attempt_at) {
  auto update = c.Prepare("UPDATE delivery_jobs SET state = ?, next_attempt_at = ? WHERE pk = ?");
  if (!update) return std::unexpected(update.error());
  update->Bind(1, state).Bind(2, next_attempt_at).Bind(3, id);
  return update->Run();
}

}  // namespace

SqliteDeliveryQueue::SqliteDeliveryQueue(std::unique_ptr<sqlite::ConnectionPool> pool) : pool_(std::move(pool)) {}
SqliteDeliveryQueue::~SqliteDeliveryQueue() = default;

Result<std::unique_ptr<SqliteDeliveryQueue>> SqliteDeliveryQueue::Open(const std::filesystem::path& path) {
  auto pool = std::make_unique<sqlite::ConnectionPool>(path, 2);
  {
    auto lease = pool->Acquire();
    if (!lease) return std::unexpected(lease.error());
    SYSTOLE_RETURN_IF_ERROR(sqlite::Migrate(**lease));
  }
  return std::unique_ptr<SqliteDeliveryQueue>(new SqliteDeliveryQueue(std::move(pool)));
}

Result<std::int64_t> SqliteDeliveryQueue::Enqueue(const ports::DeliveryJob& job) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Result<std::int64_t> {
    auto insert = c.Prepare(
        "INSERT INTO delivery_jobs (report_id, version, destination, state, document, created_at, next_attempt_at) "
        "VALUES (?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (report_id, version, destination) DO NOTHING");
    if (!insert) return std::unexpected(insert.error());
    insert->Bind(1, job.report_id).Bind(2, static_cast<std::int64_t>(job.version)).Bind(3, job.destination);
    insert->Bind(4, job.document).Bind(5, job.created_at).Bind(6, job.next_attempt_at);
    SYSTOLE_RETURN_IF_ERROR(insert->Run());
    auto find = c.Prepare("SELECT pk FROM delivery_jobs WHERE report_id = ? AND version = ? AND destination = ?");
    if (!find) return std::unexpected(find.error());
    find->Bind(1, job.report_id).Bind(2, static_cast<std::int64_t>(job.version)).Bind(3, job.destination);
    auto row = find->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return Fail(ErrorCode::kInternal, "delivery job vanished after insert");
    return find->Int(0);
  });
}

Result<std::optional<ports::DeliveryJob>> SqliteDeliveryQueue::Claim(const std::string& now) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Result<std::optional<ports::DeliveryJob>> {
    std::int64_t id = 0;
    std::string due_time;
    {
      auto due = c.Prepare(
          "SELECT pk, next_attempt_at FROM delivery_jobs WHERE state = 'pending' AND next_attempt_at <= ? "
          "ORDER BY next_attempt_at, pk LIMIT 1");
      if (!due) return std::unexpected(due.error());
      due->Bind(1, now);
      auto row = due->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) return std::optional<ports::DeliveryJob>();
      id = due->Int(0);
      due_time = due->Text(1);
    }
    SYSTOLE_RETURN_IF_ERROR(SetState(c, id, ports::kDeliveryInFlight, due_time));
    auto job = LoadJob(c, id);
    if (!job) return std::unexpected(job.error());
    return std::optional<ports::DeliveryJob>(std::move(*job));
  });
}

Status SqliteDeliveryQueue::Finish(std::int64_t id, const ports::DeliveryAttempt& attempt, const std::string& state,
                                   const std::string& next_attempt_at) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Status {
    SYSTOLE_RETURN_IF_ERROR(ExpectState(c, id, ports::kDeliveryInFlight));
    auto insert = c.Prepare("INSERT INTO delivery_attempts (job_pk, at, outcome, ack_code, detail) VALUES (?, ?, ?, ?, ?)");
    if (!insert) return std::unexpected(insert.error());
    insert->Bind(1, id).Bind(2, attempt.at).Bind(3, attempt.outcome).Bind(4, attempt.ack_code).Bind(5, attempt.detail);
    SYSTOLE_RETURN_IF_ERROR(insert->Run());
    return SetState(c, id, state, next_attempt_at);
  });
}

Result<std::size_t> SqliteDeliveryQueue::RequeueInFlight() {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  SYSTOLE_RETURN_IF_ERROR(c.Exec("UPDATE delivery_jobs SET state = 'pending', next_attempt_at = '' WHERE state = 'in_flight'"));
  return static_cast<std::size_t>(c.Changes());
}

Status SqliteDeliveryQueue::Resend(std::int64_t id, const std::string& now) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  return sqlite::InTransaction(c, [&]() -> Status {
    SYSTOLE_RETURN_IF_ERROR(ExpectState(c, id, ports::kDeliveryFailed));
    return SetState(c, id, ports::kDeliveryPending, now);
  });
}

Result<ports::DeliveryJob> SqliteDeliveryQueue::Get(std::int64_t id) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  return LoadJob(**lease, id);
}

Result<std::vector<ports::DeliveryJob>> SqliteDeliveryQueue::List(const std::string& state, std::size_t limit) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  Connection& c = **lease;
  auto stmt = c.Prepare(fmt::format("SELECT {} FROM delivery_jobs WHERE ? = '' OR state = ? ORDER BY pk DESC LIMIT ?",
                                    kJobColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, state).Bind(2, state).Bind(3, static_cast<std::int64_t>(limit));
  std::vector<ports::DeliveryJob> jobs;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    jobs.push_back(ReadJob(*stmt));
  }
  for (auto& job : jobs) SYSTOLE_RETURN_IF_ERROR(ReadAttempts(c, job));
  return jobs;
}

}  // namespace systole::adapters
