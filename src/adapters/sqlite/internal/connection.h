// Thin RAII wrappers over the SQLite C API, private to the SQLite adapter:
// a Connection with a prepared-statement cache, a Statement binder/reader,
// and a bounded pool of connections for concurrent readers and writers.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"

namespace systole::adapters::sqlite {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { if (stmt_) { sqlite3_reset(stmt_); sqlite3_clear_bindings(stmt_); } }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

  Statement& Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Statement& BindNull(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
  }
  // Advances to the next row: true if a row is available, false when done.
  Result<bool> Step();
  // Runs to completion (for statements without results).
  Status Run();

  std::string Text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
  }
  std::int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::filesystem::path& path);
  ~Connection();

  // A cached prepared statement for `sql` (prepared on first use).
  Result<Statement> Prepare(const std::string& sql);
  // Executes one or more statements without parameters.
  Status Exec(const std::string& sql);
  std::int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back on error.
template <typename Body>
auto InTransaction(Connection& connection, Body&& body) -> decltype(body()) {
  if (auto s = connection.Exec("BEGIN IMMEDIATE"); !s) return std::unexpected(s.error());
  auto result = body();
  if (!result) {
    (void)connection.Exec("ROLLBACK");
    return result;
  }
  if (auto s = connection.Exec("COMMIT"); !s) {
    (void)connection.Exec("ROLLBACK");
    return std::unexpected(s.error());
  }
  return result;
}

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> c) : pool_(&pool), connection_(std::move(c)) {}
    Lease(Lease&& other) noexcept = default;
    ~Lease() { if (connection_) pool_->Release(std::move(connection_)); }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  ConnectionPool(std::filesystem::path path, std::size_t max_connections)
      : path_(std::move(path)), max_(max_connections) {}

  // Blocks until a connection is free (opening a new one while under the bound).
  Result<Lease> Acquire();

 private:
  void Release(std::unique_ptr<Connection> connection);

  std::filesystem::path path_;
  std::size_t max_;
  std::size_t open_ = 0;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::mutex mutex_;
  std::condition_variable available_;
};

// Steps `stmt` to its end, `read(stmt)` making one Row per result row.
template <typename Row, typename Read>
Result<std::vector<Row>> ReadAll(Statement& stmt, Read read) {
  std::vector<Row> out;
  while (true) {
    auto row = stmt.Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(read(stmt));
  }
}

}  // namespace systole::adapters::sqlite
