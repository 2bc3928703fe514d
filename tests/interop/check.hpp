// tests/interop/check.hpp — what every real-peer test program shares: progress output with
// times relative to the start, a check counter that prints every check, and the skip / required
// gate for missing peer programs (exit 77, or 1 under IPMIKIT_INTEROP_REQUIRED=1).
#pragma once

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
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

/// IPMIKIT_INTEROP_REQUIRED=1: scripts/test.sh installs the peers and sets it, so a missing
/// program fails there instead of passing as "skipped".
[[nodiscard]] inline bool peers_required() {
  const char* required = std::getenv("IPMIKIT_INTEROP_REQUIRED");
  return required != nullptr && std::string_view(required) == "1";
}

/// The exit status when a peer program is missing: 77 (skip), or 1 when peers_required().
[[nodiscard]] inline int missing_program_exit(const std::string& what) {
  if (peers_required()) {
    say("FAIL IPMIKIT_INTEROP_REQUIRED=1 but " + what + " is missing");
    return 1;
  }
  say("SKIP " + what + " not in PATH");
  return 77;
}

/// A part of a test program that its command line can choose by name.
struct section_choice {
  std::string_view name;
  bool by_default = true;  ///< run when the command line names no section
};

/// The sections chosen by the arguments after the first `fixed_args` (each one a section's
/// name; none: the default sections), one flag per entry of `sections`. Empty, after printing
/// the usage line, when a fixed argument is missing or an argument names no section;
/// `fixed_usage` describes the fixed arguments.
template <std::size_t N>
[[nodiscard]] std::optional<std::array<bool, N>> choose_sections(int argc, char** argv,
                                                                 const section_choice (&sections)[N],
                                                                 int fixed_args = 0,
                                                                 std::string_view fixed_usage = {}) {
  const auto usage = [&] {
    std::string line = fixed_usage.empty() ? std::string() : " " + std::string(fixed_usage);
    for (const section_choice& s : sections) line += " [" + std::string(s.name) + "]";
    std::fprintf(stderr, "usage: %s%s\n", argv[0], line.c_str());
    return std::nullopt;
  };
  const int first = 1 + fixed_args;
  if (argc < first) return usage();
  std::array<bool, N> chosen{};
  for (int i = first; i < argc; ++i) {
    const auto it = std::ranges::find(sections, std::string_view(argv[i]), &section_choice::name);
    if (it == std::end(sections)) return usage();
    chosen[static_cast<std::size_t>(it - std::begin(sections))] = true;
  }
  if (argc == first)
    for (std::size_t i = 0; i < N; ++i) chosen[i] = sections[i].by_default;
  return chosen;
}

/// Prints the verdict of the whole program and returns its exit status (0 passed, 1 failed).
[[nodiscard]] inline int pass_or_fail(int failures) {
  say(failures == 0 ? "PASS (" + std::to_string(elapsed_ms(g_test_start)) + " ms)"
                    : "FAIL: " + std::to_string(failures) + " check(s) failed");
  return failures == 0 ? 0 : 1;
}

}  // namespace ipmikit::interop
