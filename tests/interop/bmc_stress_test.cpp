// tests/interop/bmc_stress_test.cpp — the real ipmikit-bmc binary (apps/ipmikit-bmc) under the
// conditions of its robustness issues. The test plays the emulators (QEMU's side of the VM
// protocol: `FF 01 A1` and `08 3F A1` on connect) and the operator (the control socket), and
// watches the server from outside: its log, /proc/PID/{status,stat,fd}, its exit status.
//
//   stall                    310 VMs with a 2 s watchdog; the server is SIGSTOPped for 5 s while
//                            280 keep petting: none of those is reset, the 30 that stopped
//                            petting are, and the log says event=stall.
//   timer_memory             a VM petting in a tight loop does not grow the server's memory.
//   log_flood                one VM's flood of VM commands cannot flood the log
//                            (event=log_suppressed), another VM is answered promptly meanwhile.
//   blocked_log              stdout is a full pipe nobody reads: VMs are still answered, a
//                            watchdog fires on time, SIGTERM still stops the server (exit 0).
//   control_line             a control line over 512 bytes ends the client at any split of the
//                            writes; a 512-byte line does not.
//   fd_exhaustion            out of file descriptors: accept backs off (CPU, log), other VMs are
//                            served, waiting control clients are told; all works once restored.
//   inherited_fds            descriptors inherited at start count in the open-file check.
//   control_flood            16 clients × 102 `list` of 2000 VMs, not read: the server's memory
//                            stays bounded, a watchdog fires on time, nothing is lost.
//   power_coalesced          1000 `power reset` in a burst are coalesced (a few RESETs, answers
//                            `ok sent|queued|already queued`), `power off` twice is one POWEROFF.
//   control_idle             idle control clients are closed (`control_idle_timeout`).
//   response_to_bmc          a response frame sent to the BMC is not answered, only counted.
//   tcp_close_backpressured  a TCP VM that stopped reading and ended its side frees its slot at once.
//
// Each section names the property it checks and, in a comment, what ipmikit-bmc did before the
// fixes (commit 90e6510); every section fails on that code here. When
// a check fails, the tail of the server's log is printed and the temporary directory is kept.
// About 35 s in all (gcc-debug; 50 s with ASan), most of it the stall's 11 s.
//
// Usage: ipmikit_interop_bmc_stress_test PATH/TO/ipmikit-bmc [--no-rss-limits] [section...]
//        (no section named: all). --no-rss-limits reports the resident-memory figures without
//        judging them (sanitizer builds: their allocator's quarantine is not the product's memory).
// Exit status: 0 passed, 1 a check failed, 2 usage. IPMIKIT_INTEROP_KEEP=1 keeps the temporary
// directory (configurations and logs).
#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <ipmikit/vm/decoder.hpp>
#include <ipmikit/vm/encoder.hpp>
#include <ipmikit/vm/protocol.hpp>

#include "bmc_control.hpp"
#include "check.hpp"
#include "common.hpp"
#include "net.hpp"
#include "process.hpp"
#include "vm_wire.hpp"

