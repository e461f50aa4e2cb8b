#include "services/security/auth_service.h"

#include <cctype>

#include "services/security/crypto.h"
#include "services/security/jwt.h"
#include "services/security/token_verifier.h"

namespace systole::security {
namespace {

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '@')) return false;
  return true;
}

}  // namespace

std::int64_t AuthService::NowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
}

Result<domain::User> AuthService::AddUser(const std::string& name, const std::string& role,
                                          const std::string& password) {
  if (!ValidName(name))
    return Fail(ErrorCode::kInvalidArgument, "user name must be 1-64 letters, digits or . - _ @");
  if (!permissions_.HasRole(role)) return Fail(ErrorCode::kInvalidArgument, "unknown role '" + role + "'");
  if (password.size() < 10) return Fail(ErrorCode::kInvalidArgument, "password must have at least 10 characters");
  auto hash = HashPassword(password);
  if (!hash) return std::unexpected(hash.error());
  domain::User user{name, role, *hash, 0, 0, NowSeconds()};
  SYSTOLE_RETURN_IF_ERROR(users_.AddUser(user));
  return user;
}

Result<LoginOutcome> AuthService::Login(const std::string& name, const std::string& password) {
  LoginOutcome outcome;
  auto user = users_.FindUser(name);
  if (!user) {
    if (user.error().code != ErrorCode::kNotFound) return std::unexpected(user.error());
    // Spend the same effort as for a real user, so timing does not reveal names.
    static const std::string kDummy = HashPassword("systole-dummy-password").value_or("");
    (void)VerifyPassword(password, kDummy);
    return outcome;
  }
  const std::int64_t now = NowSeconds();
  if (user->locked_until > now) {
    outcome.status = LoginStatus::kLocked;
    outcome.locked_until = user->locked_until;
    return outcome;
  }
  if (!VerifyPassword(password, user->password_hash)) {
    user->failed_logins += 1;
    if (user->failed_logins >= policy_.lockout_failures) {
      user->failed_logins = 0;
      user->locked_until = now + std::chrono::duration_cast<std::chrono::seconds>(policy_.lockout_duration).count();
      outcome.status = LoginStatus::kLocked;
      outcome.locked_until = user->locked_until;
    }
    SYSTOLE_RETURN_IF_ERROR(users_.UpdateLoginState(*user));
    return outcome;
  }
  if (user->failed_logins != 0 || user->locked_until != 0) {
    user->failed_logins = 0;
    user->locked_until = 0;
    SYSTOLE_RETURN_IF_ERROR(users_.UpdateLoginState(*user));
  }
  outcome.token = RandomToken();
  SYSTOLE_RETURN_IF_ERROR(sessions_.AddSession({Sha256Hex(outcome.token), user->name, "session", now, now, ""}));
  outcome.status = LoginStatus::kSignedIn;
  outcome.principal = {user->name, user->role};
  return outcome;
}

Result<Principal> AuthService::Authenticate(const std::string& token) {
  if (verifier_ && LooksLikeJwt(token)) return verifier_->Verify(token);
  const std::string hash = Sha256Hex(token);
  auto session = sessions_.FindSession(hash);
  if (!session) {
    if (session.error().code == ErrorCode::kNotFound) return Fail(ErrorCode::kPermissionDenied, "unknown token");
    return std::unexpected(session.error());
  }
  const std::int64_t now = NowSeconds();
  if (session->kind == "session") {
    const auto idle = std::chrono::duration_cast<std::chrono::seconds>(policy_.session_idle).count();
    const auto max = std::chrono::duration_cast<std::chrono::seconds>(policy_.session_max).count();
    if (now - session->last_seen_at > idle || now - session->created_at > max) {
      (void)sessions_.RemoveSession(hash);
      return Fail(ErrorCode::kPermissionDenied, "session expired");
    }
    // Write at most once a minute per session, not on every request.
    if (now - session->last_seen_at >= 60) SYSTOLE_RETURN_IF_ERROR(sessions_.TouchSession(hash, now));
  } else if (const auto max = std::chrono::duration_cast<std::chrono::seconds>(policy_.api_token_max).count();
             max > 0 && now - session->created_at > max) {
    (void)sessions_.RemoveSession(hash);
    return Fail(ErrorCode::kPermissionDenied, "API token expired");
  }
  auto user = users_.FindUser(session->user);
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) return Fail(ErrorCode::kPermissionDenied, "user removed");
    return std::unexpected(user.error());
  }
  return Principal{user->name, user->role};
}

Status AuthService::Logout(const std::string& token) { return sessions_.RemoveSession(Sha256Hex(token)); }

Result<std::string> AuthService::CreateApiToken(const std::string& user, const std::string& label) {
  auto found = users_.FindUser(user);
  if (!found) return std::unexpected(found.error());
  std::string token = RandomToken();
  const std::int64_t now = NowSeconds();
  SYSTOLE_RETURN_IF_ERROR(sessions_.AddSession({Sha256Hex(token), found->name, "api", now, now, label}));
  return token;
}

std::int64_t AuthService::ApiTokenExpiry() const {
  const auto max = std::chrono::duration_cast<std::chrono::seconds>(policy_.api_token_max).count();
  return max > 0 ? NowSeconds() + max : 0;
}

}  // namespace systole::security
