// apps/ipmikit-bmc/log.hpp — ipmikit-bmc's structured log: one logfmt line per event.
//
//   t=12.345 vm=web1 event=watchdog_expired action=hard_reset use=sms_os
//
// `t` is seconds since the start; `vm` is absent for process-wide lines.
//
// Two rules keep the log from hurting the VMs it describes (docs/ipmikit-bmc.md, "Under
// stress"):
// * **Lines never block the event loop.** The server sends them to `log_output`: a bounded
//   buffer (1 MiB) written to stdout without blocking, whenever stdout can take it. When the
//   reader is slower than the events, lines that do not fit are dropped and counted, and the
//   count is logged (`event=log_dropped lines=N`) as soon as there is room again.
// * **A peer cannot flood it.** Every line a VM's bytes can cause goes through that VM's
//   `log_limiter` (token buckets; see vm_bmc::admit): a burst, then a steady rate, and the lines
//   held back are counted and reported (`event=log_suppressed lines=N`).
//
// Tests swap the sink (`g_log_sink`) to capture lines.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ipmikit_bmc {

using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;

// ---------------------------------------------------------------------------------------------
// Types

/// Writes to stdout without ever blocking: a bounded buffer, flushed by the event loop.
class log_output {
 public:
  static constexpr std::size_t capacity = std::size_t{1} << 20;  // bytes of lines waiting

  /// Takes stdout over for non-blocking writes. A pipe or terminal is reopened through
  /// /proc/self/fd/1 (a new open file description: O_NONBLOCK there does not change the shell's
  /// or the supervisor's); a socket (systemd's journal) is written with MSG_DONTWAIT; a regular
  /// file is written as it is (writes to files do not wait for a reader).
  void open_stdout() { open(STDOUT_FILENO); }
  /// The same for any descriptor (tests use a pipe). Call once.
  void open(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return;  // nothing there: lines are counted as dropped
    fd_ = fd;
    if (S_ISSOCK(st.st_mode)) {
      socket_ = true;
      pollable_ = true;
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
      const std::string path = "/proc/self/fd/" + std::to_string(fd);
      const int own = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (own >= 0) {
        fd_ = own;
        own_fd_ = true;
      } else {  // no /proc: the shared description, its flags put back at exit
        saved_flags_ = ::fcntl(fd, F_GETFL);
        if (saved_flags_ >= 0) ::fcntl(fd, F_SETFL, saved_flags_ | O_NONBLOCK);
        shared_fd_ = fd;
      }
      pollable_ = true;
    }
    buf_.reserve(capacity);
  }
  ~log_output() {
    if (own_fd_) ::close(fd_);
    if (saved_flags_ >= 0) ::fcntl(shared_fd_, F_SETFL, saved_flags_);
  }
  log_output() = default;
  log_output(const log_output&) = delete;
  log_output& operator=(const log_output&) = delete;

  /// Queues one line (a '\n' is added). Never blocks; a line that does not fit is dropped.
  void append(std::string_view line) {
    if (fd_ < 0) {
      ++dropped_total_;
      return;
    }
    if (dropped_ != 0) {  // say what was lost first, once it fits
      char note[96];
      const int n = std::snprintf(note, sizeof note, "t=%.3f event=log_dropped lines=%llu", seconds_since_start(),
                                  static_cast<unsigned long long>(dropped_));
      if (n > 0 && fits(static_cast<std::size_t>(n) + 1 + line.size() + 1)) {
        put(std::string_view(note, static_cast<std::size_t>(n)));
        dropped_ = 0;
      }
    }
    if (dropped_ != 0 || !fits(line.size() + 1)) {
      ++dropped_;
      ++dropped_total_;
      return;
    }
    put(line);
    // A regular file never makes a writer wait: written at once. Otherwise the event loop
    // flushes once per turn, and a busy turn early, before the buffer fills.
    if (!pollable_ || buffered() > capacity / 4) flush();
  }

