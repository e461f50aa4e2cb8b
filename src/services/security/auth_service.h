// Sign-in: local users with Argon2id passwords, lockout after repeated
// failures, browser sessions (idle and absolute expiry) and API tokens. Tokens
// are 256 random bits handed to the caller once; only their SHA-256 is stored.
// Thread-safe (the stores are; the service keeps no mutable state).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/clock.h"
#include "ports/security_store.h"
#include "services/security/permissions.h"

namespace systole::security {

struct SecurityPolicy {
  int lockout_failures = 5;                        // consecutive failures that lock an account
  std::chrono::minutes lockout_duration{15};
  std::chrono::minutes session_idle{30};           // a browser session unused this long expires
  std::chrono::minutes session_max{12 * 60};       // and every session after this long
  std::chrono::days api_token_max{365};            // an API token expires this long after its creation; 0: never
};

// Who a request comes from.
struct Principal {
  std::string user;
  std::string role;          // "" for a valid OIDC token whose claims map to no role (403)
  bool new_sign_in = false;  // an OIDC token used for the first time: audited as a sign-in
};

class TokenVerifier;

enum class LoginStatus { kSignedIn, kBadCredentials, kLocked };

struct LoginOutcome {
  LoginStatus status = LoginStatus::kBadCredentials;
  std::string token;        // kSignedIn: the session token (give it to the client; never stored)
  Principal principal;      // kSignedIn
  std::int64_t locked_until = 0;  // kLocked: unix seconds
};

class AuthService {
 public:
  AuthService(ports::UserStore& users, ports::SessionStore& sessions, const PermissionTable& permissions,
              const Clock& clock, SecurityPolicy policy)
      : users_(users), sessions_(sessions), permissions_(permissions), clock_(clock), policy_(policy) {}

  // kInvalidArgument: empty or malformed name, unknown role, password shorter than 10
  // characters; kAlreadyExists: the name is taken.
  Result<domain::User> AddUser(const std::string& name, const std::string& role, const std::string& password);
  Result<std::vector<domain::User>> ListUsers() { return users_.ListUsers(); }

  // Errors only for store failures; wrong name or password, and locked
  // accounts, are outcomes (the same kBadCredentials for an unknown name).
  Result<LoginOutcome> Login(const std::string& name, const std::string& password);

  // The principal of a session or API token, or of an OIDC JWT (two dots) when
  // a TokenVerifier is set. kPermissionDenied when the token is unknown,
  // expired, invalid, or its user is gone.
  Result<Principal> Authenticate(const std::string& token);

  // OIDC bearer tokens (nullptr: off). The verifier must outlive this service.
  void SetTokenVerifier(TokenVerifier* verifier) { verifier_ = verifier; }

  Status Logout(const std::string& token);

  // A new API token (bearer) for an existing user. kNotFound for an unknown user.
  Result<std::string> CreateApiToken(const std::string& user, const std::string& label);
  // When an API token made now expires (unix seconds), 0 if API tokens do not expire.
  std::int64_t ApiTokenExpiry() const;

  const PermissionTable& permissions() const { return permissions_; }

 private:
  std::int64_t NowSeconds() const;

  ports::UserStore& users_;
  ports::SessionStore& sessions_;
  const PermissionTable& permissions_;
  const Clock& clock_;
  SecurityPolicy policy_;
  TokenVerifier* verifier_ = nullptr;
};

}  // namespace systole::security
