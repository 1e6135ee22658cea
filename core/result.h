// Errors as values: every reader returns Result<T>. An Error names the input, the byte offset
// at which the problem was found and a plain sentence, so the CLI can print one line and exit 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace gcspike {

struct Error {
  std::string file;   // input name as the user gave it ("-" is shown as "<stdin>")
  std::string where;  // what the offset is relative to, e.g. "decompressed profile"; may be empty
  std::optional<uint64_t> offset;
  std::string message;

  // "FILE: byte OFFSET[ of WHERE]: MESSAGE"; just MESSAGE when there is neither a file nor an
  // offset (usage errors).
  std::string ToString() const;
};

Error MakeError(std::string message);
Error MakeErrorAt(uint64_t offset, std::string message);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: an optional error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }
  Error& error() { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace gcspike

// Propagate an error from an expression that yields a Result<T> or Status.
#define GCSPIKE_CONCAT_INNER(a, b) a##b
#define GCSPIKE_CONCAT(a, b) GCSPIKE_CONCAT_INNER(a, b)
#define GCSPIKE_RETURN_IF_ERROR(expr)                          \
  do {                                                         \
    auto gcspike_status_ = (expr);                             \
    if (!gcspike_status_.ok()) return gcspike_status_.error(); \
  } while (0)
#define GCSPIKE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp.error());       \
  lhs = std::move(tmp).value()
#define GCSPIKE_ASSIGN_OR_RETURN(lhs, expr) \
  GCSPIKE_ASSIGN_OR_RETURN_IMPL(GCSPIKE_CONCAT(gcspike_result_, __LINE__), lhs, expr)
