// tests/interop/check.hpp — what every real-peer test program shares: progress output with
// times relative to the start, a check counter that prints every check, and the skip / required
// gate for missing peer programs (exit 77, or 1 under IPMIKIT_INTEROP_REQUIRED=1).
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"

namespace ipmikit::interop {

/// When the test process started (all times printed are relative to it).
inline const steady::time_point g_test_start = steady::now();

inline void say(const std::string& text) {
  std::printf("[%6lld ms] %s\n", elapsed_ms(g_test_start), text.c_str());
  std::fflush(stdout);
}

/// Milliseconds between two time points, signed.
[[nodiscard]] inline long long ms_between(steady::time_point from, steady::time_point to) {
  return std::chrono::duration_cast<millis>(to - from).count();
}

/// Counts failed checks and prints every check.
class checker {
 public:
  bool check(bool cond, const std::string& what, const std::string& detail = {}) {
    if (cond) {
      say("  ok   " + what);
    } else {
      ++failures_;
      say("  FAIL " + what + (detail.empty() ? std::string() : "\n         " + detail));
    }
    return cond;
  }
  template <class T>
  bool check_ok(const result<T>& r, const std::string& what) {
    return check(r.ok(), what, r.error());
  }
  bool check_bytes(std::span<const std::uint8_t> got, std::span<const std::uint8_t> want,
                   const std::string& what) {
    return check(std::ranges::equal(got, want), what + ": " + hex(got),
                 "expected " + hex(want) + "\n         got      " + hex(got));
  }
  bool check_bytes(std::span<const std::uint8_t> got, std::initializer_list<std::uint8_t> want,
                   const std::string& what) {
    return check_bytes(got, std::span<const std::uint8_t>(want.begin(), want.size()), what);
  }
  /// A finding that is reported, not judged (e.g. how a peer behaves where the reference is
  /// silent or a negative control did not reproduce).
  void note(const std::string& what) { say("  note " + what); }
  [[nodiscard]] int failures() const noexcept { return failures_; }

 private:
  int failures_ = 0;
};

/// IPMIKIT_INTEROP_KEEP set (and not "0"): keep the temporary directories even when every
/// check passed.
[[nodiscard]] inline bool keep_requested() {
  const char* keep = std::getenv("IPMIKIT_INTEROP_KEEP");
  return keep != nullptr && *keep != '\0' && std::string_view(keep) != "0";
}

/// The exit status when a peer program is missing: 77 (skip), or 1 when
/// IPMIKIT_INTEROP_REQUIRED=1 (scripts/test.sh sets it, so a missing program fails there).
[[nodiscard]] inline int missing_program_exit(const std::string& what) {
  const char* required = std::getenv("IPMIKIT_INTEROP_REQUIRED");
  if (required != nullptr && std::string_view(required) == "1") {
    say("FAIL IPMIKIT_INTEROP_REQUIRED=1 but " + what + " is missing");
    return 1;
  }
  say("SKIP " + what + " not in PATH");
  return 77;
}

}  // namespace ipmikit::interop
