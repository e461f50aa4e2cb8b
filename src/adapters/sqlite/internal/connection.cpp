#include "adapters/sqlite/internal/connection.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace systole::adapters::sqlite {
namespace {

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  const ErrorCode code = (rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_BUSY || rc == SQLITE_CANTOPEN ||
                          rc == SQLITE_READONLY || (rc & 0xFF) == SQLITE_IOERR)
                             ? ErrorCode::kUnavailable
                             : ErrorCode::kInternal;
  return Error{code, fmt::format("sqlite {}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
}

}  // namespace

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(SqliteError(sqlite3_db_handle(stmt_), rc, "step"));
}

Status Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error error = SqliteError(db, rc, "open " + path.string());
    sqlite3_close(db);
    return std::unexpected(error);
  }
  std::unique_ptr<Connection> connection(new Connection(db));
  sqlite3_busy_timeout(db, 30000);
  // WAL: readers never block the writer. synchronous=FULL: a commit is on disk
  // when it returns, so an acknowledged instance survives power loss too.
  auto s = connection->Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
      "PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY;");
  if (!s) return std::unexpected(s.error());
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Result<Statement> Connection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(SqliteError(db_, rc, "prepare"));
  cache_.emplace(sql, stmt);
  return Statement(stmt);
}

Status Connection::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    Error error{SqliteError(db_, rc, "exec").code, fmt::format("sqlite exec: {}", message ? message : sqlite3_errstr(rc))};
    sqlite3_free(message);
    return std::unexpected(error);
  }
  return {};
}

Result<ConnectionPool::Lease> ConnectionPool::Acquire() {
  std::unique_lock lock(mutex_);
  while (idle_.empty() && open_ >= max_) available_.wait(lock);
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(connection));
  }
  ++open_;
  lock.unlock();
  auto connection = Connection::Open(path_);
  if (!connection) {
    std::lock_guard relock(mutex_);
    --open_;
    available_.notify_one();
    return std::unexpected(connection.error());
  }
  return Lease(*this, std::move(*connection));
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(connection));
  available_.notify_one();
}

}  // namespace systole::adapters::sqlite
