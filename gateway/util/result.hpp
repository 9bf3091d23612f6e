#pragma once
// The one way to fail across modules: an expected value or an Error whose
// message is one line, fit to show the user ("no app named 'shop'"). Details
// for the operator go to the log where the failure happens. Programming
// errors are asserts, not Errors.
#include <expected>
#include <string>
#include <utility>

namespace porter {

struct Error {
  std::string message;
};

template <typename T = void>
using Result = std::expected<T, Error>;

// return fail("no app named '" + app + "'");
inline std::unexpected<Error> fail(std::string message) { return std::unexpected(Error{std::move(message)}); }

// A Result<void> that succeeded.
inline Result<> ok() { return {}; }

}  // namespace porter