namespace {

using namespace ipmikit::interop;
namespace vm = ipmikit::vm;
using bytes = std::vector<std::uint8_t>;

struct options {
  std::string binary;
  bool rss_limits = true;  // false: RSS figures are printed, not judged
};

// Request bodies (netfn<<2|LUN, cmd, data) the emulators send.
constexpr std::initializer_list<std::uint8_t> get_device_id_req = {0x18, 0x01};       // App 01h
constexpr std::initializer_list<std::uint8_t> reset_watchdog_req = {0x18, 0x22};      // App 22h

// ---------------------------------------------------------------------------------------------
// Small helpers: time, formatting

[[nodiscard]] double ms_of(steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

[[nodiscard]] std::string fmt(double v, int decimals = 1) {
  if (std::isinf(v)) return "unanswered";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

/// Milliseconds until `until`, at least 0, at most `cap_ms` (a poll() timeout).
[[nodiscard]] int ms_until(steady::time_point until, int cap_ms) {
  const auto left = until - steady::now();
  if (left <= steady::duration::zero()) return 0;
  return static_cast<int>(std::min<long long>(std::chrono::ceil<millis>(left).count(), cap_ms));
}

/// A string for a failure message: control characters escaped, long runs cut.
[[nodiscard]] std::string printable(std::string_view s, std::size_t max = 160) {
  std::string out = "\"";
  std::size_t shown = 0, i = 0;
  for (; i < s.size() && shown < max; ++i, ++shown) {
    const char ch = s[i];
    std::size_t run = 1;
    while (i + run < s.size() && s[i + run] == ch) ++run;
    if (run > 8) {  // "x×600"
      out += ch;
      out += "×" + std::to_string(run);
      i += run - 1;
      continue;
    }
    if (ch == '\n') out += "\\n";
    else if (ch == '"') out += "\\\"";
    else if (static_cast<unsigned char>(ch) < 0x20) out += "\\x" + hex(static_cast<std::uint8_t>(ch));
    else out += ch;
  }
  out += '"';
  if (i < s.size()) out += "… (" + std::to_string(s.size()) + " bytes)";
  return out;
}

/// The p-quantile (0..1) of `v` (nearest rank); infinity for an empty set.
[[nodiscard]] double quantile(std::vector<double> v, double p) {
  if (v.empty()) return std::numeric_limits<double>::infinity();
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

std::array<std::uint8_t, 65536> g_buf{};  // scratch for reads (the test is single-threaded)

// ---------------------------------------------------------------------------------------------
// /proc: the server seen from outside

[[nodiscard]] std::string proc_path(pid_t pid, const char* what) {
  return "/proc/" + std::to_string(pid) + "/" + what;
}

/// VmRSS in KiB.
[[nodiscard]] result<long long> rss_kib(pid_t pid) {
  auto text = read_file(proc_path(pid, "status"), 1u << 16);
  if (!text) return fail(text.error());
  const auto at = text->find("\nVmRSS:");
  if (at == std::string::npos) return fail("no VmRSS in " + proc_path(pid, "status"));
  return std::strtoll(text->c_str() + at + 7, nullptr, 10);
}

/// The fields of /proc/PID/stat after the command name: [0] state, … [11] utime, [12] stime.
[[nodiscard]] result<std::vector<std::string>> stat_fields(pid_t pid) {
  auto text = read_file(proc_path(pid, "stat"), 4096);
  if (!text) return fail(text.error());
  const auto close = text->rfind(')');
  if (close == std::string::npos) return fail("unreadable " + proc_path(pid, "stat"));
  std::vector<std::string> fields;
  std::string_view rest = std::string_view(*text).substr(close + 1);
  for (int i = 0; i < 64 && !rest.empty(); ++i) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    fields.emplace_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  if (fields.size() < 13) return fail("short " + proc_path(pid, "stat"));
  return fields;
}

/// User + system CPU time in seconds.
[[nodiscard]] result<double> cpu_seconds(pid_t pid) {
  auto f = stat_fields(pid);
  if (!f) return fail(f.error());
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double t = static_cast<double>(std::strtoull((*f)[11].c_str(), nullptr, 10) +
                                       std::strtoull((*f)[12].c_str(), nullptr, 10));
  return t / (ticks > 0 ? ticks : 100.0);
}

/// The process state letter (R, S, T, …).
[[nodiscard]] char proc_state(pid_t pid) {
  auto f = stat_fields(pid);
  return f && !(*f)[0].empty() ? (*f)[0][0] : '?';
}

/// True when this process may raise a hard resource limit (CAP_SYS_RESOURCE in CapEff).
[[nodiscard]] bool can_raise_hard_limits() {
  auto text = read_file("/proc/self/status", 1u << 16);
  if (!text) return false;
  const auto at = text->find("\nCapEff:");
  if (at == std::string::npos) return false;
  const unsigned long long caps = std::strtoull(text->c_str() + at + 8, nullptr, 16);
  return (caps >> 24) & 1u;  // CAP_SYS_RESOURCE
}

/// The descriptor numbers open in a process.
[[nodiscard]] result<std::vector<int>> open_fds(pid_t pid) {
  std::error_code ec;
  std::vector<int> fds;
  std::filesystem::directory_iterator it(proc_path(pid, "fd"), ec);
  if (ec) return fail("list " + proc_path(pid, "fd") + ": " + ec.message());
  for (int i = 0; i < 1'000'000 && it != std::filesystem::directory_iterator(); ++i) {
    fds.push_back(std::atoi(it->path().filename().c_str()));
    it.increment(ec);
    if (ec) return fail("list " + proc_path(pid, "fd") + ": " + ec.message());
  }
  std::sort(fds.begin(), fds.end());
  return fds;
}

// ---------------------------------------------------------------------------------------------
// The server's log (a file; it can be tens of MB when a section fails on the old code)

/// Calls fn(line) for every complete line of the file (at most 1 GiB read).
template <class F>
status for_each_line(const std::string& path, F&& fn) {
  unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  std::string carry;
  std::size_t total = 0;
  for (int i = 0; i < 100000 && total < (1u << 30); ++i) {
    const ssize_t n = ::read(fd.get(), g_buf.data(), g_buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path);
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
    const char* p = reinterpret_cast<const char*>(g_buf.data());
    const char* const end = p + n;
    while (p < end) {
      const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (nl == nullptr) {
        carry.append(p, static_cast<std::size_t>(end - p));
        break;
      }
      if (carry.empty()) {
        fn(std::string_view(p, static_cast<std::size_t>(nl - p)));
      } else {
        carry.append(p, static_cast<std::size_t>(nl - p));
        fn(std::string_view(carry));
        carry.clear();
      }
      p = nl + 1;
    }
  }
  return success();
}

/// Lines of the log that contain every one of `needles`.
[[nodiscard]] std::size_t count_log_lines(const std::string& path, std::initializer_list<std::string_view> needles) {
  std::size_t n = 0;
  (void)for_each_line(path, [&](std::string_view line) {
    for (const std::string_view s : needles)
      if (line.find(s) == std::string_view::npos) return;
    ++n;
  });
  return n;
}

/// Waits until at least `count` lines contain `needle`.
bool wait_for_log(const std::string& path, std::string_view needle, std::size_t count, int timeout_ms) {
  const deadline d{millis(timeout_ms)};
  for (int i = 0; i < 100000; ++i) {
    if (count_log_lines(path, {needle}) >= count) return true;
    if (d.expired()) return false;
    sleep_ms(10);
  }
  return false;
}

/// The last `max_bytes` of a file (read from its end, however large it is).
[[nodiscard]] std::string log_tail(const std::string& path, std::size_t max_bytes = 4000) {
  unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "(cannot open " + path + ")";
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return "(cannot stat " + path + ")";
  const auto size = static_cast<std::size_t>(st.st_size);
  const std::size_t from = size > max_bytes ? size - max_bytes : 0;
  std::string text(size - from, '\0');
  const ssize_t n = ::pread(fd.get(), text.data(), text.size(), static_cast<off_t>(from));
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return (from > 0 ? "…(" + std::to_string(size) + " bytes in all)\n" : std::string()) + text;
}

void show_log(const std::string& path) {
  say("  --- ipmikit-bmc log (" + path + "), tail:\n" + log_tail(path) + "\n  ---");
}

// ---------------------------------------------------------------------------------------------
// The server as a child process (process.hpp)

struct server {
  process proc;
  std::string log;
  std::string conf;
  [[nodiscard]] pid_t pid() const { return proc.pid(); }
};

/// Writes the configuration, starts `binary --config FILE [extra…]` with its output in a log
/// file and waits for event=ready.
result<server> start_server(const std::string& dir, const options& o, const std::string& conf_text,
                            const std::vector<std::string>& extra = {}, int ready_timeout_ms = 20000) {
  server s;
  s.conf = dir + "/bmc.conf";
  s.log = dir + "/ipmikit-bmc.log";
  if (auto w = write_file(s.conf, conf_text); !w) return fail(w.error());
  std::vector<std::string> argv = {o.binary, "--config", s.conf};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = process::spawn(argv, {s.log, true});
  if (!p) return fail(p.error());
  s.proc = std::move(*p);
  const deadline d{millis(ready_timeout_ms)};
  for (int i = 0; i < 100000; ++i) {
    if (count_log_lines(s.log, {"event=ready"}) > 0) return s;
    if (!s.proc.alive()) {
      const auto& how = s.proc.ended();
      return fail("ipmikit-bmc " + (how ? how->describe() : std::string("ended")) + " during startup; log: " +
                  log_tail(s.log, 2000));
    }
    if (d.expired()) return fail("no event=ready within " + std::to_string(ready_timeout_ms) + " ms; log: " + log_tail(s.log, 2000));
    sleep_ms(10);
  }
  return fail("no event=ready");
}

/// The end of every section: the server must still run and exit 0 on SIGTERM; the log's tail
/// is printed when a check of the section failed.
void finish(checker& c, server& s, int failures_before) {
  c.check(s.proc.alive(), "ipmikit-bmc still running at the end of the section",
          s.proc.ended() ? s.proc.ended()->describe() : std::string());
  const auto ended = s.proc.stop(millis(5000));
  if (c.check_ok(ended, "ipmikit-bmc stopped"))
    c.check(ended->success(), "SIGTERM: ipmikit-bmc " + ended->describe() + " (wants exit 0)");
  if (c.failures() != failures_before) show_log(s.log);
}

/// A section's checks against its started server (body(s)), then `undo` (what the section
/// changed in the server: a limit), then finish().
template <class Body, class Undo = void (*)()>
void body_then_finish(checker& c, server& s, Body body, Undo undo = [] {}) {
  const int before = c.failures();
  body(s);
  undo();
  finish(c, s, before);
}

/// start_server() with `conf` (checked as `started`), then body_then_finish().
template <class Body, class Undo = void (*)()>
void with_server(checker& c, const options& o, const std::string& dir, const std::string& conf, const std::string& started,
                 Body body, Undo undo = [] {}) {
  auto s = start_server(dir, o, conf);
  if (c.check_ok(s, started)) body_then_finish(c, *s, body, undo);
}

/// "[vm NAME]\nlisten = unix:PATH\n" plus extra lines.
[[nodiscard]] std::string vm_section(const std::string& name, const std::string& listen, std::string_view extra = {}) {
  return "[vm " + name + "]\nlisten = " + listen + "\n" + std::string(extra);
}

/// "[bmc]\ncontrol = SOCKET\n" plus extra lines.
[[nodiscard]] std::string bmc_section(const std::string& control_socket, std::string_view extra = {}) {
  return "[bmc]\ncontrol = " + control_socket + "\n" + std::string(extra);
}

/// A subdirectory of the run's temporary directory for one section.
[[nodiscard]] result<std::string> section_dir(const temp_dir& root, const std::string& name) {
  std::string d = root.file(name);
  if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("mkdir " + d);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Non-blocking peers for single-threaded poll() loops over many sockets

/// One emulator (QEMU's side of a VM connection): what it queued, what it received.
struct emu {
  std::string name;
  unique_fd fd;
  vm::decoder dec{vm::min_response_frame};
  bytes out;                   // queued for the server
  std::size_t out_done = 0;    // of which written
  std::uint64_t bytes_out = 0;
  std::uint64_t bytes_in = 0;
  bool eof = false;
  std::optional<steady::time_point> eof_at;
  std::string error;           // how the connection failed, if it did not just end
  std::uint8_t next_id = 0;
  std::array<std::optional<steady::time_point>, 256> pending{};  // request sent, not answered
  std::array<std::uint8_t, 256> cc_of{};                         // the last answer's completion code
  std::vector<double> latencies_ms;
  std::size_t answered = 0, bad_cc = 0, unexpected = 0, malformed = 0;
  std::size_t versions = 0, resets = 0, power_offs = 0, other_commands = 0;
  std::vector<steady::time_point> reset_times;
  std::optional<steady::time_point> first_version_at;

  [[nodiscard]] bool writing() const { return out_done < out.size(); }
  [[nodiscard]] std::size_t outstanding() const {
    return static_cast<std::size_t>(std::count_if(pending.begin(), pending.end(), [](const auto& p) { return p.has_value(); }));
  }
};

struct emu_handler {
  emu& e;
  steady::time_point now;
  void operator()(const vm::message_event& m) const {
    const std::uint8_t cc = m.body.size() >= 3 ? m.body[2] : 0xFF;
    auto& p = e.pending[m.msg_id];
    if (p) {
      e.latencies_ms.push_back(ms_of(now - *p));
      p.reset();
      ++e.answered;
    } else {
      ++e.unexpected;
    }
    e.cc_of[m.msg_id] = cc;
    if (cc != 0x00) ++e.bad_cc;
  }
  void operator()(const vm::command_event& c) const {
    switch (c.code) {
      case vm::command::version:
        ++e.versions;
        if (!e.first_version_at) e.first_version_at = now;
        break;
      case vm::command::reset:
        ++e.resets;
        e.reset_times.push_back(now);
        break;
      case vm::command::power_off: ++e.power_offs; break;
      default: ++e.other_commands; break;
    }
  }
  void operator()(const vm::error_event&) const { ++e.malformed; }
};

void emu_append(emu& e, std::span<const std::uint8_t> frame) {
  if (e.out_done == e.out.size()) {
    e.out.clear();
    e.out_done = 0;
  }
  e.out.insert(e.out.end(), frame.begin(), frame.end());
}

/// VERSION 1 and CAPABILITIES 0x3F, as QEMU 7.2 greets.
void emu_greet(emu& e) {
  const auto g = vm::make_emulator_greeting(vm::qemu_capabilities);
  emu_append(e, g.view());
}

/// Queues a request with the next message id; returns the id.
std::uint8_t emu_request(emu& e, std::initializer_list<std::uint8_t> body) {
  const std::uint8_t id = e.next_id++;
  std::array<std::uint8_t, vm::max_message_frame_size(16)> f{};
  const auto r = vm::encode_message(f, id, std::span<const std::uint8_t>(body.begin(), body.size()));
  emu_append(e, std::span<const std::uint8_t>(f.data(), r.size));
  e.pending[id] = steady::now();
  return id;
}

/// Sends `out` from `done` on a non-blocking socket until it would block: the bytes sent. A
/// failure is kept in `error` (the first one) and drops the queue; a queue sent whole is cleared.
template <class Buffer>
std::size_t send_queued(const unique_fd& fd, Buffer& out, std::size_t& done, std::string& error) {
  std::size_t sent = 0;
  for (int i = 0; i < 100000 && fd && done < out.size(); ++i) {
    const ssize_t n = ::send(fd.get(), out.data() + done, out.size() - done, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return sent;
    if (error.empty()) error = errno_text("send", errno);
    out.clear();
    done = 0;
    return sent;
  }
  if (done >= out.size()) {
    out.clear();
    done = 0;
  }
  return sent;
}

void emu_flush(emu& e) { e.bytes_out += send_queued(e.fd, e.out, e.out_done, e.error); }

void emu_read(emu& e) {
  for (int k = 0; k < 16 && e.fd && !e.eof; ++k) {
    const ssize_t n = ::recv(e.fd.get(), g_buf.data(), g_buf.size(), MSG_DONTWAIT);
    if (n > 0) {
      e.bytes_in += static_cast<std::uint64_t>(n);
      e.dec.feed(std::span<const std::uint8_t>(g_buf.data(), static_cast<std::size_t>(n)), emu_handler{e, steady::now()});
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    e.eof = true;
    e.eof_at = steady::now();
    if (n < 0) e.error = errno_text("recv", errno);
    return;
  }
}

/// One control-socket client.
struct ctl {
  unique_fd fd;
  std::string in;             // received (unless count_only)
  std::string out;
  std::size_t out_done = 0;
  bool reading = true;        // false: never polled for input (a client that does not read)
  bool count_only = false;    // count lines instead of keeping them
  std::size_t lines = 0, ok_lines = 0;
  std::string carry;          // count_only: the unterminated last line
  std::string first_other;    // count_only: the first line that is not "ok"
  std::uint64_t bytes_in = 0;
  bool eof = false;
  std::string error;
  std::optional<steady::time_point> eof_at, first_data_at;
  steady::time_point opened_at = steady::now();
};

void ctl_count(ctl& c, const char* p, std::size_t n) {
  const char* const end = p + n;
  for (int i = 0; i < 10'000'000 && p < end; ++i) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (nl == nullptr) {
      if (c.carry.size() < 65536) c.carry.append(p, static_cast<std::size_t>(end - p));
      return;
    }
    std::string_view line(p, static_cast<std::size_t>(nl - p));
    if (!c.carry.empty()) {
      c.carry.append(line);
      line = c.carry;
    }
    ++c.lines;
    if (line == "ok") ++c.ok_lines;
    else if (c.first_other.empty() && line.starts_with("error")) c.first_other = std::string(line);
    c.carry.clear();
    p = nl + 1;
  }
}

void ctl_flush(ctl& c) { (void)send_queued(c.fd, c.out, c.out_done, c.error); }

void ctl_read(ctl& c) {
  for (int k = 0; k < 64 && c.fd && !c.eof; ++k) {
    const ssize_t n = ::recv(c.fd.get(), g_buf.data(), g_buf.size(), MSG_DONTWAIT);
    if (n > 0) {
      if (!c.first_data_at) c.first_data_at = steady::now();
      c.bytes_in += static_cast<std::uint64_t>(n);
      const char* p = reinterpret_cast<const char*>(g_buf.data());
      if (c.count_only) ctl_count(c, p, static_cast<std::size_t>(n));
      else c.in.append(p, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    c.eof = true;  // ECONNRESET too: a UNIX peer that closed with our bytes unread
    c.eof_at = steady::now();
    if (n < 0 && errno != ECONNRESET) c.error = errno_text("recv", errno);
    return;
  }
}

/// A complete line received by `c` (without its newline), taken out of `in`.
std::optional<std::string> take_line(ctl& c) {
  const auto nl = c.in.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  std::string line = c.in.substr(0, nl);
  c.in.erase(0, nl + 1);
  return line;
}

/// One poll() over emulators and control clients (at most `timeout_ms`): writes what is
/// queued, reads what arrived.
void pump(std::span<emu* const> vms, std::span<ctl* const> ctls, int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<long> owner;  // >= 0: vms index; < 0: ctls index -(k+1)
  fds.reserve(vms.size() + ctls.size());
  owner.reserve(vms.size() + ctls.size());
  for (std::size_t i = 0; i < vms.size(); ++i) {
    emu& e = *vms[i];
    emu_flush(e);
    if (!e.fd || e.eof) continue;
    const short ev = static_cast<short>(POLLIN | (e.writing() ? POLLOUT : 0));
    fds.push_back(pollfd{e.fd.get(), ev, 0});
    owner.push_back(static_cast<long>(i));
  }
  for (std::size_t k = 0; k < ctls.size(); ++k) {
    ctl& c = *ctls[k];
    ctl_flush(c);
    if (!c.fd || c.eof) continue;
    const short ev = static_cast<short>((c.reading ? POLLIN : 0) | (c.out_done < c.out.size() ? POLLOUT : 0));
    if (ev == 0) continue;
    fds.push_back(pollfd{c.fd.get(), ev, 0});
    owner.push_back(-static_cast<long>(k) - 1);
  }
  const int r = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), std::max(0, timeout_ms));
  if (r <= 0) return;
  for (std::size_t j = 0; j < fds.size(); ++j) {
    const short re = fds[j].revents;
    if (re == 0) continue;
    if (owner[j] >= 0) {
      emu& e = *vms[static_cast<std::size_t>(owner[j])];
      if ((re & (POLLIN | POLLHUP | POLLERR)) != 0) emu_read(e);
      if ((re & POLLOUT) != 0) emu_flush(e);
    } else {
      ctl& c = *ctls[static_cast<std::size_t>(-owner[j] - 1)];
      if ((re & (POLLIN | POLLHUP | POLLERR)) != 0 && c.reading) ctl_read(c);
      if ((re & POLLOUT) != 0) ctl_flush(c);
    }
  }
}

/// pump() (at most `cap_ms` a poll) until done() or for `timeout_ms`; done() at the end.
template <class Done>
bool pump_until(std::span<emu* const> vms, std::span<ctl* const> ctls, int timeout_ms, Done done, int cap_ms = 50) {
  const deadline d{millis(timeout_ms)};
  for (int i = 0; i < 10'000'000 && !done() && !d.expired(); ++i) pump(vms, ctls, std::min(cap_ms, d.remaining_ms()));
  return done();
}

/// pump_until() for one emulator alone.
template <class Done>
bool pump_until(emu& e, int timeout_ms, Done done, int cap_ms = 50) {
  emu* one[] = {&e};
  return pump_until(one, {}, timeout_ms, done, cap_ms);
}

/// pump_until() for one control client alone.
template <class Done>
bool pump_until(ctl& x, int timeout_ms, Done done, int cap_ms = 50) {
  ctl* one[] = {&x};
  return pump_until({}, one, timeout_ms, done, cap_ms);
}

/// Sends one request and pumps `e` alone until it is answered: its completion code, or nullopt.
std::optional<std::uint8_t> emu_call(emu& e, std::initializer_list<std::uint8_t> body, int timeout_ms = 3000) {
  const std::uint8_t id = emu_request(e, body);
  pump_until(e, timeout_ms, [&] { return !e.pending[id] || e.eof; });
  if (e.pending[id]) return std::nullopt;
  return e.cc_of[id];
}

/// Connects an emulator to a UNIX socket, greets and waits for the server's VERSION.
result<done> emu_connect(emu& e, const std::string& name, const std::string& path, bool wait_version = true) {
  e.name = name;
  auto fd = connect_unix(path, 3000);
  if (!fd) return fail(fd.error());
  e.fd = std::move(*fd);
  emu_greet(e);
  emu_flush(e);
  if (!wait_version) return success();
  pump_until(e, 3000, [&] { return e.versions > 0 || e.eof; });
  if (e.versions == 0) return fail("VM " + name + ": no VERSION from ipmikit-bmc within 3 s" + (e.eof ? " (closed)" : ""));
  return success();
}

/// emu_connect() for each (emulator, VM name, socket path), checked as "VM NAME connected and greeted".
struct vm_peer {
  emu& e;
  const char* name;
  const std::string& path;
};
bool connect_all(checker& c, std::initializer_list<vm_peer> peers) {
  for (const vm_peer& p : peers)
    if (!c.check_ok(emu_connect(p.e, p.name, p.path), "VM " + std::string(p.name) + " connected and greeted")) return false;
  return true;
}

/// "n=…, answered=…, p50=…, p99=…, max=… ms": latencies plus infinity for each unanswered request.
struct latency_summary {
  std::vector<double> samples;
  std::size_t unanswered = 0;
  [[nodiscard]] double p(double q) const { return quantile(samples, q); }
  [[nodiscard]] double max() const {
    return samples.empty() ? std::numeric_limits<double>::infinity() : *std::max_element(samples.begin(), samples.end());
  }
  [[nodiscard]] std::string describe() const {
    auto ms = [](double v) { return std::isinf(v) ? std::string("unanswered") : fmt(v) + " ms"; };
    return std::to_string(samples.size()) + " requests, " + std::to_string(unanswered) + " unanswered, p50 " + ms(p(0.5)) +
           ", p99 " + ms(p(0.99)) + ", max " + ms(max());
  }
};

[[nodiscard]] latency_summary latencies(const emu& e) {
  latency_summary s;
  s.samples = e.latencies_ms;
  s.unanswered = e.outstanding();
  for (std::size_t i = 0; i < s.unanswered; ++i) s.samples.push_back(std::numeric_limits<double>::infinity());
  return s;
}

/// check_ok that prints only a failure (for steps repeated hundreds of times; a summary check follows).
template <class T>
bool quiet_ok(checker& c, const result<T>& r, const std::string& what) {
  return r.ok() || c.check_ok(r, what);
}

/// Connects a control client to `sock` (a failure checked quietly: sections connect many).
bool ctl_connect(checker& c, ctl& x, const std::string& sock, const std::string& what) {
  auto fd = connect_unix(sock, 2000);
  if (!quiet_ok(c, fd, what)) return false;
  x.fd = std::move(*fd);
  x.opened_at = steady::now();
  return true;
}

/// ctl_connect() for each of `clients`: their pointers for pump(), or nullopt when one failed.
std::optional<std::vector<ctl*>> ctl_connect_all(checker& c, std::span<ctl> clients, const std::string& sock,
                                                 const std::string& what) {
  std::vector<ctl*> ptrs;
  for (ctl& x : clients) {
    if (!ctl_connect(c, x, sock, what)) return std::nullopt;
    ptrs.push_back(&x);
  }
  return ptrs;
}

/// SIGSTOP / SIGCONT of the server, with SIGCONT guaranteed on every way out.
class pause_guard {
 public:
  explicit pause_guard(pid_t pid) : pid_(pid) {}
  pause_guard(const pause_guard&) = delete;
  pause_guard& operator=(const pause_guard&) = delete;
  ~pause_guard() { resume(); }
  void pause() {
    if (!paused_ && ::kill(pid_, SIGSTOP) == 0) paused_ = true;
  }
  void resume() {
    if (paused_) ::kill(pid_, SIGCONT);
    paused_ = false;
  }

 private:
  pid_t pid_;
  bool paused_ = false;
};

// =============================================================================================
// stall — "a VM whose pet is unread during a stall is not reset" and "a VM that stopped petting
// is still reset after a stall".
//
// 310 VMs on UNIX sockets, watchdog_timeout = 2, action reset: 280 healthy ones pet every 0.5 s,
// 20 hung ones petted once at the start, 10 stop petting 0.5 s before the stall (their
// countdown runs out during it). After 3 s the server is SIGSTOPped for 5 s while the healthy
// VMs keep petting (the pets queue in the sockets), then SIGCONTed; 3 s more.
// Old code: after SIGCONT, epoll_wait handed out at most 256 ready VMs; the timer heap ran before
// the others' queued pets were read, so every healthy VM past the first 256 (24 here) was reset
// 9 ms after SIGCONT; no event=stall.
void test_stall(checker& c, const std::string& dir, const options& o) {
  constexpr std::size_t healthy_n = 280, hung_n = 20, late_n = 10, total = healthy_n + hung_n + late_n;
  enum class role : std::uint8_t { healthy, hung, late };
  auto role_of = [](std::size_t i) { return i < healthy_n ? role::healthy : i < healthy_n + hung_n ? role::hung : role::late; };
  std::vector<std::string> names, paths;
  std::string conf;
  for (std::size_t i = 0; i < total; ++i) {
    char n[16];
    std::snprintf(n, sizeof n, "v%03zu", i);
    names.emplace_back(n);
    paths.push_back(dir + "/" + n + ".sock");
    conf += vm_section(names.back(), "unix:" + paths.back(), "watchdog_timeout = 2\nwatchdog_action = reset\n");
  }
  with_server(c, o, dir, conf, "ipmikit-bmc started with 310 VMs", [&](server& s) {
    pause_guard pause(s.pid());  // SIGCONT on every way out, before finish()
    std::vector<emu> vms(total);
    std::vector<emu*> ptrs;
    for (std::size_t i = 0; i < total; ++i) {
      if (auto r = emu_connect(vms[i], names[i], paths[i], false); !quiet_ok(c, r, "VM " + names[i] + " connected")) return;
      emu_request(vms[i], reset_watchdog_req);  // starts the configured 2 s watchdog
      emu_flush(vms[i]);
      ptrs.push_back(&vms[i]);
    }
    {
      const bool ready = pump_until(ptrs, {}, 10000, [&]() {
        return std::all_of(vms.begin(), vms.end(), [](const emu& e) { return e.versions > 0 && e.answered > 0; });
      });
      const auto started = std::count_if(vms.begin(), vms.end(), [](const emu& e) { return e.answered > 0 && e.cc_of[0] == 0; });
      if (!c.check(ready && started == static_cast<long>(total),
                   "all 310 VMs greeted and their watchdog started (Reset Watchdog Timer answered 00)",
                   std::to_string(started) + " started"))
        return;
    }
    const auto t0 = steady::now();
    const auto pause_at = t0 + millis(3000), resume_at = t0 + millis(8000), end_at = t0 + millis(11000);
    const auto late_last = t0 + millis(2500);  // the late ones' last pet: due at 4.0–4.5 s, in the stall
    std::vector<steady::time_point> next_pet(total, steady::time_point::max());
    for (std::size_t i = 0; i < total; ++i)
      if (role_of(i) != role::hung) next_pet[i] = t0 + millis(static_cast<long>(500 * i / total));
    bool paused = false, resumed = false;
    steady::time_point paused_at{}, resumed_at{};
    std::size_t pets = 0;
    auto late_all_reset_after_resume = [&]() {
      for (std::size_t i = healthy_n + hung_n; i < total; ++i)
        if (std::none_of(vms[i].reset_times.begin(), vms[i].reset_times.end(), [&](auto t) { return t >= resumed_at; }))
          return false;
      return true;
    };
    // The last phase lasts 3 s; up to 2 s more only while a late VM still waits for its RESET.
    for (int iter = 0; iter < 2'000'000; ++iter) {
      const auto now = steady::now();
      if (!paused && now >= pause_at) {
        pause.pause();
        paused = true;
        paused_at = now;
        char st = '?';
        for (int k = 0; k < 100 && (st = proc_state(s.pid())) != 'T'; ++k) sleep_ms(2);
        if (!c.check(st == 'T', "the server is stopped (SIGSTOP; /proc state T)", std::string("state ") + st)) return;
      }
      if (paused && !resumed && now >= resume_at) {
        pause.resume();
        resumed = true;
        resumed_at = now;
        say("  SIGCONT after " + fmt(ms_of(now - paused_at), 0) + " ms stopped");
      }
      if (now >= end_at && (late_all_reset_after_resume() || now >= end_at + millis(2000))) break;
      steady::time_point wake = now + millis(50);
      for (std::size_t i = 0; i < total; ++i) {
        if (next_pet[i] <= now) {
          if (role_of(i) == role::late && next_pet[i] > late_last) {
            next_pet[i] = steady::time_point::max();
            continue;
          }
          emu_request(vms[i], reset_watchdog_req);
          ++pets;
          next_pet[i] += millis(500);
        }
        wake = std::min(wake, next_pet[i]);
      }
      if (!paused) wake = std::min(wake, pause_at);
      else if (!resumed) wake = std::min(wake, resume_at);
      pump(ptrs, {}, ms_until(wake, 50));
    }
    say("  " + std::to_string(pets) + " pets sent in " + fmt(ms_of(steady::now() - t0), 0) + " ms");

    std::string healthy_reset, hung_missing, late_missing, closed;
    std::size_t healthy_reset_n = 0, hung_missing_n = 0, late_missing_n = 0;
    for (std::size_t i = 0; i < total; ++i) {
      const emu& e = vms[i];
      if (e.eof) closed += " " + names[i];
      switch (role_of(i)) {
        case role::healthy:
          if (e.resets > 0) {
            if (++healthy_reset_n <= 12)
              healthy_reset += " " + names[i] + "@" + fmt(ms_of(e.reset_times.front() - resumed_at), 0) + "ms";
          }
          break;
        case role::hung:
          if (e.resets == 0 && ++hung_missing_n <= 12) hung_missing += " " + names[i];
          break;
        case role::late:
          if (std::none_of(e.reset_times.begin(), e.reset_times.end(), [&](auto t) { return t >= resumed_at; })) {
            if (++late_missing_n <= 12)
              late_missing += " " + names[i] + (e.resets > 0 ? "(reset before SIGCONT)" : "(no RESET)");
          }
          break;
      }
    }
    c.check(healthy_reset_n == 0,
            "a VM whose pet is unread during a stall is not reset: " + std::to_string(healthy_reset_n) +
                " of 280 healthy VMs got a RESET",
            "first ones (time of the RESET after SIGCONT):" + healthy_reset);
    c.check(hung_missing_n == 0,
            "a VM that stopped petting is still reset after a stall: all 20 VMs that petted only at the start got a RESET",
            std::to_string(hung_missing_n) + " without a RESET:" + hung_missing);
    c.check(late_missing_n == 0,
            "a VM that stopped petting is still reset after a stall: all 10 VMs whose countdown ran out during the stall "
            "got a RESET after SIGCONT",
            std::to_string(late_missing_n) + " without:" + late_missing);
    c.check(count_log_lines(s.log, {"event=stall"}) >= 1, "the log has a line with event=stall",
            "no event=stall line in " + s.log);
    c.check(closed.empty(), "every VM still connected", "closed:" + closed);
  });
}

// =============================================================================================
// timer_memory — "a VM petting in a tight loop does not grow the server's memory".
//
// VM b's 600 s watchdog is the earliest deadline; VM a's is 6553.5 s and petted 200000 times
// (pipelined, 4 in flight, one write each) or for 20 s.
// Old code: every loop turn that moved a deadline pushed a timer-heap entry; stale ones were
// only dropped when they reached the top, which b's valid 600 s entry never let them: 16 bytes
// per pet (about 2 MB here).
void test_timer_memory(checker& c, const std::string& dir, const options& o) {
  const std::string pa = dir + "/a.sock", pb = dir + "/b.sock";
  with_server(c, o, dir, vm_section("a", "unix:" + pa) + vm_section("b", "unix:" + pb), "ipmikit-bmc started", [&](server& s) {
    emu a, b;
    if (!connect_all(c, {{b, "b", pb}, {a, "a", pa}})) return;
    auto cc = emu_call(b, {0x18, 0x24, 0x04, 0x01, 0x00, 0x00, 0x70, 0x17});
    if (!c.check(cc == 0x00, "VM b: Set Watchdog Timer (SMS/OS, hard reset, 600.0 s) answered 00")) return;
    cc = emu_call(b, reset_watchdog_req);
    if (!c.check(cc == 0x00, "VM b: Reset Watchdog Timer answered 00 (its deadline is the earliest)")) return;
    cc = emu_call(a, {0x18, 0x24, 0x04, 0x01, 0x00, 0x00, 0xFF, 0xFF});
    if (!c.check(cc == 0x00, "VM a: Set Watchdog Timer (6553.5 s) answered 00")) return;
    cc = emu_call(a, reset_watchdog_req);
    if (!c.check(cc == 0x00, "VM a: Reset Watchdog Timer answered 00")) return;
    a.latencies_ms.clear();
    a.latencies_ms.shrink_to_fit();
    const auto rss0 = rss_kib(s.pid());
    if (!c.check_ok(rss0, "server VmRSS before")) return;
    const auto t0 = steady::now();
    const auto stop_at = t0 + millis(20000);
    std::size_t pets = 0;
    emu* one[] = {&a};
    bool stuck = false;
    // Pipelined, but only 4 in flight, each in its own write: most of the server's loop turns
    // then see one pet (32 in one write arrive in one read: one turn, one timer update for 32).
    constexpr std::size_t window = 4;
    const std::size_t answered0 = a.answered;
    auto last_progress = steady::now();
    std::size_t last_answered = a.answered;
    for (int i = 0; i < 100'000'000 && pets < 200000 && steady::now() < stop_at; ++i) {
      while (a.outstanding() < window && pets + a.outstanding() < 200000) {
        emu_request(a, reset_watchdog_req);
        emu_flush(a);
      }
      pump(one, {}, 100);
      pets = a.answered - answered0;
      if (a.answered != last_answered) {
        last_answered = a.answered;
        last_progress = steady::now();
      } else if (a.eof || steady::now() - last_progress > millis(5000)) {
        stuck = true;
        break;
      }
      if (a.latencies_ms.size() > 4096) a.latencies_ms.clear();  // not needed here
    }
    const double secs = ms_of(steady::now() - t0) / 1000.0;
    const auto rss1 = rss_kib(s.pid());
    if (!c.check_ok(rss1, "server VmRSS after")) return;
    const long long growth = *rss1 - *rss0;
    say("  " + std::to_string(pets) + " pets in " + fmt(secs, 2) + " s (" + fmt(static_cast<double>(pets) / secs, 0) +
        " pets/s); VmRSS " + std::to_string(*rss0) + " → " + std::to_string(*rss1) + " KiB (growth " +
        std::to_string(growth) + " KiB)");
    c.check(!stuck, "every pet answered (4 in flight at a time)",
            std::to_string(a.outstanding()) + " unanswered for 5 s" + (a.eof ? "; the server closed VM a" : ""));
    c.check(a.bad_cc == 0, "every pet answered 00", std::to_string(a.bad_cc) + " other completion codes");
    c.check(pets >= 200000 || secs >= 19.5, "at least 200000 pets or 20 s", std::to_string(pets) + " pets");
    const std::string what = "a VM petting in a tight loop does not grow the server's memory: " + std::to_string(pets) +
                             " pets, " + fmt(static_cast<double>(pets) / secs, 0) + " pets/s, VmRSS growth " +
                             std::to_string(growth) + " KiB (< 1024)";
    if (o.rss_limits) c.check(growth < 1024, what, "VmRSS " + std::to_string(*rss0) + " → " + std::to_string(*rss1) + " KiB");
    else c.note(what + " — not judged (--no-rss-limits)");
  });
}

// =============================================================================================
// log_flood — "one VM cannot flood the log".
//
// VM flood sends RESET reports, CAPABILITIES and VERSION 2 frames as fast as it can for 2 s; VM
// calm's Get Device ID every 10 ms must be answered promptly meanwhile.
// Old code: one log line per frame (vm_reports, capabilities, version_mismatch): hundreds of
// thousands of lines, no event=log_suppressed.
void test_log_flood(checker& c, const std::string& dir, const options& o) {
  const std::string pf = dir + "/flood.sock", pc = dir + "/calm.sock";
  with_server(c, o, dir, vm_section("flood", "unix:" + pf) + vm_section("calm", "unix:" + pc), "ipmikit-bmc started", [&](server& s) {
    emu flood, calm;
    if (!connect_all(c, {{flood, "flood", pf}, {calm, "calm", pc}})) return;
    bytes chunk;  // 04 A1, 08 3F A1, FF 02 A1, …
    for (int k = 0; k < 512; ++k) {
      std::array<std::uint8_t, vm::max_command_frame_size(1)> f{};
      auto r = vm::encode_command(f, vm::command::reset);
      chunk.insert(chunk.end(), f.begin(), f.begin() + static_cast<std::ptrdiff_t>(r.size));
      r = vm::encode_command(f, vm::command::capabilities, 0x3F);
      chunk.insert(chunk.end(), f.begin(), f.begin() + static_cast<std::ptrdiff_t>(r.size));
      r = vm::encode_command(f, vm::command::version, 2);
      chunk.insert(chunk.end(), f.begin(), f.begin() + static_cast<std::ptrdiff_t>(r.size));
    }
    calm.latencies_ms.clear();
    emu* both[] = {&flood, &calm};
    const auto t0 = steady::now();
    const auto end = t0 + millis(2000);
    auto next_calm = t0;
    for (int i = 0; i < 10'000'000 && steady::now() < end; ++i) {
      if (!flood.writing() && !flood.eof) emu_append(flood, chunk);
      if (steady::now() >= next_calm) {
        emu_request(calm, get_device_id_req);
        next_calm += millis(10);
      }
      pump(both, {}, ms_until(std::min(next_calm, end), 10));
    }
    const double frames = static_cast<double>(flood.bytes_out) * 3.0 / 8.0;
    say("  VM flood wrote " + std::to_string(flood.bytes_out) + " bytes (~" + fmt(frames, 0) + " frames, " +
        fmt(frames / 2.0, 0) + " frames/s)");
    pump_until(calm, 1000, [&] { return calm.outstanding() == 0; }, 20);
    const auto lat = latencies(calm);
    // The flood ends; a server that reports suppressed lines at the end of an interval or at the
    // disconnect has up to 3 s to do so.
    flood.fd.reset();
    std::size_t flood_lines = 0, suppressed_lines = 0;
    unsigned long long suppressed_sum = 0;
    auto scan = [&]() {
      flood_lines = suppressed_lines = 0;
      suppressed_sum = 0;
      (void)for_each_line(s.log, [&](std::string_view line) {
        if (line.find(" vm=flood ") == std::string_view::npos) return;
        ++flood_lines;
        if (line.find("event=log_suppressed") == std::string_view::npos) return;
        ++suppressed_lines;
        const auto at = line.find(" lines=");
        if (at != std::string_view::npos) suppressed_sum += std::strtoull(std::string(line.substr(at + 7, 20)).c_str(), nullptr, 10);
      });
    };
    const deadline d{millis(3000)};
    for (int i = 0; i < 1000; ++i) {
      scan();
      if (suppressed_sum > 1000 || d.expired()) break;
      sleep_ms(100);
    }
    const std::string counts = std::to_string(flood_lines) + " lines with vm=flood, " + std::to_string(suppressed_lines) +
                               " event=log_suppressed lines, lines= summing to " + std::to_string(suppressed_sum);
    say("  " + counts);
    c.check(flood_lines <= 200, "one VM cannot flood the log: " + std::to_string(flood_lines) + " lines for VM flood (≤ 200)", counts);
    c.check(suppressed_lines >= 1 && suppressed_sum > 1000,
            "one VM cannot flood the log: event=log_suppressed for it, lines= summing to > 1000", counts);
    c.check(lat.p(0.99) < 100.0 && lat.unanswered == 0,
            "one VM cannot flood the log: the other VM's Get Device ID every 10 ms, p99 < 100 ms: " + lat.describe());
  });
}

// =============================================================================================
// blocked_log — "a blocked log reader does not slow the VMs, and SIGTERM still stops the server".
//
// ipmikit-bmc --verbose with stdout and stderr on a pipe the test never reads: VM flood's
// pipelined Get Device IDs for 1 s fill it; then VM innocent's Get Device ID every 10 ms for 2 s,
// VM wd's 2.0 s watchdog, and SIGTERM with the pipe still full.
// Old code: every log line was an fflush() blocking on the full pipe: the whole loop stopped
// (requests unanswered, the watchdog late or never, the signalfd never read: SIGTERM ignored).
void test_blocked_log(checker& c, const std::string& dir, const options& o) {
  const std::string pf = dir + "/flood.sock", pi = dir + "/innocent.sock", pw = dir + "/wd.sock";
  const std::string conf = dir + "/bmc.conf";
  if (!c.check_ok(write_file(conf, vm_section("flood", "unix:" + pf) + vm_section("innocent", "unix:" + pi) +
                                       vm_section("wd", "unix:" + pw)),
                  "wrote " + conf))
    return;
  int p[2];
  const bool piped = ::pipe2(p, O_CLOEXEC) == 0;
  if (!c.check(piped, "a pipe for the server's output", piped ? "" : errno_text("pipe2", errno))) return;
  unique_fd pipe_read(p[0]);
  unique_fd pipe_write(p[1]);
  // A copy of the write end, only ever polled: POLLOUT is the kernel's own "the pipe has room"
  // (a pipe is full when its page slots are used, which small writes reach below 64 KiB).
  unique_fd pipe_probe(::fcntl(pipe_write.get(), F_DUPFD_CLOEXEC, 0));
  const int pipe_size = ::fcntl(pipe_read.get(), F_GETPIPE_SZ);
  spawn_options io;
  io.output_fd = pipe_write.get();
  auto srv = process::spawn({o.binary, "--config", conf, "--verbose"}, io);
  pipe_write.reset();
  if (!c.check_ok(srv, "ipmikit-bmc --verbose started, stdout+stderr on a pipe (" + std::to_string(pipe_size) + " bytes)"))
    return;
  const int before = c.failures();
  auto pipe_fill = [&]() {
    int n = 0;
    return ::ioctl(pipe_read.get(), FIONREAD, &n) == 0 ? n : -1;
  };
  auto pipe_full = [&]() {
    pollfd pfd{pipe_probe.get(), POLLOUT, 0};
    return ::poll(&pfd, 1, 0) == 0;
  };
  auto body = [&]() {
    emu flood, innocent, wd;
    // Readiness without reading the pipe: the sockets accept once the server listens.
    if (!connect_all(c, {{flood, "flood", pf}, {innocent, "innocent", pi}, {wd, "wd", pw}})) return;
    emu* all[] = {&flood, &innocent, &wd};
    {
      const auto end = steady::now() + millis(1000);
      for (int i = 0; i < 10'000'000 && steady::now() < end; ++i) {
        for (std::size_t k = flood.outstanding(); k < 32; ++k) emu_request(flood, get_device_id_req);
        pump(all, {}, ms_until(end, 20));
      }
    }
    const int fill = pipe_fill();
    say("  VM flood: " + std::to_string(flood.answered) + " Get Device ID answered in 1 s; the pipe holds " +
        std::to_string(fill) + " unread bytes");
    c.check(pipe_full(), "precondition: the log filled the pipe: a write would block (" + std::to_string(fill) + " bytes of " +
                             std::to_string(pipe_size) + " in it)");
    for (std::size_t id = 0; id < 256; ++id) flood.pending[id].reset();  // no longer measured

    innocent.latencies_ms.clear();
    const auto t1 = steady::now();
    const auto measure_end = t1 + millis(2000);
    auto next = t1;
    const std::uint8_t set_id = emu_request(wd, {0x18, 0x24, 0x04, 0x01, 0x00, 0x00, 0x14, 0x00});
    std::optional<std::uint8_t> reset_id;
    std::optional<steady::time_point> pet_answered;
    for (int i = 0; i < 10'000'000; ++i) {
      const auto now = steady::now();
      if (now < measure_end && now >= next) {
        emu_request(innocent, get_device_id_req);
        next += millis(10);
      }
      if (!reset_id && !wd.pending[set_id] && wd.cc_of[set_id] == 0x00) reset_id = emu_request(wd, reset_watchdog_req);
      if (reset_id && !pet_answered && !wd.pending[*reset_id]) pet_answered = now;
      const bool wd_done = wd.resets > 0 || (pet_answered && now > *pet_answered + millis(3000)) ||
                           (!pet_answered && now > t1 + millis(3000));
      if (now >= measure_end && (innocent.outstanding() == 0 || now > measure_end + millis(500)) && wd_done) break;
      pump(all, {}, ms_until(now < measure_end ? std::min(next, measure_end) : now + millis(20), 10));
    }
    const auto lat = latencies(innocent);
    c.check(lat.p(0.5) < 20.0 && lat.max() < 500.0,
            "a blocked log reader does not slow the VMs: Get Device ID every 10 ms for 2 s, p50 < 20 ms, max < 500 ms: " +
                lat.describe());
    if (c.check(!wd.pending[set_id] && wd.cc_of[set_id] == 0x00, "VM wd: Set Watchdog Timer (2.0 s, hard reset) answered 00",
                wd.pending[set_id] ? "unanswered" : "cc " + hex(wd.cc_of[set_id])) &&
        c.check(pet_answered.has_value() && wd.cc_of[*reset_id] == 0x00, "VM wd: Reset Watchdog Timer answered 00",
                pet_answered ? "cc " + hex(wd.cc_of[*reset_id]) : "unanswered")) {
      const bool fired = wd.resets > 0;
      const double after = fired ? ms_of(wd.reset_times.front() - *pet_answered) : 0.0;
      c.check(fired && after >= 1900.0 && after <= 2400.0,
              "a blocked log reader does not slow the VMs: VM wd's RESET 1.9–2.4 s after its pet: " +
                  (fired ? fmt(after, 0) + " ms" : std::string("none within 3 s")));
    }
    say("  the pipe holds " + std::to_string(pipe_fill()) + " unread bytes" + (pipe_full() ? " (full)" : " (not full)") +
        "; SIGTERM");
    const auto ended = srv->stop(millis(3000));  // SIGTERM; SIGKILL when still running after 3 s
    std::string how = ended ? ended->describe() : ended.error();
    if (ended && ended->killed_by(SIGKILL)) how = "still running after 3 s (killed with SIGKILL)";
    c.check(ended && ended->success(), "SIGTERM still stops the server with the pipe full and unread: exit 0 within 3 s",
            how);
  };
  body();
  (void)srv->stop(millis(3000));  // when the body returned early; else it ended already
  if (c.failures() != before) {
    // The log is in the pipe: show what is there now (the test did not read it before).
    std::string text;
    for (int i = 0; i < 64; ++i) {
      auto r = read_some(pipe_read.get(), g_buf, 0);
      if (!r || r->state != read_state::data) break;
      text.append(reinterpret_cast<const char*>(g_buf.data()), r->size);
    }
    say("  --- ipmikit-bmc output (the pipe, " + std::to_string(text.size()) + " bytes), tail:\n" +
        (text.size() > 3000 ? "…" + text.substr(text.size() - 3000) : text) + "\n  ---");
  }
}

// =============================================================================================
// control_line — "a control line over 512 bytes ends the client, at any split".
//
// Lines of 513, 600, 1023, 1024 and 5000 bytes before the newline, in one write, in two writes
// cut at 1, 100, 511, 512, 513, and 600 byte by byte: `error line longer than 512 bytes` and EOF
// within 2 s. A 512-byte line is an ordinary (unknown) command and the connection stays.
// Old code: the length was checked only after splitting the 512-byte reads into lines: a line
// of 513–1023 bytes whose newline came in the next read was run as a command.
void test_control_line(checker& c, const std::string& dir, const options& o) {
  const std::string sock = dir + "/ctl.sock";
  const std::string expected = "error line longer than 512 bytes\n";
  with_server(c, o, dir, bmc_section(sock) + vm_section("a", "unix:" + dir + "/a.sock"), "ipmikit-bmc started", [&](server&) {
    struct line_case {
      std::size_t length;
      std::size_t cut;  // 0: one write
    };
    std::vector<line_case> cases;
    for (const std::size_t len : {513u, 600u, 1023u, 1024u, 5000u}) {
      cases.push_back({len, 0});
      for (const std::size_t cut : {1u, 100u, 511u, 512u, 513u})
        if (cut < len) cases.push_back({len, cut});
    }
    auto label = [](const line_case& lc) {
      return std::to_string(lc.length) + " bytes, " +
             (lc.cut == 0 ? std::string("one write") : "two writes cut at " + std::to_string(lc.cut));
    };
    // Batches of 8 clients at once (at most 16 are served; 8 leaves room for the previous batch
    // while the server notices it closed).
    for (std::size_t first = 0; first < cases.size(); first += 8) {
      const std::size_t n = std::min<std::size_t>(8, cases.size() - first);
      std::vector<ctl> clients(n);
      const auto ptrs = ctl_connect_all(c, clients, sock, "control connection");
      if (!ptrs) return;
      std::vector<std::string> payload(n);
      for (std::size_t k = 0; k < n; ++k) {
        const line_case& lc = cases[first + k];
        payload[k] = std::string(lc.length, 'x') + "\n";
        const std::size_t cut = lc.cut == 0 ? payload[k].size() : lc.cut;
        (void)write_all(clients[k].fd.get(), as_bytes(std::string_view(payload[k]).substr(0, cut)), 2000);
      }
      sleep_ms(20);  // shapes the input: the server reads the first part on its own
      for (std::size_t k = 0; k < n; ++k) {
        const line_case& lc = cases[first + k];
        if (lc.cut != 0)  // the server may have closed already: a failed write is fine
          (void)write_all(clients[k].fd.get(), as_bytes(std::string_view(payload[k]).substr(lc.cut)), 2000);
      }
      pump_until({}, *ptrs, 2000, [&] { return std::all_of(clients.begin(), clients.end(), [](const ctl& x) { return x.eof; }); });
      for (std::size_t k = 0; k < n; ++k)
        c.check(clients[k].eof && clients[k].in == expected,
                "a control line over 512 bytes ends the client, at any split: " + label(cases[first + k]),
                "got " + printable(clients[k].in) + (clients[k].eof ? " then EOF" : " and no EOF within 2 s"));
    }
    {  // 600 bytes, one byte per write
      ctl one;
      if (!ctl_connect(c, one, sock, "control connection")) return;
      const std::string line = std::string(600, 'x') + "\n";
      std::size_t written = 0;
      for (; written < line.size(); ++written) {
        if (::send(one.fd.get(), line.data() + written, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) break;
        sleep_us(300);
      }
      pump_until(one, 2000, [&] { return one.eof; });
      c.check(one.eof && one.in == expected,
              "a control line over 512 bytes ends the client, at any split: 600 bytes, byte by byte (" +
                  std::to_string(written) + " written before the server closed)",
              "got " + printable(one.in) + (one.eof ? " then EOF" : " and no EOF within 2 s"));
    }
    {  // exactly 512 bytes: an ordinary line
      ctl one;
      if (!ctl_connect(c, one, sock, "control connection")) return;
      one.out = std::string(512, 'x') + "\n";
      pump_until(one, 2000, [&] { return one.in.find('\n') != std::string::npos || one.eof; });
      const auto first_line = take_line(one);
      c.check(first_line && first_line->starts_with("error unknown command") && !one.eof,
              "a 512-byte control line is answered `error unknown command` and the connection stays open",
              "got " + printable(first_line.value_or(one.in)) + (one.eof ? " then EOF" : ""));
      one.out = "help\n";
      one.out_done = 0;
      pump_until(one, 2000, [&] { return one.in.ends_with("ok\n") || one.eof; });
      c.check(one.in.ends_with("ok\n"), "  and `help` on the same connection is answered, ending in ok",
              "got " + printable(one.in) + (one.eof ? " then EOF" : ""));
    }
  });
}

// =============================================================================================
// fd_exhaustion — "out of file descriptors, accept backs off and other VMs are served".
//
// With VM a connected, the server's RLIMIT_NOFILE is lowered (prlimit) to its lowest free
// descriptor number (= the number of its open descriptors when they are 0…n-1): no new
// descriptor can be opened. VM b connects and 3 control clients send `list`. For 2 s: CPU, VM
// a's Get Device ID every 50 ms, accept_failed lines, the control clients. Then the limit is
// restored and VM b and a control client are served.
// Old code: the listeners stayed readable (level-triggered) and every loop turn retried accept:
// 100% CPU, an accept_failed line per turn (MB/s of log), control clients silently waiting.
void test_fd_exhaustion(checker& c, const std::string& dir, const options& o) {
  const std::string pa = dir + "/a.sock", pb = dir + "/b.sock", sock = dir + "/ctl.sock";
  rlimit old_limit{};
  pid_t lowered = 0;  // the server whose limit is lowered, or 0
  auto restore = [&]() {
    if (lowered != 0 && ::prlimit(lowered, RLIMIT_NOFILE, &old_limit, nullptr) == 0) lowered = 0;
    return lowered == 0;
  };
  const std::string conf = bmc_section(sock) + vm_section("a", "unix:" + pa) + vm_section("b", "unix:" + pb);
  with_server(c, o, dir, conf, "ipmikit-bmc started", [&](server& s) {
    const pid_t pid = s.pid();
    emu a;
    if (!connect_all(c, {{a, "a", pa}})) return;
    if (!c.check(emu_call(a, get_device_id_req) == 0x00, "VM a: Get Device ID answered")) return;
    auto fds = open_fds(pid);
    if (!c.check_ok(fds, "the server's open descriptors")) return;
    int lowest_free = 0;
    for (const int fd : *fds) {
      if (fd != lowest_free) break;
      ++lowest_free;
    }
    const bool got_limit = ::prlimit(pid, RLIMIT_NOFILE, nullptr, &old_limit) == 0;
    if (!c.check(got_limit, "prlimit: read the server's RLIMIT_NOFILE", got_limit ? "" : errno_text("prlimit", errno))) return;
    // The hard limit too when it can be raised back afterwards (CAP_SYS_RESOURCE), so that the
    // server cannot lift its own soft limit; else only the soft one.
    const rlim_t n = static_cast<rlim_t>(lowest_free);
    const bool hard_too = can_raise_hard_limits();
    if (!hard_too) c.note("no CAP_SYS_RESOURCE: only the soft limit is lowered (the hard one could not be restored)");
    const rlimit low{n, hard_too ? n : old_limit.rlim_max};
    const bool set_limit = ::prlimit(pid, RLIMIT_NOFILE, &low, nullptr) == 0;
    if (!c.check(set_limit,
                 "the server's RLIMIT_NOFILE lowered to " + std::to_string(lowest_free) + " (" + std::to_string(fds->size()) +
                     " descriptors open): no new descriptor can be opened",
                 set_limit ? "" : errno_text("prlimit", errno)))
      return;
    lowered = pid;
    const auto cpu0 = cpu_seconds(pid);
    const auto t0 = steady::now();
    emu b;
    b.name = "b";
    if (auto fd = connect_unix(pb, 2000); c.check_ok(fd, "VM b connects (into the listener's backlog)")) b.fd = std::move(*fd);
    std::vector<ctl> clients(3);
    const auto cptrs = ctl_connect_all(c, clients, sock, "a control client connects");
    if (!cptrs) return;
    for (ctl& x : clients) x.out = "list\n";
    say("  3 control clients connected (into the backlog), each sending `list`");
    emu* vms[] = {&a, &b};
    a.latencies_ms.clear();
    const auto end = t0 + millis(2000);
    auto next = t0;
    for (int i = 0; i < 10'000'000 && steady::now() < end; ++i) {
      if (steady::now() >= next) {
        emu_request(a, get_device_id_req);
        next += millis(50);
      }
      pump(vms, *cptrs, ms_until(std::min(next, end), 20));
    }
    const auto cpu1 = cpu_seconds(pid);
    pump_until(a, 500, [&] { return a.outstanding() == 0; }, 20);
    if (c.check_ok(cpu0, "server CPU time before") && c.check_ok(cpu1, "server CPU time after"))
      c.check(*cpu1 - *cpu0 < 0.3, "out of file descriptors, accept backs off: server CPU " + fmt(*cpu1 - *cpu0, 2) +
                                       " s in 2 s (< 0.3 s)");
    const auto lat = latencies(a);
    c.check(lat.unanswered == 0 && a.answered >= 30,
            "out of file descriptors, other VMs are served: VM a's Get Device ID every 50 ms all answered: " + lat.describe());
    for (std::size_t k = 0; k < clients.size(); ++k) {
      const ctl& x = clients[k];
      const bool closed = x.eof_at && ms_of(*x.eof_at - x.opened_at) <= 2000.0;
      const bool told = x.in.starts_with("error") && x.first_data_at && ms_of(*x.first_data_at - x.opened_at) <= 2000.0;
      c.check(closed || told,
              "out of file descriptors, a waiting control client is not left hanging: client " + std::to_string(k + 1) +
                  " got EOF or an error line within 2 s",
              "got " + printable(x.in) + (x.eof ? " then EOF" : ", no EOF"));
    }
    say("  VM b's first connection: " + std::to_string(b.bytes_in) + " bytes received" + (b.eof ? ", closed" : ", open"));
    b.fd.reset();
    for (ctl& x : clients) x.fd.reset();
    const bool restored = restore();
    if (!c.check(restored, "the server's RLIMIT_NOFILE restored", restored ? "" : errno_text("prlimit", errno))) return;
    const std::size_t failed = count_log_lines(s.log, {"event=accept_failed"});
    c.check(failed <= 10, "out of file descriptors, accept backs off: " + std::to_string(failed) +
                              " event=accept_failed lines in the log (≤ 10)");
    // VM b again: a connection the server accepts while the old one is still open is refused
    // (EOF at once): retried every 100 ms.
    emu b2;
    std::string how = "no attempt";
    const deadline d{millis(3000)};
    for (int attempt = 1; attempt < 1000 && !d.expired(); ++attempt) {
      b2 = emu{};
      b2.name = "b";
      auto fd = connect_unix(pb, 1000);
      if (!fd) {
        how = fd.error();
        sleep_ms(100);
        continue;
      }
      b2.fd = std::move(*fd);
      pump_until(b2, 1000, [&] { return b2.versions > 0 || b2.eof; }, 20);
      if (b2.versions > 0) break;
      how = "attempt " + std::to_string(attempt) + (b2.eof ? ": closed at once (refused)" : ": no VERSION within 1 s");
      sleep_ms(100);
    }
    if (c.check(b2.versions > 0, "after the limit is restored, VM b reconnects and is greeted (VERSION)", how)) {
      emu_greet(b2);
      c.check(emu_call(b2, get_device_id_req) == 0x00, "  and its Get Device ID is answered");
    }
    std::string last;
    (void)control_served(sock, 2000, &last);  // waits until the control socket serves again
    auto list = control(sock, "list");
    c.check(list.ok() && list->ends_with("ok\n"), "after the limit is restored, a new control client's list ends ok",
            list ? printable(*list, 300) : list.error() + "; help: " + printable(last));
  }, [&] { (void)restore(); });
}

// =============================================================================================
// inherited_fds — "inherited descriptors are counted in the open-file check at start".
//
// The server starts with 64 inherited descriptors (at 100…163, no close-on-exec) and
// RLIMIT_NOFILE soft = hard = 2·2 + 16 + 16 = 36, what the old check asked for two VMs.
// Old code: need = 2·VMs + 32 ignored what was already open: it started (event=ready) and would
// run out later.
void test_inherited_fds(checker& c, const std::string& dir, const options& o) {
  const std::string conf = dir + "/bmc.conf", out_path = dir + "/stdout.log", err_path = dir + "/stderr.log";
  if (!c.check_ok(write_file(conf, vm_section("a", "unix:" + dir + "/a.sock") + vm_section("b", "unix:" + dir + "/b.sock")),
                  "wrote " + conf))
    return;
  unique_fd out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  unique_fd err(::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!c.check(out.valid() && err.valid(), "log files opened")) return;
  spawn_options io;
  io.output_fd = out.get();
  io.error_fd = err.get();
  io.inherit_count = 64;
  io.inherit_from = 100;
  io.nofile = 2 * 2 + 16 + 16;
  auto srv = process::spawn({o.binary, "--config", conf}, io);
  if (!c.check_ok(srv, "ipmikit-bmc started with 64 inherited descriptors and RLIMIT_NOFILE 36")) return;
  const auto ended = srv->wait_exit(millis(5000));
  auto err_file = read_file(err_path);
  auto out_file = read_file(out_path);
  const std::string err_text = err_file ? *err_file : err_file.error();
  const std::string out_text = out_file ? *out_file : out_file.error();
  c.check(ended && ended->exited && ended->code == 1,
          "inherited descriptors are counted in the open-file check at start: exit 1 within 5 s",
          ended ? ended->describe()
                : std::string("still running after 5 s") +
                      (out_text.find("event=ready") != std::string::npos ? " (it logged event=ready)" : ""));
  c.check(err_text.find("open files") != std::string::npos, "  saying so on stderr (`open files`): " + printable(err_text, 300));
  (void)srv->stop(millis(1000));
  if (c.failures() != 0) say("  --- stdout:\n" + out_text.substr(0, 2000) + "\n  --- stderr:\n" + err_text.substr(0, 2000) + "\n  ---");
}

// =============================================================================================
// control_flood — "the control socket's output is bounded before it is produced".
//
// 2000 VMs configured (one, wd, connected with a 1.0 s watchdog); 16 control clients each write
// `list` × 102 in one write and do not read for 3 s: the server's RSS stays under +48 MiB, wd's
// RESET comes on time; then every client reads its 102 answers, each ending `ok`.
// Old code: all 102 lines were run at once into an unbounded output string (10 MB per client,
// hundreds of MB in all, a stall of seconds), and a client with over 1 MiB unsent was closed:
// answers lost.
void test_control_flood(checker& c, const std::string& dir, const options& o) {
  const std::string sock = dir + "/ctl.sock", pw = dir + "/wd.sock";
  std::string conf = bmc_section(sock) + vm_section("wd", "unix:" + pw);
  for (int i = 1; i < 2000; ++i) {
    char n[16];
    std::snprintf(n, sizeof n, "v%04d", i);
    conf += vm_section(n, "unix:" + dir + "/" + n + ".sock");
  }
  with_server(c, o, dir, conf, "ipmikit-bmc started with 2000 VMs", [&](server& s) {
    std::vector<ctl> clients(16);
    for (ctl& x : clients) {
      x.reading = false;
      x.count_only = true;
    }
    const auto cptrs = ctl_connect_all(c, clients, sock, "a control client connects");
    if (!cptrs) return;
    say("  16 control clients connected");
    emu wd;
    if (!connect_all(c, {{wd, "wd", pw}})) return;
    if (!c.check(emu_call(wd, {0x18, 0x24, 0x04, 0x01, 0x00, 0x00, 0x0A, 0x00}) == 0x00,
                 "VM wd: Set Watchdog Timer (1.0 s, hard reset) answered 00"))
      return;
    if (!c.check(emu_call(wd, reset_watchdog_req) == 0x00, "VM wd: Reset Watchdog Timer answered 00")) return;
    const auto pet = steady::now();
    const auto rss0 = rss_kib(s.pid());
    if (!c.check_ok(rss0, "server VmRSS before the burst")) return;
    std::string burst;
    for (int k = 0; k < 102; ++k) burst += "list\n";
    for (ctl& x : clients) {
      const ssize_t n = ::send(x.fd.get(), burst.data(), burst.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      const int err = errno;
      if (n != static_cast<ssize_t>(burst.size())) {
        c.check(false, "a client writes `list` × 102 in one write", n < 0 ? errno_text("send", err) : std::to_string(n) + " bytes");
        return;
      }
    }
    say("  each client wrote `list` × 102 (510 bytes) in one write, and reads nothing for 3 s");
    long long rss_max = *rss0;
    std::size_t samples = 0;
    const auto end = pet + millis(3000);
    auto next_sample = steady::now();
    emu* one[] = {&wd};
    for (int i = 0; i < 10'000'000 && steady::now() < end; ++i) {
      if (steady::now() >= next_sample) {
        if (auto r = rss_kib(s.pid()); r) rss_max = std::max(rss_max, *r);
        ++samples;
        next_sample += millis(100);
      }
      pump(one, {}, ms_until(std::min(next_sample, end), 100));
    }
    const bool fired = wd.resets > 0;
    const double after = fired ? ms_of(wd.reset_times.front() - pet) : 0.0;
    c.check(fired && after >= 950.0 && after <= 1500.0,
            "the control socket's output is bounded before it is produced: VM wd's RESET 0.95–1.5 s after its pet: " +
                (fired ? fmt(after, 0) + " ms" : std::string("none within 3 s")));
    const std::string what = "the control socket's output is bounded before it is produced: server VmRSS peak " +
                             fmt(static_cast<double>(rss_max) / 1024.0) + " MiB, " +
                             fmt(static_cast<double>(rss_max - *rss0) / 1024.0) + " MiB over before (< 48 MiB; " +
                             std::to_string(samples) + " samples in 3 s)";
    if (o.rss_limits) c.check(rss_max < *rss0 + 48 * 1024, what);
    else c.note(what + " — not judged (--no-rss-limits)");

    // Now read: every client must get its 102 answers, each ending in `ok`.
    for (ctl& x : clients) x.reading = true;
    const auto t_read = steady::now();
    pump_until({}, *cptrs, 20000, [&]() {
      return std::all_of(clients.begin(), clients.end(), [](const ctl& x) { return x.ok_lines >= 102 || x.eof; });
    }, 100);
    std::uint64_t total = 0;
    std::string short_ones;
    for (std::size_t k = 0; k < clients.size(); ++k) {
      const ctl& x = clients[k];
      total += x.bytes_in;
      if (x.ok_lines != 102)
        short_ones += "\n         client " + std::to_string(k + 1) + ": " + std::to_string(x.ok_lines) + " ok lines, " +
                      std::to_string(x.lines) + " lines, " + std::to_string(x.bytes_in) + " bytes" +
                      (x.eof ? ", closed by the server" : ", still open") +
                      (x.first_other.empty() ? "" : ", " + printable(x.first_other, 80));
    }
    say("  read " + std::to_string(total) + " bytes from the 16 clients in " + fmt(ms_of(steady::now() - t_read), 0) + " ms");
    c.check(short_ones.empty(), "nothing was lost: each of the 16 clients got 102 answers ending ok (within 20 s)",
            short_ones.empty() ? "" : short_ones.substr(10));
  });
}

// =============================================================================================
// power_coalesced — "power commands are coalesced and idempotent".
//
// 1000 `power reset p` in one burst while VM p sends Get Device ID every 10 ms; then `power off p`
// twice.
// Old code: every `power reset` queued a RESET, each followed by the session's 10 ms command gap:
// 1000 RESETs, one every 10 ms, the VM's responses held behind them for seconds; each answer was
// just `ok`, and `power off` twice sent two POWEROFFs.
void test_power_coalesced(checker& c, const std::string& dir, const options& o) {
  const std::string sock = dir + "/ctl.sock", pp = dir + "/p.sock";
  with_server(c, o, dir, bmc_section(sock) + vm_section("p", "unix:" + pp), "ipmikit-bmc started", [&](server& s) {
    emu p;
    if (!connect_all(c, {{p, "p", pp}})) return;
    if (!c.check(wait_for_log(s.log, "vm=p event=capabilities caps=0x3F", 1, 3000), "ipmikit-bmc has VM p's capabilities (0x3F)"))
      return;
    ctl op;
    auto fd = connect_unix(sock, 2000);
    if (!c.check_ok(fd, "control client connected")) return;
    op.fd = std::move(*fd);
    emu* vms[] = {&p};
    ctl* ops[] = {&op};
    auto next = steady::now();
    auto tick = [&](int cap_ms) {  // one loop turn: VM p's Get Device ID every 10 ms
      if (steady::now() >= next) {
        emu_request(p, get_device_id_req);
        next += millis(10);
      }
      pump(vms, ops, ms_until(next, cap_ms));
    };
    for (int k = 0; k < 1000; ++k) op.out += "power reset p\n";
    std::vector<std::string> answers;
    const deadline d{millis(20000)};
    for (int i = 0; i < 10'000'000 && answers.size() < 1000 && !op.eof && !d.expired(); ++i) {
      tick(10);
      for (int k = 0; k < 2000; ++k) {
        auto line = take_line(op);
        if (!line) break;
        answers.push_back(std::move(*line));
      }
    }
    const auto last_answer = steady::now();
    if (!c.check(answers.size() == 1000, "1000 answers to 1000 `power reset p`",
                 std::to_string(answers.size()) + " answers" + (op.eof ? ", then EOF" : "")))
      return;
    std::size_t sent = 0, queued = 0, already = 0;
    std::string invalid;
    std::size_t invalid_n = 0;
    for (const std::string& a : answers) {
      if (a == "ok sent") ++sent;
      else if (a == "ok queued") ++queued;
      else if (a == "ok already queued") ++already;
      else if (++invalid_n == 1) invalid = a;
    }
    for (int i = 0; i < 10'000'000 && steady::now() < last_answer + millis(2000); ++i) tick(10);
    const std::size_t resets = p.resets;
    pump_until(vms, ops, 1000, [&] { return p.outstanding() == 0; }, 20);  // the last Get Device IDs answered (no new ones)
    const auto lat = latencies(p);
    const std::string counts = std::to_string(sent) + " `ok sent`, " + std::to_string(queued) + " `ok queued`, " +
                               std::to_string(already) + " `ok already queued`, " + std::to_string(invalid_n) + " other";
    say("  answers: " + counts + "; VM p received " + std::to_string(resets) + " RESETs");
    c.check(invalid_n == 0, "power commands are coalesced: every answer is `ok sent`, `ok queued` or `ok already queued`",
            counts + "; e.g. " + printable(invalid));
    c.check(resets == sent + queued && resets <= 10,
            "power commands are coalesced: the VM got as many RESETs as `ok sent` + `ok queued` (" +
                std::to_string(sent + queued) + "), at most 10: " + std::to_string(resets),
            counts);
    c.check(lat.max() < 1000.0, "power commands are coalesced: VM p's Get Device ID answered within 1 s throughout: " +
                                    lat.describe());

    auto ask_op = [&](const std::string& line) -> std::string {
      op.out += line + "\n";
      const deadline w{millis(3000)};
      for (int i = 0; i < 100000 && !w.expired() && !op.eof; ++i) {
        if (auto got = take_line(op)) return *got;
        pump(vms, ops, 20);
      }
      return op.eof ? "(EOF)" : "(no answer within 3 s)";
    };
    const std::string off1 = ask_op("power off p");
    c.check(off1 == "ok sent" || off1 == "ok queued", "power commands are idempotent: `power off p` → `ok sent` (or `ok queued`)",
            "got " + printable(off1));
    const std::string off2 = ask_op("power off p");
    c.check(off2 == "ok already off", "power commands are idempotent: `power off p` again → `ok already off`",
            "got " + printable(off2));
    pump_until(vms, ops, 2000, [&] { return p.power_offs > 0; }, 20);
    const auto settle = steady::now() + millis(300);  // a second POWEROFF would follow within the command gap
    for (int i = 0; i < 100000 && steady::now() < settle; ++i) pump(vms, ops, ms_until(settle, 20));
    c.check(p.power_offs == 1, "power commands are idempotent: the VM received exactly one POWEROFF: " + std::to_string(p.power_offs));
  });
}

// =============================================================================================
// control_idle — "idle control clients are closed, so an operator can always get in".
//
// control_idle_timeout = 1: 16 clients that send nothing; a 17th is refused; each of the 16 is
// told `error idle…` and closed within 2.5 s; then a new client is served.
// Old code: no control_idle_timeout key (exit 2: unknown key); the section then runs without it
// to show that idle clients were never closed and the 16 slots stayed taken.
void test_control_idle(checker& c, const std::string& dir, const options& o) {
  const std::string sock = dir + "/ctl.sock";
  const std::string vms = vm_section("a", "unix:" + dir + "/a.sock");
  auto s = start_server(dir, o, bmc_section(sock, "control_idle_timeout = 1\n") + vms);
  if (!c.check_ok(s, "ipmikit-bmc accepts control_idle_timeout = 1 and starts")) {
    if (s.error().find("control_idle_timeout") == std::string::npos) return;
    say("  (the binary does not know the key: running without it, to show what it does with idle clients)");
    s = start_server(dir, o, bmc_section(sock) + vms);
    if (!c.check_ok(s, "ipmikit-bmc started without control_idle_timeout")) return;
  }
  body_then_finish(c, *s, [&](server&) {
    std::vector<ctl> idle(16);
    const auto ptrs = ctl_connect_all(c, idle, sock, "an idle control client connects");
    if (!ptrs) return;
    say("  16 control clients connected, sending nothing");
    // The backlog is served in order: the 17th is accepted after the 16, which are all open.
    if (auto extra = connect_unix(sock, 2000); c.check_ok(extra, "a 17th control client connects")) {
      std::string partial;
      const auto got = read_until_eof(extra->get(), 2000, &partial);
      c.check(got && *got == "error too many control connections\n",
              "a 17th client gets `error too many control connections` and EOF",
              "got " + printable(got.value_or(partial)) + (got ? " then EOF" : " and no EOF within 2 s"));
    }
    pump_until({}, *ptrs, 3500, [&] { return std::all_of(idle.begin(), idle.end(), [](const ctl& x) { return x.eof; }); });
    std::string bad;
    std::size_t bad_n = 0;
    double latest = 0;
    for (std::size_t k = 0; k < idle.size(); ++k) {
      const ctl& x = idle[k];
      const double t = x.eof_at ? ms_of(*x.eof_at - x.opened_at) : std::numeric_limits<double>::infinity();
      latest = std::max(latest, t);
      if (!(x.in.starts_with("error idle") && t <= 2500.0) && ++bad_n <= 4)
        bad += "\n         client " + std::to_string(k + 1) + ": " + printable(x.in) +
               (x.eof_at ? ", EOF after " + fmt(t, 0) + " ms" : ", no EOF within 3.5 s");
    }
    c.check(bad_n == 0,
            "idle control clients are closed, so an operator can always get in: each of the 16 got `error idle…` and EOF "
            "within 2.5 s (last after " + (std::isinf(latest) ? std::string("never") : fmt(latest, 0) + " ms") + ")",
            std::to_string(bad_n) + " not:" + bad);
    std::string last;
    const bool served = control_served(sock, 1000, &last);
    c.check(served, "  then a new client gets `help` answered (ending ok)", "got " + printable(last));
  });
}

// =============================================================================================
// response_to_bmc — "a response sent to the BMC is not answered".
//
// VM r sends a well-formed response frame (msg id 30h, netfn 07h: `1C 01 00 20`), then Get Device
// ID (msg id 31h).
// Old code: the frame was taken for a request and answered `30 1C 01 C1 …` (invalid command),
// counted in `requests`.
void test_response_to_bmc(checker& c, const std::string& dir, const options& o) {
  const std::string sock = dir + "/ctl.sock", pr = dir + "/r.sock";
  with_server(c, o, dir, bmc_section(sock) + vm_section("r", "unix:" + pr), "ipmikit-bmc started", [&](server&) {
    auto fd = connect_unix(pr, 3000);
    if (!c.check_ok(fd, "VM r connected")) return;
    auto conn = connect_vm(std::move(*fd));
    if (!c.check_ok(conn, "VM r greeted")) return;
    const std::uint8_t response[] = {0x1C, 0x01, 0x00, 0x20};  // netfn 07h (App response), cmd 01h, cc 00, data 20h
    std::vector<std::uint8_t> frame;
    if (!c.check_ok(conn->send_message(0x30, response, &frame), "sent a response frame")) return;
    say("  sent " + hex(frame));
    auto e = conn->poll_event(300);
    c.check(e.ok() && !e->has_value(), "a response sent to the BMC is not answered: nothing arrives within 300 ms",
            !e.ok() ? e.error() : e->has_value() ? "got " + (*e)->describe() : std::string());
    const std::uint8_t req[] = {0x18, 0x01};
    if (!c.check_ok(conn->send_message(0x31, req), "sent Get Device ID (msg id 31h)")) return;
    std::optional<vm_event> answer;
    std::string seen;
    for (int i = 0; i < 16 && !answer; ++i) {
      auto ev = conn->next_event(2000);
      if (!ev) {
        seen += ev.error();
        break;
      }
      if (ev->is_message() && ev->msg_id == 0x31) answer = std::move(*ev);
      else seen += ev->describe() + "; ";
    }
    c.check(answer && answer->completion_code() == 0x00, "a response sent to the BMC is not answered: Get Device ID (31h) then answered 00",
            answer ? answer->describe() : "no answer; " + seen);
    auto st = control(sock, "status r");
    if (c.check_ok(st, "control: status r")) {
      auto value = [&](const std::string& key) {
        const auto at = st->find("\n" + key + "=");
        return at == std::string::npos ? std::string("(missing)")
                                       : st->substr(at + key.size() + 2, st->find('\n', at + 1) - at - key.size() - 2);
      };
      c.check(value("protocol_problems") == "1" && value("requests") == "1",
              "a response sent to the BMC is not answered: status shows protocol_problems=1 requests=1",
              "protocol_problems=" + value("protocol_problems") + " requests=" + value("requests"));
    }
  });
}

// =============================================================================================
// tcp_close_backpressured — "a backpressured TCP VM's close is noticed".
//
// A TCP VM with a 4 KiB receive buffer writes Get Device ID requests without reading until its
// writes block for 200 ms, then ends its side of the connection with a FIN (shutdown SHUT_WR;
// the descriptor stays open and unread until the end of the section). Within 1 s a new
// connection must be greeted and served.
// Old code: a VM whose output was backed up was not polled for input, so the FIN went unseen
// and the slot stayed taken (new connections refused) until something else drew an RST (~5.6 s
// in the report). A plain close() with unread data sends an RST at once on Linux loopback,
// which the old server did notice (its next send failed): that is why this section half-closes.
void test_tcp_close_backpressured(checker& c, const std::string& dir, const options& o) {
  auto port = free_tcp_port();
  if (!c.check_ok(port, "a free TCP port")) return;
  with_server(c, o, dir, vm_section("t", "127.0.0.1:" + std::to_string(*port)),
              "ipmikit-bmc started on 127.0.0.1:" + std::to_string(*port), [&](server& s) {
    unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!c.check(fd.valid(), "socket")) return;
    const int rcvbuf = 4096;
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(*port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool connected = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    if (!c.check(connected, "VM t connected (SO_RCVBUF 4096)", connected ? "" : errno_text("connect", errno))) return;
    (void)set_nodelay(fd.get());
    {
      std::array<std::uint8_t, 3> hello{};
      std::size_t got = 0;
      const deadline d{millis(3000)};
      for (int i = 0; i < 100 && got < hello.size() && !d.expired(); ++i) {
        auto r = read_some(fd.get(), std::span<std::uint8_t>(hello).subspan(got), d.remaining_ms());
        if (!r || r->state != read_state::data) break;
        got += r->size;
      }
      if (!c.check(got == 3 && hello == std::array<std::uint8_t, 3>{0xFF, 0x01, 0xA1}, "greeted: FF 01 A1",
                   "got " + hex(std::span<const std::uint8_t>(hello.data(), got))))
        return;
    }
    const auto greeting = vm::make_emulator_greeting(vm::qemu_capabilities);
    if (!c.check_ok(write_all(fd.get(), greeting.view()), "sent VERSION 1, CAPABILITIES 0x3F")) return;
    bytes flood;
    for (int k = 0; k < 512; ++k) {
      std::array<std::uint8_t, vm::max_message_frame_size(2)> f{};
      const std::uint8_t req[] = {0x18, 0x01};
      const auto r = vm::encode_message(f, static_cast<std::uint8_t>(k), req);
      flood.insert(flood.end(), f.begin(), f.begin() + static_cast<std::ptrdiff_t>(r.size));
    }
    // Batches of 512 requests until the server stops reading this connection (its outbound is
    // backed up): then bytes stay in its receive queue (/proc/net/tcp rx_queue of the server's
    // end). Stopping there leaves room in its receive window, so the FIN below is delivered —
    // with a full window it would wait, and no server could see it.
    sockaddr_in mine{};
    socklen_t mine_len = sizeof mine;
    (void)::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&mine), &mine_len);
    const unsigned client_port = ntohs(mine.sin_port);
    auto server_rx_queue = [&]() -> long {  // bytes the server has not read, or -1
      auto table = read_file("/proc/net/tcp", 1u << 20);
      if (!table) return -1;
      char local[32], remote[32];
      std::snprintf(local, sizeof local, ":%04X ", static_cast<unsigned>(*port));
      std::snprintf(remote, sizeof remote, ":%04X ", client_port);
      std::size_t line_start = 0;
      for (int k = 0; k < 100000 && line_start < table->size(); ++k) {
        const std::size_t line_end = std::min(table->find('\n', line_start), table->size());
        const std::string line = table->substr(line_start, line_end - line_start);
        line_start = line_end + 1;
        // "sl local rem st tx_queue:rx_queue …": the server's end is local=port, rem=client.
        std::istringstream fields(line);
        std::string sl, loc, rem, st, queues;
        if (!(fields >> sl >> loc >> rem >> st >> queues)) continue;
        if ((loc + " ").find(local) == std::string::npos || (rem + " ").find(remote) == std::string::npos) continue;
        const auto colon = queues.find(':');
        if (colon == std::string::npos) return -1;
        return std::stol(queues.substr(colon + 1), nullptr, 16);
      }
      return -1;
    };
    std::size_t written = 0;
    bool backed_up = false;
    long queued = -1;
    const auto t0 = steady::now();
    const deadline limit{millis(5000)};
    for (int i = 0; i < 20000 && written < (4u << 20) && !limit.expired() && !backed_up; ++i) {
      const ssize_t n = ::send(fd.get(), flood.data(), flood.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
      if (i % 16 != 15) continue;
      sleep_ms(20);  // the server reads 512 bytes a turn: 20 ms is hundreds of turns
      queued = server_rx_queue();
      backed_up = queued > 0;
    }
    if (!c.check(backed_up, "precondition: the server stopped reading VM t (" + std::to_string(queued) +
                                " bytes unread on its end after " + std::to_string(written) + " written in " +
                                fmt(ms_of(steady::now() - t0), 0) + " ms)"))
      return;
    // A FIN, not an RST: the VM is gone for good, but its socket is not closed (unread data).
    if (!c.check(::shutdown(fd.get(), SHUT_WR) == 0, "VM t ended its side (shutdown SHUT_WR)")) return;
    const auto closed = steady::now();
    const std::size_t refused_before = count_log_lines(s.log, {"event=refused"});
    std::optional<vm_connection> conn;
    std::string how = "no attempt";
    int attempts = 0, refused = 0;
    for (int attempt = 1; attempt <= 20 && !conn; ++attempt) {
      const auto now = steady::now();
      if (now > closed + millis(1000)) break;
      const auto next = now + millis(100);
      ++attempts;
      auto f = connect_tcp(*port, 500);
      if (f) {
        vm_connection v(std::move(*f), vm::min_response_frame);
        auto e = v.poll_event(std::max(1, ms_until(closed + millis(1000), 1000)));
        if (e && e->has_value() && (*e)->is_command(vm::command::version) && (*e)->argument == 1) {
          conn.emplace(std::move(v));
          break;
        }
        if (!e) ++refused;
        how = !e ? "closed at once (refused)" : e->has_value() ? "got " + (*e)->describe() : "no VERSION in time";
      } else {
        how = f.error();
      }
      const auto wait = ms_until(next, 100);
      if (wait > 0) sleep_ms(wait);
    }
    const double greeted_after = ms_of(steady::now() - closed);
    c.check(conn.has_value() && greeted_after <= 1000.0,
            "a backpressured TCP VM's close is noticed: a new connection is greeted (FF 01 A1) within 1 s (" +
                fmt(greeted_after, 0) + " ms)",
            std::to_string(attempts) + " attempts, " + std::to_string(refused) + " refused; last: " + how + "; " +
                std::to_string(count_log_lines(s.log, {"event=refused"}) - refused_before) + " event=refused lines");
    if (!conn) return;
    (void)conn->send(greeting.view());
    const std::uint8_t req[] = {0x18, 0x01};
    bool answered = false;
    std::string seen;
    if (conn->send_message(0x77, req)) {
      for (int i = 0; i < 16 && !answered; ++i) {
        auto e = conn->next_event(1000);
        if (!e) {
          seen += e.error();
          break;
        }
        answered = e->is_message() && e->msg_id == 0x77 && e->completion_code() == 0x00;
        if (!answered) seen += e->describe() + "; ";
      }
    }
    c.check(answered, "  and its Get Device ID is answered", seen);
  });
}

// ---------------------------------------------------------------------------------------------

/// A section runs in its own directory with its own checker; main() prints "== NAME: HEADLINE"
/// first and the verdict after.
struct section {
  const char* name;
  const char* headline;
  void (*run)(checker&, const std::string& dir, const options&);
};

constexpr section sections[] = {
    {"stall", "310 VMs, 2 s watchdogs, the server stopped for 5 s while the healthy VMs keep petting", test_stall},
    {"timer_memory", "a VM petting its watchdog in a tight loop", test_timer_memory},
    {"log_flood", "one VM floods VM commands that are each worth a log line", test_log_flood},
    {"blocked_log", "the log goes to a full pipe nobody reads", test_blocked_log},
    {"control_line", "long control lines, split across writes", test_control_line},
    {"fd_exhaustion", "the server runs out of file descriptors", test_fd_exhaustion},
    {"inherited_fds", "64 inherited descriptors and an open-file limit of 36", test_inherited_fds},
    {"control_flood", "16 clients × 102 `list` of 2000 VMs, not read", test_control_flood},
    {"power_coalesced", "1000 `power reset` in a burst, `power off` twice", test_power_coalesced},
    {"control_idle", "16 idle control clients, control_idle_timeout = 1", test_control_idle},
    {"response_to_bmc", "a VM sends a response frame to the BMC", test_response_to_bmc},
    {"tcp_close_backpressured", "a TCP VM that stopped reading closes", test_tcp_close_backpressured},
};

int usage(const char* argv0) {
  std::string names;
  for (const section& s : sections) names += std::string(" [") + s.name + "]";
  std::fprintf(stderr, "usage: %s PATH/TO/ipmikit-bmc [--no-rss-limits]%s\n", argv0, names.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(argv[0]);
  options o;
  o.binary = argv[1];
  std::vector<const section*> chosen;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--no-rss-limits") {
      o.rss_limits = false;
      continue;
    }
    const auto it = std::find_if(std::begin(sections), std::end(sections), [&](const section& s) { return a == s.name; });
    if (it == std::end(sections)) return usage(argv[0]);
    chosen.push_back(&*it);
  }
  if (chosen.empty())
    for (const section& s : sections) chosen.push_back(&s);
  if (!find_program(o.binary)) {
    say("FAIL no executable ipmikit-bmc at " + o.binary);
    return 1;
  }
  ::signal(SIGPIPE, SIG_IGN);  // sends use MSG_NOSIGNAL; this is a second line of defence
  // 310 sockets at once in `stall`: make sure the soft limit allows them.
  if (rlimit lim{}; ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < 4096 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = std::min<rlim_t>(4096, lim.rlim_max);
    (void)::setrlimit(RLIMIT_NOFILE, &lim);
  }
  auto dir = temp_dir::create("ipmikit-bmc-stress");
  if (!dir) {
    say("FAIL temporary directory: " + dir.error());
    return 1;
  }
  if (keep_requested()) dir->keep();
  say("temporary directory " + dir->path());

  int failures = 0;
  std::string failed;
  for (const section* s : chosen) {
    const auto t = steady::now();
    say("== " + std::string(s->name) + ": " + s->headline);
    checker c;
    if (auto d = section_dir(*dir, s->name); c.check_ok(d, "section directory")) s->run(c, *d, o);
    const int f = c.failures();
    say("-- " + std::string(s->name) + ": " + (f == 0 ? "pass" : std::to_string(f) + " check(s) failed") + " (" +
        std::to_string(elapsed_ms(t)) + " ms)");
    failures += f;
    if (f != 0) failed += std::string(" ") + s->name;
  }
  if (failures != 0) dir->keep();
  if (dir->kept()) say("kept " + dir->path());
  say(failures == 0 ? "PASS (" + std::to_string(elapsed_ms(g_test_start)) + " ms)"
                    : "FAIL: " + std::to_string(failures) + " check(s) failed in" + failed + " (" +
                          std::to_string(elapsed_ms(g_test_start)) + " ms)");
  return failures == 0 ? 0 : 1;
}
