#include "adapters/sqlite/sqlite_access_grants.h"

#include <fmt/format.h>

#include <utility>

#include "adapters/sqlite/internal/connection.h"
#include "adapters/sqlite/internal/schema.h"

namespace systole::adapters {
namespace {

using sqlite::Statement;

constexpr const char* kGrantColumns = "id, kind, user, value, reason, created_by, created_at, expires_at";
constexpr const char* kShareColumns =
    "id, token_hash, study, recipient, report, download, pin_hash, failed_pins, created_by, created_at, expires_at, "
    "revoked_at";

domain::Grant ReadGrant(const Statement& s) {
  return {s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Int(6), s.Int(7)};
}

domain::Share ReadShare(const Statement& s) {
  return {s.Text(0), s.Text(1), s.Text(2),  s.Text(3), s.Int(4) != 0, s.Int(5) != 0,
          s.Text(6), static_cast<int>(s.Int(7)), s.Text(8), s.Int(9), s.Int(10), s.Int(11)};
}

// Prepares `sql` on a pooled connection, binds it, and runs `use` on the statement.
template <typename Use>
auto WithStatement(sqlite::ConnectionPool& pool, const std::string& sql, Use&& use)
    -> decltype(use(std::declval<Statement&>(), std::declval<sqlite::Connection&>())) {
  auto lease = pool.Acquire();
  if (!lease) return std::unexpected(lease.error());
  auto stmt = (*lease)->Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  return use(*stmt, **lease);
}

}  // namespace

SqliteAccessGrants::SqliteAccessGrants(std::unique_ptr<sqlite::ConnectionPool> pool) : pool_(std::move(pool)) {}
SqliteAccessGrants::~SqliteAccessGrants() = default;

Result<std::unique_ptr<SqliteAccessGrants>> SqliteAccessGrants::Open(const std::filesystem::path& path) {
  auto pool = std::make_unique<sqlite::ConnectionPool>(path, 2);
  {
    auto lease = pool->Acquire();
    if (!lease) return std::unexpected(lease.error());
    SYSTOLE_RETURN_IF_ERROR(sqlite::Migrate(**lease));
  }
  return std::unique_ptr<SqliteAccessGrants>(new SqliteAccessGrants(std::move(pool)));
}

Result<std::int64_t> SqliteAccessGrants::AddGrant(const domain::Grant& g) {
  return WithStatement(
      *pool_,
      "INSERT INTO access_grants (kind, user, value, reason, created_by, created_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      [&](Statement& s, sqlite::Connection& c) -> Result<std::int64_t> {
        s.Bind(1, g.kind).Bind(2, g.user).Bind(3, g.value).Bind(4, g.reason).Bind(5, g.created_by);
        s.Bind(6, g.created_at).Bind(7, g.expires_at);
        SYSTOLE_RETURN_IF_ERROR(s.Run());
        return c.LastInsertRowId();
      });
}

Result<int> SqliteAccessGrants::RemoveGrants(const std::string& kind, const std::string& user,
                                             const std::string& value) {
  return WithStatement(*pool_, "DELETE FROM access_grants WHERE kind = ? AND user = ? AND value = ?",
                       [&](Statement& s, sqlite::Connection& c) -> Result<int> {
                         s.Bind(1, kind).Bind(2, user).Bind(3, value);
                         SYSTOLE_RETURN_IF_ERROR(s.Run());
                         return c.Changes();
                       });
}

Result<std::vector<domain::Grant>> SqliteAccessGrants::ListGrants(const std::string& kind, const std::string& user) {
  return WithStatement(
      *pool_,
      fmt::format("SELECT {} FROM access_grants WHERE kind = ? AND (? = '' OR user = ?) ORDER BY id", kGrantColumns),
      [&](Statement& s, sqlite::Connection&) {
        s.Bind(1, kind).Bind(2, user).Bind(3, user);
        return sqlite::ReadAll<domain::Grant>(s, ReadGrant);
      });
}

Status SqliteAccessGrants::AddShare(const domain::Share& x) {
  return WithStatement(
      *pool_, fmt::format("INSERT INTO shares ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", kShareColumns),
      [&](Statement& s, sqlite::Connection&) -> Status {
        s.Bind(1, x.id).Bind(2, x.token_hash).Bind(3, x.study).Bind(4, x.recipient);
        s.Bind(5, std::int64_t{x.report}).Bind(6, std::int64_t{x.download}).Bind(7, x.pin_hash);
        s.Bind(8, std::int64_t{x.failed_pins}).Bind(9, x.created_by).Bind(10, x.created_at);
        s.Bind(11, x.expires_at).Bind(12, x.revoked_at);
        auto ran = s.Run();
        if (!ran) return Fail(ErrorCode::kAlreadyExists, "share not stored: " + ran.error().message);
        return {};
      });
}

Result<std::vector<domain::Share>> SqliteAccessGrants::SelectShares(const std::string& where,
                                                                     const std::vector<std::string>& values) {
  return WithStatement(*pool_,
                       fmt::format("SELECT {} FROM shares WHERE {} ORDER BY created_at DESC", kShareColumns, where),
                       [&](Statement& s, sqlite::Connection&) {
                         for (std::size_t i = 0; i < values.size(); ++i) s.Bind(static_cast<int>(i + 1), values[i]);
                         return sqlite::ReadAll<domain::Share>(s, ReadShare);
                       });
}

Result<domain::Share> SqliteAccessGrants::FindShare(const std::string& id) {
  auto found = SelectShares("id = ?", {id});
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return Fail(ErrorCode::kNotFound, "no share " + id);
  return found->front();
}

Result<domain::Share> SqliteAccessGrants::FindShareByToken(const std::string& token_hash) {
  auto found = SelectShares("token_hash = ?", {token_hash});
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return Fail(ErrorCode::kNotFound, "no such share link");
  return found->front();
}

Result<std::vector<domain::Share>> SqliteAccessGrants::ListShares(const std::string& study) {
  return SelectShares("(? = '' OR study = ?)", {study, study});
}

Status SqliteAccessGrants::UpdateShare(const domain::Share& x) {
  return WithStatement(*pool_, "UPDATE shares SET failed_pins = ?, revoked_at = ? WHERE id = ?",
                       [&](Statement& s, sqlite::Connection& c) -> Status {
                         s.Bind(1, std::int64_t{x.failed_pins}).Bind(2, x.revoked_at).Bind(3, x.id);
                         SYSTOLE_RETURN_IF_ERROR(s.Run());
                         if (c.Changes() == 0) return Fail(ErrorCode::kNotFound, "no share " + x.id);
                         return {};
                       });
}

}  // namespace systole::adapters
