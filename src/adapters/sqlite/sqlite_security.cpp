#include "adapters/sqlite/sqlite_security.h"

#include <fmt/format.h>

#include "adapters/sqlite/internal/connection.h"
#include "adapters/sqlite/internal/schema.h"

namespace systole::adapters {
namespace {

using sqlite::Statement;

constexpr const char* kUserColumns = "name, role, password_hash, failed_logins, locked_until, created_at";
constexpr const char* kAuditColumns = "seq, recorded_at, user, patient, study, message, prev_hash, hash";

domain::User ReadUser(const Statement& s) {
  return {s.Text(0), s.Text(1), s.Text(2), static_cast<int>(s.Int(3)), s.Int(4), s.Int(5)};
}

domain::AuditRecord ReadAudit(const Statement& s) {
  return {s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6), s.Text(7)};
}

// Runs `sql` bound by `bind`, calling `row` for each result row.
template <typename Bind, typename Row>
Status Query(sqlite::ConnectionPool& pool, const std::string& sql, Bind&& bind, Row&& row) {
  auto lease = pool.Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  bind(*stmt);
  while (true) {
    auto more = stmt->Step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
    row(*stmt);
  }
}

}  // namespace

SqliteSecurityStore::SqliteSecurityStore(std::unique_ptr<sqlite::ConnectionPool> pool) : pool_(std::move(pool)) {}
SqliteSecurityStore::~SqliteSecurityStore() = default;

Result<std::unique_ptr<SqliteSecurityStore>> SqliteSecurityStore::Open(const std::filesystem::path& path) {
  auto pool = std::make_unique<sqlite::ConnectionPool>(path, 4);
  {
    auto lease = pool->Acquire();
    if (!lease) return std::unexpected(lease.error());
    SYSTOLE_RETURN_IF_ERROR(sqlite::Migrate(**lease));
  }
  return std::unique_ptr<SqliteSecurityStore>(new SqliteSecurityStore(std::move(pool)));
}

Status SqliteSecurityStore::AddUser(const domain::User& u) {
  if (FindUser(u.name)) return Fail(ErrorCode::kAlreadyExists, "user " + u.name + " exists");
  return Query(*pool_, fmt::format("INSERT INTO users ({}) VALUES (?, ?, ?, ?, ?, ?)", kUserColumns),
               [&](Statement& s) {
                 s.Bind(1, u.name).Bind(2, u.role).Bind(3, u.password_hash).Bind(4, std::int64_t{u.failed_logins});
                 s.Bind(5, u.locked_until).Bind(6, u.created_at);
               },
               [](const Statement&) {});
}

Result<domain::User> SqliteSecurityStore::FindUser(const std::string& name) {
  std::optional<domain::User> found;
  SYSTOLE_RETURN_IF_ERROR(Query(*pool_, fmt::format("SELECT {} FROM users WHERE name = ?", kUserColumns),
                                [&](Statement& s) { s.Bind(1, name); },
                                [&](const Statement& s) { found = ReadUser(s); }));
  if (!found) return Fail(ErrorCode::kNotFound, "no user " + name);
  return *found;
}

Result<std::vector<domain::User>> SqliteSecurityStore::ListUsers() {
  std::vector<domain::User> users;
  SYSTOLE_RETURN_IF_ERROR(Query(*pool_, fmt::format("SELECT {} FROM users ORDER BY name", kUserColumns),
                                [](Statement&) {}, [&](const Statement& s) { users.push_back(ReadUser(s)); }));
  return users;
}

Status SqliteSecurityStore::UpdateLoginState(const domain::User& u) {
  return Query(*pool_, "UPDATE users SET failed_logins = ?, locked_until = ? WHERE name = ?",
               [&](Statement& s) { s.Bind(1, std::int64_t{u.failed_logins}).Bind(2, u.locked_until).Bind(3, u.name); },
               [](const Statement&) {});
}

Status SqliteSecurityStore::AddSession(const domain::Session& x) {
  return Query(*pool_,
               "INSERT INTO sessions (token_hash, user, kind, created_at, last_seen_at, label) VALUES (?, ?, ?, ?, ?, ?)",
               [&](Statement& s) {
                 s.Bind(1, x.token_hash).Bind(2, x.user).Bind(3, x.kind).Bind(4, x.created_at);
                 s.Bind(5, x.last_seen_at).Bind(6, x.label);
               },
               [](const Statement&) {});
}

