// Result<T>: the error type of every module boundary in Systole.
//
// An operation that can fail returns Result<T> (std::expected<T, Error>).
// Error carries one of a few canonical codes and a human-readable message
// naming the reason. Protocol adapters map codes to their own status
// vocabulary (DIMSE status, HTTP status, HL7 ACK code); nothing here knows
// about any protocol.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace systole {

enum class ErrorCode {
  kInvalidArgument,   // the input is wrong: malformed, missing, inconsistent
  kNotFound,          // the thing asked for does not exist
  kAlreadyExists,     // a unique thing is there already
  kPermissionDenied,  // the caller may not do this
  kUnavailable,       // a resource is exhausted or down (disk full, I/O error); retry may work
  kInternal,          // a bug or an invariant broken
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;

// Result of an operation that returns nothing on success.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

}  // namespace systole

// Returns the error of `expr` (a Result or Status) from the enclosing function.
#define SYSTOLE_RETURN_IF_ERROR(expr)                       \
  do {                                                      \
    auto systole_status_ = (expr);                          \
    if (!systole_status_) return std::unexpected(std::move(systole_status_.error())); \
  } while (0)
