#include "services/security/jwt.h"

#include <algorithm>

namespace systole::security {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int Sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

Result<nlohmann::json> DecodeObject(std::string_view part, const char* what) {
  auto bytes = Base64UrlDecode(part);
  if (!bytes) return Fail(ErrorCode::kInvalidArgument, std::string(what) + " is not base64url");
  auto object = nlohmann::json::parse(*bytes, nullptr, false);
  if (!object.is_object()) return Fail(ErrorCode::kInvalidArgument, std::string(what) + " is not a JSON object");
  return object;
}

}  // namespace

bool LooksLikeJwt(std::string_view token) { return std::count(token.begin(), token.end(), '.') == 2; }

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = Sextet(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical trailing bits
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

Result<Jwt> ParseJwt(std::string_view token) {
  if (token.size() > kMaxJwtBytes) return Fail(ErrorCode::kInvalidArgument, "token longer than 16 KB");
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return Fail(ErrorCode::kInvalidArgument, "not three dot-separated parts");
  Jwt jwt;
  auto header = DecodeObject(token.substr(0, first), "header");
  if (!header) return std::unexpected(header.error());
  auto claims = DecodeObject(token.substr(first + 1, second - first - 1), "claims");
  if (!claims) return std::unexpected(claims.error());
  auto signature = Base64UrlDecode(token.substr(second + 1));
  if (!signature) return Fail(ErrorCode::kInvalidArgument, "signature is not base64url");
  jwt.header = std::move(*header);
  jwt.claims = std::move(*claims);
  jwt.signing_input = std::string(token.substr(0, second));
  jwt.signature = std::move(*signature);
  return jwt;
}

}  // namespace systole::security
