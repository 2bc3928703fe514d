// tests/interop/common.hpp — shared pieces of the real-peer test harness: a result type that
// carries an error message, an owning file descriptor, deadlines and hex formatting.
//
// The harness reports errors by value (no exceptions): a function that can fail returns
// `result<T>` (a value, or a message saying what went wrong) or `status` (= result<done>).
// Every wait in the harness is bounded by a `deadline` and, where it loops, by a count.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

namespace ipmikit::interop {

// ---------------------------------------------------------------------------------------------
// Errors

/// An error message on its way into a `result`.
struct failure {
  std::string message;
};

[[nodiscard]] inline failure fail(std::string message) { return failure{std::move(message)}; }

/// "what: <strerror(err)>".
[[nodiscard]] inline std::string errno_text(std::string_view what, int err) {
  std::string s(what);
  s += ": ";
  s += std::strerror(err);
  return s;
}

/// A failure from the current errno (read before anything else can change it).
[[nodiscard]] inline failure fail_errno(std::string_view what) {
  const int err = errno;
  return fail(errno_text(what, err));
}

/// A value of type T, or the message of why there is none.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  result(failure f) : error_(std::move(f.message)) {  // NOLINT(google-explicit-constructor)
    if (error_.empty()) error_ = "unspecified error";
  }

  [[nodiscard]] bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }

  // Preconditions: ok().
  [[nodiscard]] T& value() & { return *value_; }
  [[nodiscard]] const T& value() const& { return *value_; }
  [[nodiscard]] T&& value() && { return std::move(*value_); }
  [[nodiscard]] T& operator*() & { return *value_; }
  [[nodiscard]] const T& operator*() const& { return *value_; }
  [[nodiscard]] T* operator->() { return &*value_; }
  [[nodiscard]] const T* operator->() const { return &*value_; }

  /// Empty when ok().
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

/// The value of a `status` that succeeded.
struct done {};
using status = result<done>;

[[nodiscard]] inline status success() { return done{}; }

/// "context: message", for passing an error up with more detail.
[[nodiscard]] inline failure fail_with(std::string_view context, const std::string& message) {
  std::string s(context);
  s += ": ";
  s += message;
  return fail(std::move(s));
}

// ---------------------------------------------------------------------------------------------
// An owning file descriptor

class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~unique_fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// ---------------------------------------------------------------------------------------------
// Time

using steady = std::chrono::steady_clock;
using millis = std::chrono::milliseconds;

/// A point in time after which a wait gives up.
class deadline {
 public:
  explicit deadline(millis budget) : end_(steady::now() + budget) {}

  [[nodiscard]] bool expired() const { return steady::now() >= end_; }

  /// Milliseconds left, rounded up, 0 when expired, capped to fit poll()'s int.
  [[nodiscard]] int remaining_ms() const {
    const auto left = end_ - steady::now();
    if (left <= steady::duration::zero()) return 0;
    const auto ms = std::chrono::ceil<millis>(left).count();
    return static_cast<int>(std::min<long long>(ms, INT_MAX));
  }

 private:
  steady::time_point end_;
};

inline void sleep_ms(int ms) { std::this_thread::sleep_for(millis(ms)); }
inline void sleep_us(int us) { std::this_thread::sleep_for(std::chrono::microseconds(us)); }

/// Milliseconds since `start`, for progress output.
[[nodiscard]] inline long long elapsed_ms(steady::time_point start) {
  return std::chrono::duration_cast<millis>(steady::now() - start).count();
}

// ---------------------------------------------------------------------------------------------
// Formatting

/// "FF 01 A1".
[[nodiscard]] inline std::string hex(std::span<const std::uint8_t> bytes) {
  std::string s;
  s.reserve(bytes.size() * 3);
  char buf[4];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02X", static_cast<unsigned>(bytes[i]));
    if (i != 0) s += ' ';
    s += buf;
  }
  return s;
}

/// "A1".
[[nodiscard]] inline std::string hex(std::uint8_t byte) {
  const std::uint8_t one[1] = {byte};
  return hex(std::span<const std::uint8_t>(one));
}

/// "0xCA2".
[[nodiscard]] inline std::string hex_port(std::uint16_t port) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%X", static_cast<unsigned>(port));
  return buf;
}

/// The texts one after another, "; " between them ("" for none).
[[nodiscard]] inline std::string join(const std::vector<std::string>& texts) {
  std::string s;
  for (const auto& t : texts) s += (s.empty() ? "" : "; ") + t;
  return s;
}

/// The bytes of a string, for writing it to a socket.
[[nodiscard]] inline std::span<const std::uint8_t> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace ipmikit::interop
