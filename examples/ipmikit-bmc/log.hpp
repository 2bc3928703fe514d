// examples/ipmikit-bmc/log.hpp — ipmikit-bmc's structured log: one logfmt line per event.
//
//   t=12.345 vm=web1 event=watchdog_expired action=hard_reset use=sms_os
//
// `t` is seconds since the start; `vm` is absent for process-wide lines. Lines go to stdout,
// flushed at once (usually a pipe or a journal). Tests swap the sink to capture them.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <string_view>

namespace ipmikit_bmc {

using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;

inline void stdout_sink(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

/// Where log lines go; a plain function pointer so that a test can capture them.
inline void (*g_log_sink)(std::string_view) = &stdout_sink;
inline const time_point g_log_start = clock_type::now();

/// Quotes a logfmt value when it needs it (spaces, quotes, '=' or empty).
inline std::string quoted(std::string_view v) {
  if (!v.empty() && v.find_first_of(" \"=\t") == std::string_view::npos) return std::string(v);
  std::string s = "\"";
  for (const char c : v) {
    if (c == '"' || c == '\\') s += '\\';
    s += c;
  }
  return s + "\"";
}

/// One line: "t=… [vm=NAME] " then `format` (which starts with "event=…").
[[gnu::format(printf, 2, 3)]] inline void log_event(std::string_view vm, const char* format, ...) {
  char buf[512];
  const double t = std::chrono::duration<double>(clock_type::now() - g_log_start).count();
  int n = vm.empty() ? std::snprintf(buf, sizeof buf, "t=%.3f ", t)
                     : std::snprintf(buf, sizeof buf, "t=%.3f vm=%.*s ", t, static_cast<int>(vm.size()), vm.data());
  if (n < 0) return;
  va_list args;
  va_start(args, format);
  const int m = std::vsnprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), format, args);
  va_end(args);
  if (m < 0) return;
  const std::size_t len = std::min(sizeof buf - 1, static_cast<std::size_t>(n) + static_cast<std::size_t>(m));
  g_log_sink(std::string_view(buf, len));
}

}  // namespace ipmikit_bmc