Result<domain::Session> SqliteSecurityStore::FindSession(const std::string& token_hash) {
  std::optional<domain::Session> found;
  SYSTOLE_RETURN_IF_ERROR(
      Query(*pool_, "SELECT token_hash, user, kind, created_at, last_seen_at, label FROM sessions WHERE token_hash = ?",
            [&](Statement& s) { s.Bind(1, token_hash); },
            [&](const Statement& s) {
              found = domain::Session{s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4), s.Text(5)};
            }));
  if (!found) return Fail(ErrorCode::kNotFound, "no such session");
  return *found;
}

Status SqliteSecurityStore::TouchSession(const std::string& token_hash, std::int64_t last_seen_at) {
  return Query(*pool_, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
               [&](Statement& s) { s.Bind(1, last_seen_at).Bind(2, token_hash); }, [](const Statement&) {});
}

Status SqliteSecurityStore::RemoveSession(const std::string& token_hash) {
  return Query(*pool_, "DELETE FROM sessions WHERE token_hash = ?", [&](Statement& s) { s.Bind(1, token_hash); },
               [](const Statement&) {});
}

Result<domain::AuditRecord> SqliteSecurityStore::LastRecord() {
  std::optional<domain::AuditRecord> found;
  SYSTOLE_RETURN_IF_ERROR(Query(*pool_, fmt::format("SELECT {} FROM audit_log ORDER BY seq DESC LIMIT 1", kAuditColumns),
                                [](Statement&) {}, [&](const Statement& s) { found = ReadAudit(s); }));
  if (!found) return Fail(ErrorCode::kNotFound, "empty audit log");
  return *found;
}

Status SqliteSecurityStore::Append(const domain::AuditRecord& r) {
  auto lease = pool_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  sqlite::Connection& connection = **lease;
  return sqlite::InTransaction(connection, [&]() -> Status {
    auto last = connection.Prepare("SELECT COALESCE(MAX(seq), 0) FROM audit_log");
    if (!last) return std::unexpected(last.error());
    auto row = last->Step();
    if (!row) return std::unexpected(row.error());
    if (last->Int(0) + 1 != r.seq) return Fail(ErrorCode::kAlreadyExists, "audit seq race");
    auto insert = connection.Prepare(fmt::format("INSERT INTO audit_log ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", kAuditColumns));
    if (!insert) return std::unexpected(insert.error());
    insert->Bind(1, r.seq).Bind(2, r.recorded_at).Bind(3, r.user).Bind(4, r.patient).Bind(5, r.study);
    insert->Bind(6, r.message).Bind(7, r.prev_hash).Bind(8, r.hash);
    return insert->Run();
  });
}

Status SqliteSecurityStore::ForEachRecord(const std::function<void(const domain::AuditRecord&)>& visit) {
  return Query(*pool_, fmt::format("SELECT {} FROM audit_log ORDER BY seq", kAuditColumns), [](Statement&) {},
               [&](const Statement& s) { visit(ReadAudit(s)); });
}

Result<std::vector<domain::AuditRecord>> SqliteSecurityStore::Search(const domain::AuditFilter& f) {
  // Empty filter values match everything; every value is bound, never spliced.
  std::vector<domain::AuditRecord> found;
  SYSTOLE_RETURN_IF_ERROR(Query(
      *pool_,
      fmt::format("SELECT {} FROM audit_log WHERE (?1 = '' OR user = ?1) AND (?2 = '' OR patient = ?2) "
                  "AND (?3 = '' OR study = ?3) AND recorded_at >= ?4 AND recorded_at <= ?5 ORDER BY seq LIMIT ?6",
                  kAuditColumns),
      [&](Statement& s) {
        s.Bind(1, f.user).Bind(2, f.patient).Bind(3, f.study);
        s.Bind(4, f.from.value_or(INT64_MIN)).Bind(5, f.to.value_or(INT64_MAX));
        s.Bind(6, static_cast<std::int64_t>(f.limit));
      },
      [&](const Statement& s) { found.push_back(ReadAudit(s)); }));
  return found;
}

}  // namespace systole::adapters
