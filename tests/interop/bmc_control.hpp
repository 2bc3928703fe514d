// tests/interop/bmc_control.hpp — talking to the program ipmikit-bmc (apps/ipmikit-bmc) the way
// its operator and its emulators do, for the tests that run the real binary
// (bmc_example_test.cpp, bmc_stress_test.cpp, ssif_host_qemu_test.cpp):
//
// * `connect_unix(path, timeout_ms)`: a UNIX stream connection (a VM's socket or the control
//   socket), retried while the socket does not exist yet, refuses or has a full backlog.
// * The control socket (apps/ipmikit-bmc/control.hpp): one command per line; the answer is
//   zero or more lines, then `ok`, `ok WHAT` (power commands: `ok sent`, `ok queued`,
//   `ok already queued`, `ok already off`) or `error TEXT`. `ask` sends one command on an open
//   connection and reads its answer, `control` does so on a new connection, `control_served`
//   waits until a new connection gets `help` answered, `read_until_eof` reads what the server
//   sends until it closes (a refusal).
// * `connect_vm(fd)`: the emulator's greeting as QEMU 7.2 sends it, after ipmikit-bmc's VERSION.
// * `start_bmc(dir, binary, tag)`: the binary in its single-VM mode on a free TCP port, as QEMU's
//   ipmi-bmc-extern peer; `count_in_log` / `wait_for_log` read its log.
//
// Every wait is bounded by a deadline and a count.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ipmikit/vm/protocol.hpp>

#include "common.hpp"
#include "ipmi_sim.hpp"  // proc_net_has_socket
#include "net.hpp"
#include "process.hpp"
#include "vm_wire.hpp"

namespace ipmikit::interop {

/// A UNIX stream connection to `path`, retried every 20 ms while it does not exist yet, is
/// refused or its backlog is full (a non-blocking connect: a full backlog does not block).
/// Blocking afterwards (the helpers poll and use MSG_DONTWAIT).
[[nodiscard]] inline result<unique_fd> connect_unix(const std::string& path, int timeout_ms) {
  const deadline d{millis(timeout_ms)};
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return fail("socket path too long: " + path);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  for (int i = 0; i < 10000; ++i) {
    unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return fail_errno("socket");
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
      const int flags = ::fcntl(fd.get(), F_GETFL);
      if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) return fail_errno("fcntl");
      return fd;
    }
    if (d.expired()) return fail_errno("connect " + path);
    sleep_ms(20);
  }
  return fail("connect " + path + ": gave up");
}

/// True when `answer` ends with a complete last line `ok`, `ok WHAT` or `error TEXT`.
[[nodiscard]] inline bool control_answer_complete(std::string_view answer) {
  if (!answer.ends_with('\n')) return false;
  answer.remove_suffix(1);
  const auto nl = answer.rfind('\n');
  const std::string_view last = nl == std::string_view::npos ? answer : answer.substr(nl + 1);
  return last == "ok" || last.starts_with("ok ") || last.starts_with("error ");
}

/// One control command on an open connection: the answer up to its last line (`ok`, `ok WHAT`
/// or `error TEXT`), or what came before the server closed or `timeout_ms` ran out. A failed
/// write still reads: a refusal arrives before the close.
[[nodiscard]] inline result<std::string> ask(int fd, const std::string& line, int timeout_ms = 3000) {
  const std::string out = line + "\n";
  auto w = write_all(fd, as_bytes(out), 2000);
  std::string answer;
  std::array<std::uint8_t, 4096> buf{};
  const deadline d{millis(timeout_ms)};
  for (int i = 0; i < 100000 && !d.expired(); ++i) {
    auto r = read_some(fd, buf, std::min(500, std::max(1, d.remaining_ms())));
    if (!r) return fail(r.error());
    answer.append(reinterpret_cast<const char*>(buf.data()), r->size);
    if (control_answer_complete(answer) || r->state == read_state::eof) break;
  }
  if (!w && answer.empty()) return fail(w.error());
  return answer;
}

/// One control command over a new connection.
[[nodiscard]] inline result<std::string> control(const std::string& path, const std::string& line) {
  auto fd = connect_unix(path, 2000);
  if (!fd) return fail(fd.error());
  return ask(fd->get(), line);
}

