// apps/load_support.hpp — what the load generators (ipmikit-load for the VM protocol,
// ipmikit-load-lan for IPMI over LAN) share: option parsing helpers, the --request syntax, a
// fixed-size latency histogram, and CPU time and resident memory of a process from /proc.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipmikit_apps {

// ---------------------------------------------------------------------------------------------
// Options

inline bool parse_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  std::string tmp(s);
  char* end = nullptr;
  errno = 0;
  out = std::strtod(tmp.c_str(), &end);
  return errno == 0 && end == tmp.c_str() + tmp.size() && out >= 0;
}

template <class T>
bool parse_uint(std::string_view s, T& out, int base = 10) {
  if (s.empty()) return false;
  if (base == 16 && (s.starts_with("0x") || s.starts_with("0X"))) s.remove_prefix(2);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// "06:01[:HEX]" → {netfn<<2, cmd, data…}; nothing when malformed or longer than `max_size`.
inline std::optional<std::vector<std::uint8_t>> parse_request(std::string_view s, std::size_t max_size) {
  std::vector<std::uint8_t> body;
  const auto c1 = s.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  const auto c2 = s.find(':', c1 + 1);
  std::uint8_t netfn = 0, cmd = 0;
  if (!parse_uint(s.substr(0, c1), netfn, 16) || netfn > 0x3F || (netfn & 1) != 0) return std::nullopt;
  if (!parse_uint(s.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1),
                  cmd, 16))
    return std::nullopt;
  body.push_back(static_cast<std::uint8_t>(netfn << 2));
  body.push_back(cmd);
  if (c2 != std::string_view::npos) {
    std::string hex;
    for (char ch : s.substr(c2 + 1))
      if (ch != ' ' && ch != ',') hex += ch;
    if (hex.size() % 2 != 0) return std::nullopt;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      std::uint8_t b = 0;
      if (!parse_uint(std::string_view(hex).substr(i, 2), b, 16)) return std::nullopt;
      body.push_back(b);
    }
  }
  if (body.size() > max_size) return std::nullopt;
  return body;
}

// ---------------------------------------------------------------------------------------------
// Latency histogram: values in ns; below 16 exact, above 16 sub-buckets per power of two.

class histogram {
 public:
  static constexpr std::size_t sub_bits = 4;
  static constexpr std::size_t sub = std::size_t{1} << sub_bits;
  static constexpr std::size_t buckets = (64 - sub_bits + 1) * sub;

  void add(std::uint64_t v) noexcept {
    ++counts_[index(v)];
    ++count_;
    sum_ += v;
    max_ = std::max(max_, v);
  }
  void clear() noexcept { *this = histogram{}; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  [[nodiscard]] double mean() const noexcept { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }

  /// The upper edge of the bucket holding the q-quantile (never above the exact maximum).
  [[nodiscard]] std::uint64_t quantile(double q) const noexcept {
    if (count_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_));
    if (rank >= count_) rank = count_ - 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets; ++i) {
      seen += counts_[i];
      if (seen > rank) return std::min(upper(i), max_);
    }
    return max_;
  }

 private:
  static std::size_t index(std::uint64_t v) noexcept {
    if (v < sub) return static_cast<std::size_t>(v);
    const auto msb = static_cast<std::size_t>(63 - std::countl_zero(v));
    const std::size_t shift = msb - sub_bits;
    return (msb - sub_bits + 1) * sub + static_cast<std::size_t>((v >> shift) & (sub - 1));
  }
  static std::uint64_t upper(std::size_t i) noexcept {
    if (i < sub) return i;
    const std::size_t major = i / sub - 1 + sub_bits;  // msb
    const std::size_t shift = major - sub_bits;
    const std::uint64_t lower = (std::uint64_t{sub} + (i % sub)) << shift;
    return lower + ((std::uint64_t{1} << shift) - 1);
  }

  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The server's figures from /proc.

struct proc_sample {
  bool ok = false;
  double cpu_seconds = 0;  // utime + stime
  double sys_seconds = 0;  // stime
  long rss_kib = 0;        // VmRSS
};

inline proc_sample sample_process(int pid) {
  proc_sample s;
  if (pid <= 0) return s;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  if (FILE* f = std::fopen(path, "r")) {
    char buf[1024];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    // Fields after the command name (which may hold spaces) start after the last ')'.
    if (const char* p = std::strrchr(buf, ')')) {
      unsigned long long utime = 0, stime = 0;
      // state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
      if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) == 2) {
        const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
        s.cpu_seconds = static_cast<double>(utime + stime) / tick;
        s.sys_seconds = static_cast<double>(stime) / tick;
        s.ok = true;
      }
    }
  }
  std::snprintf(path, sizeof path, "/proc/%d/status", pid);
  if (FILE* f = std::fopen(path, "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      if (std::strncmp(line, "VmRSS:", 6) == 0) {
        s.rss_kib = std::strtol(line + 6, nullptr, 10);
        break;
      }
    }
    std::fclose(f);
  } else {
    s.ok = false;
  }
  return s;
}

struct cpu_times {
  double total = 0;
  double sys = 0;
};

inline cpu_times self_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return {sec(ru.ru_utime) + sec(ru.ru_stime), sec(ru.ru_stime)};
}

inline long self_rss_kib() { return sample_process(static_cast<int>(::getpid())).rss_kib; }

// ---------------------------------------------------------------------------------------------
// The summary

/// One value of the summary a load generator prints: `key=value` lines, or one JSON object.
struct summary_field {
  const char* key;
  double value;
  int decimals;
  bool present;  // printed only when measured
};

inline void print_summary(std::span<const summary_field> fields, bool json) {
  if (json) {
    std::printf("{");
    bool first = true;
    for (const auto& f : fields) {
      if (!f.present) continue;
      std::printf("%s\"%s\": %.*f", first ? "" : ", ", f.key, f.decimals, f.value);
      first = false;
    }
    std::printf("}\n");
  } else {
    for (const auto& f : fields)
      if (f.present) std::printf("%s=%.*f\n", f.key, f.decimals, f.value);
  }
  std::fflush(stdout);
}

}  // namespace ipmikit_apps