  /// Writes what stdout takes now. Returns false when stdout is gone (EPIPE and the like):
  /// then lines are discarded and counted from here on.
  bool flush() {
    while (head_ < buf_.size() && fd_ >= 0) {
      const char* p = buf_.data() + head_;
      const std::size_t len = buf_.size() - head_;
      const ssize_t n = socket_ ? ::send(fd_, p, len, MSG_DONTWAIT | MSG_NOSIGNAL) : ::write(fd_, p, len);
      if (n > 0) {
        head_ += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      // stdout is gone: keep counting, stop writing
      dropped_total_ += 1;
      buf_.clear();
      head_ = 0;
      fd_ = -1;
      return false;
    }
    if (head_ == buf_.size()) {
      buf_.clear();
      head_ = 0;
    }
    return true;
  }

  [[nodiscard]] bool pending() const { return head_ < buf_.size(); }
  /// The descriptor to wait on for POLLOUT while pending(), or -1 (files never wait).
  [[nodiscard]] int poll_fd() const { return pollable_ ? fd_ : -1; }
  [[nodiscard]] std::uint64_t dropped_total() const { return dropped_total_; }
  [[nodiscard]] std::size_t buffered() const { return buf_.size() - head_; }

  static double seconds_since_start();

 private:
  bool fits(std::size_t n) {
    if (buf_.size() + n <= capacity) return true;
    if (head_ != 0) {  // reclaim what was written
      buf_.erase(0, head_);
      head_ = 0;
    }
    return buf_.size() + n <= capacity;
  }
  void put(std::string_view line) {
    buf_.append(line);
    buf_.push_back('\n');
  }

  int fd_ = -1;
  bool own_fd_ = false;
  bool socket_ = false;
  bool pollable_ = false;
  int saved_flags_ = -1;
  int shared_fd_ = -1;
  std::string buf_;
  std::size_t head_ = 0;
  std::uint64_t dropped_ = 0;        // since the last log_dropped line
  std::uint64_t dropped_total_ = 0;
};

/// A token bucket: `burst` lines at once, then `per_second`.
struct log_bucket {
  double burst = 20;
  double per_second = 10;
  double tokens = burst;
  std::optional<time_point> last;

  bool take(time_point now) {
    if (last && now > *last)
      tokens = std::min(burst, tokens + std::chrono::duration<double>(now - *last).count() * per_second);
    if (!last || now > *last) last = now;
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
  }
};

/// What a log line is about, for its budget: the VM's own chatter (connections, protocol
/// problems, what it reports, the settings it sends), an action on the VM (pre-timeout,
/// expiry, power), or a --verbose line (each request and write). Separate budgets: a flood of
/// chatter never hides a watchdog reset.
enum class log_kind : std::uint8_t { chatter, action, verbose };

/// One VM's log budget (docs/ipmikit-bmc.md, "Under stress"): chatter and actions each 20 lines
/// at once, then 10 a second; --verbose lines 1000 at once, then 1000 a second (enough to follow
/// a guest's exchange, not a flood); lines beyond that are counted and reported within a second.
class log_limiter {
 public:
  static constexpr auto report_after = std::chrono::seconds(1);

  /// True if a line of kind `k` may be logged at `now`; false counts it as suppressed.
  bool admit(log_kind k, time_point now) {
    log_bucket& budget = k == log_kind::chatter ? chatter_ : k == log_kind::action ? action_ : verbose_;
    if (budget.take(now)) return true;
    if (pending_ == 0) first_suppressed_ = now;
    ++pending_;
    ++total_;
    return false;
  }
  /// Lines suppressed since the last report; resets the count.
  std::uint64_t take_report() { return std::exchange(pending_, std::uint64_t{0}); }
  /// When the suppressed count is due to be reported even if no other line comes.
  [[nodiscard]] std::optional<time_point> report_due() const {
    if (pending_ == 0) return std::nullopt;
    return first_suppressed_ + std::chrono::duration_cast<clock_type::duration>(report_after);
  }
  [[nodiscard]] std::uint64_t suppressed_total() const { return total_; }

 private:
  log_bucket chatter_;
  log_bucket action_;
  log_bucket verbose_{1000, 1000, 1000, {}};
  std::uint64_t pending_ = 0;
  std::uint64_t total_ = 0;
  time_point first_suppressed_{};
};

// ---------------------------------------------------------------------------------------------
// Functions

inline const time_point g_log_start = clock_type::now();
inline double log_output::seconds_since_start() {
  return std::chrono::duration<double>(clock_type::now() - g_log_start).count();
}

/// The process's log output (ipmikit-bmc opens it on stdout at start).
inline log_output& g_log_output() {
  static log_output out;
  return out;
}

/// Unit tests and tools: straight to stdout (blocking, as any program's stdout).
inline void stdout_sink(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}
/// The server: into the bounded, non-blocking log_output.
inline void buffered_sink(std::string_view line) { g_log_output().append(line); }

/// Where log lines go; a plain function pointer so that a test can capture them.
inline void (*g_log_sink)(std::string_view) = &stdout_sink;

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
/// The same for a std::string: beats std::quoted (<iomanip>, found by argument-dependent
/// lookup for a std::string once a header such as nlohmann/json.hpp includes it).
inline std::string quoted(const std::string& v) { return quoted(std::string_view(v)); }
inline std::string quoted(std::string& v) { return quoted(std::string_view(v)); }
inline std::string quoted(const char* v) { return quoted(std::string_view(v)); }

/// One line: "t=… [vm=NAME] " then `format` (which starts with "event=…").
[[gnu::format(printf, 2, 3)]] inline void log_event(std::string_view vm, const char* format, ...) {
  char buf[512];
  const double t = log_output::seconds_since_start();
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