/// True when a new control connection gets `help` answered (ending `ok`) within about
/// `timeout_ms`, retried every 50 ms: the server has seen earlier connections close, or serves
/// again. `last`, when given, receives the last answer (or error).
[[nodiscard]] inline bool control_served(const std::string& path, int timeout_ms, std::string* last = nullptr) {
  const deadline d{millis(timeout_ms)};
  for (int k = 0; k < 1000; ++k) {
    auto answer = control(path, "help");
    if (last != nullptr) *last = answer ? *answer : answer.error();
    if (answer && answer->ends_with("ok\n")) return true;
    if (d.expired()) return false;
    sleep_ms(50);
  }
  return false;
}

/// Everything the server sends on `fd` until it closes it; nullopt if it is still open after
/// `timeout_ms` (then `partial`, when given, receives what came).
[[nodiscard]] inline std::optional<std::string> read_until_eof(int fd, int timeout_ms,
                                                              std::string* partial = nullptr) {
  std::string got;
  std::array<std::uint8_t, 4096> buf{};
  const deadline d{millis(timeout_ms)};
  for (int i = 0; i < 100000; ++i) {
    auto r = read_some(fd, buf, std::max(1, d.remaining_ms()));
    if (!r) break;
    got.append(reinterpret_cast<const char*>(buf.data()), r->size);
    if (r->state == read_state::eof) return got;
    if (d.expired()) break;
  }
  if (partial != nullptr) *partial = got;
  return std::nullopt;
}

/// Connects as QEMU would: waits for ipmikit-bmc's VERSION, sends VERSION 1 and CAPABILITIES 0x3F.
[[nodiscard]] inline result<vm_connection> connect_vm(unique_fd fd) {
  vm_connection conn(std::move(fd), vm::min_response_frame);
  auto hello = conn.next_event(3000);
  if (!hello) return fail(hello.error());
  if (!hello->is_command(vm::command::version)) return fail("expected VERSION, got " + hello->describe());
  if (auto s = conn.send_command(vm::command::version, 1); !s) return fail(s.error());
  if (auto s = conn.send_command(vm::command::capabilities, 0x3F); !s) return fail(s.error());
  return conn;
}

// ---------------------------------------------------------------------------------------------
// ipmikit-bmc as a child process

struct bmc_process {
  process proc;
  std::uint16_t port = 0;
  std::string log_path;
};

/// Starts `binary --listen 127.0.0.1:PORT --verbose` on a free port (log: `ipmikit-bmc-TAG.log`
/// in `dir`) and waits until it listens (read from /proc/net/tcp: a probe connection would take
/// the one VM slot).
inline result<bmc_process> start_bmc(const temp_dir& dir, const std::string& binary, const std::string& tag) {
  auto port = free_tcp_port();
  if (!port) return fail(port.error());
  bmc_process b;
  b.port = *port;
  b.log_path = dir.file("ipmikit-bmc-" + tag + ".log");
  auto p = process::spawn({binary, "--listen", "127.0.0.1:" + std::to_string(b.port), "--verbose"},
                          {b.log_path, true});
  if (!p) return fail(p.error());
  b.proc = std::move(*p);
  const deadline d(millis(10000));
  for (int i = 0;; ++i) {
    if (!b.proc.alive()) {
      const auto& how = b.proc.ended();
      return fail("ipmikit-bmc " + (how ? how->describe() : std::string("ended")) +
                  " during startup; log: " + file_tail(b.log_path, 2048));
    }
    auto listening = proc_net_has_socket("/proc/net/tcp", b.port, proc_net_tcp_listen);
    if (!listening) return fail(listening.error());
    if (*listening) return b;
    if (d.expired())
      return fail("ipmikit-bmc did not listen on 127.0.0.1:" + std::to_string(b.port) +
                  " within 10 s; log: " + file_tail(b.log_path, 2048));
    sleep_ms(i < 50 ? 10 : 50);
  }
}

inline std::size_t count_in_log(const std::string& path, std::string_view needle) {
  auto text = read_file(path, 16u << 20);
  if (!text) return 0;
  std::size_t n = 0;
  for (std::size_t at = text->find(needle); at != std::string::npos; at = text->find(needle, at + 1)) ++n;
  return n;
}

/// Waits until `needle` occurs at least `count` times in the log.
inline bool wait_for_log(const std::string& path, std::string_view needle, std::size_t count, int timeout_ms) {
  const deadline d{millis(timeout_ms)};
  for (int i = 0; i < 100000; ++i) {
    if (count_in_log(path, needle) >= count) return true;
    if (d.expired()) return false;
    sleep_ms(10);
  }
  return false;
}


}  // namespace ipmikit::interop
