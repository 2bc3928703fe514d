// tests/interop/qemu.hpp — QEMU's real IPMI device models (ipmi-bmc-extern + isa-ipmi-kcs or
// isa-ipmi-bt) with no guest, driven over the qtest protocol (reference/qemu-live.md).
//
// Debian's QEMU has no qtest accelerator, so the machine runs TCG on a 64 KiB BIOS that halts
// at the reset vector; the test plays the guest by sending `inb`/`outb` over the qtest socket.
// QEMU's virtual clock then runs at wall-clock speed (its 4 s IPMI timeout takes 4 s).
//
// `start_qemu(dir, bmc_port, interface)`: writes HLT.BIN, listens on a UNIX socket for the
// qtest channel (QEMU connects to it), starts QEMU, and accepts the qtest connection. QEMU is
// the TCP *client* of the BMC link: the test must already listen on 127.0.0.1:bmc_port (QEMU
// also retries every second, `reconnect=1`).
#pragma once

#include <array>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "common.hpp"
#include "net.hpp"
#include "process.hpp"

namespace ipmikit::interop {

enum class ipmi_interface : std::uint8_t { kcs, bt, ssif };

[[nodiscard]] inline std::string_view name(ipmi_interface i) noexcept {
  return i == ipmi_interface::kcs ? "KCS" : i == ipmi_interface::bt ? "BT" : "SSIF";
}

/// The interface's tag in file names ("kcs", "bt", "ssif").
[[nodiscard]] inline std::string_view tag(ipmi_interface i) noexcept {
  return i == ipmi_interface::kcs ? "kcs" : i == ipmi_interface::bt ? "bt" : "ssif";
}

/// The SMBus address QEMU's smbus-ipmi is given: its default 0 means "no interface" to Linux's
/// SMBIOS decoding, so every test sets it (ssif.md §6).
inline constexpr std::uint8_t ssif_address = 0x10;

/// QEMU's device model of the interface, as -device names it.
[[nodiscard]] inline std::string_view device_model(ipmi_interface i) noexcept {
  return i == ipmi_interface::kcs ? "isa-ipmi-kcs" : i == ipmi_interface::bt ? "isa-ipmi-bt" : "smbus-ipmi";
}

/// What the IRQ lines reported for one interrupt line.
struct irq_line {
  bool level = false;      // raised and not lowered since
  std::size_t raises = 0;
  std::size_t lowers = 0;
};

/// A qtest client: one text command per line, answered by a line starting "OK" (or "FAIL" /
/// "ERR"). After `irq_intercept_in`, QEMU also sends "IRQ raise N" / "IRQ lower N" lines at
/// any time (with the halted BIOS the PIT alone toggles line 0 every ~27.5 ms); they are
/// tracked per line (irq()) and the most recent ones kept (recent_irq_events()).
///
/// Only well-formed commands may be sent: QEMU 7.2 aborts (assertion in
/// qtest_process_command) on e.g. `outb` without a value. Unknown commands get "FAIL ...".
class qtest {
 public:
  qtest() = default;
  explicit qtest(unique_fd fd, int timeout_ms = 5000) : fd_(std::move(fd)), timeout_ms_(timeout_ms) {}

  [[nodiscard]] bool connected() const noexcept { return fd_.valid(); }
  void close() noexcept { fd_.reset(); }

  /// Sends one command line and returns the rest of its "OK" line ("" or e.g. "0x0041").
  [[nodiscard]] result<std::string> command(std::string_view line) {
    if (!fd_) return fail("qtest: not connected");
    ++commands_;
    std::string out(line);
    out += '\n';
    if (auto w = write_all(fd_.get(), as_bytes(out), timeout_ms_); !w)
      return fail("qtest '" + std::string(line) + "': " + w.error());
    const deadline d{millis(timeout_ms_)};
    for (int lines = 0; lines < 10000; ++lines) {
      auto reply = read_line(d);
      if (!reply) return fail("qtest '" + std::string(line) + "': " + reply.error());
      const std::string& r = *reply;
      if (r.rfind("IRQ ", 0) == 0) {
        note_irq(r);
        continue;
      }
      if (r == "OK" || r.rfind("OK ", 0) == 0) return r.size() > 3 ? r.substr(3) : std::string();
      return fail("qtest '" + std::string(line) + "' answered '" + r + "'");
    }
    return fail("qtest '" + std::string(line) + "': too many asynchronous lines");
  }

  /// A byte from an I/O port; nullopt (see last_error()) on failure.
  [[nodiscard]] std::optional<std::uint8_t> inb(std::uint16_t port) {
    auto r = command("inb " + hex_port(port));
    if (!r) return set_error(r.error());
    char* end = nullptr;
    const unsigned long v = std::strtoul(r->c_str(), &end, 16);
    if (r->empty() || end == nullptr || *end != '\0' || v > 0xFF)
      return set_error("qtest inb " + hex_port(port) + ": unexpected reply 'OK " + *r + "'");
    return static_cast<std::uint8_t>(v);
  }

  /// Writes a byte to an I/O port; false (see last_error()) on failure.
  [[nodiscard]] bool outb(std::uint16_t port, std::uint8_t value) {
    auto r = command("outb " + hex_port(port) + " 0x" + hex(value));
    if (!r) {
      (void)set_error(r.error());
      return false;
    }
    return true;
  }

  /// Redirects the interrupt lines of the device at `qom_path` (e.g. "ioapic") to this client.
  [[nodiscard]] bool irq_intercept_in(std::string_view qom_path) {
    auto r = command("irq_intercept_in " + std::string(qom_path));
    if (!r) {
      (void)set_error(r.error());
      return false;
    }
    return true;
  }

  [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }
  /// IRQ line `n` (0..23, the IOAPIC's inputs) as reported so far.
  [[nodiscard]] irq_line irq(std::size_t n) const noexcept {
    return n < irq_lines_.size() ? irq_lines_[n] : irq_line{};
  }
  /// The last (at most 64) "IRQ ..." lines, oldest first.
  [[nodiscard]] const std::deque<std::string>& recent_irq_events() const noexcept {
    return recent_irqs_;
  }
  /// "IRQ 0: 12 raises, 12 lowers (low)", one entry per line that moved; "none".
  [[nodiscard]] std::string irq_summary() const {
    std::string s;
    for (std::size_t n = 0; n < irq_lines_.size(); ++n) {
      const irq_line& l = irq_lines_[n];
      if (l.raises == 0 && l.lowers == 0) continue;
      if (!s.empty()) s += "; ";
      s += "IRQ " + std::to_string(n) + ": " + std::to_string(l.raises) + " raises, " +
           std::to_string(l.lowers) + " lowers (" + (l.level ? "high" : "low") + ")";
    }
    if (other_irq_lines_ != 0) s += (s.empty() ? "" : "; ") + std::to_string(other_irq_lines_) + " other";
    return s.empty() ? "none" : s;
  }
  [[nodiscard]] std::size_t commands_sent() const noexcept { return commands_; }

 private:
  std::nullopt_t set_error(std::string message) {
    last_error_ = std::move(message);
    return std::nullopt;
  }

  void note_irq(const std::string& line) {
    recent_irqs_.push_back(line);
    if (recent_irqs_.size() > 64) recent_irqs_.pop_front();
    const bool raise = line.rfind("IRQ raise ", 0) == 0;
    const bool lower = line.rfind("IRQ lower ", 0) == 0;
    char* end = nullptr;
    const unsigned long n = (raise || lower) ? std::strtoul(line.c_str() + 10, &end, 10) : 0;
    if ((!raise && !lower) || end == nullptr || *end != '\0' || n >= irq_lines_.size()) {
      ++other_irq_lines_;
      return;
    }
    irq_line& l = irq_lines_[n];
    l.level = raise;
    ++(raise ? l.raises : l.lowers);
  }

  [[nodiscard]] result<std::string> read_line(const deadline& d) {
    for (int reads = 0; reads < 100000; ++reads) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (buffer_.size() > 65536) return fail("reply line longer than 64 KiB");
      std::array<std::uint8_t, 4096> buf{};
      auto r = read_some(fd_.get(), buf, d.remaining_ms());
      if (!r) return fail(r.error());
      if (r->state == read_state::eof) return fail("QEMU closed the qtest connection");
      if (r->state == read_state::timeout)
        return fail("no reply within " + std::to_string(timeout_ms_) + " ms");
      buffer_.append(reinterpret_cast<const char*>(buf.data()), r->size);
    }
    return fail("read_line: too many reads");
  }

  unique_fd fd_;
  int timeout_ms_ = 5000;
  std::string buffer_;
  std::string last_error_;
  std::array<irq_line, 24> irq_lines_{};
  std::deque<std::string> recent_irqs_;
  std::size_t other_irq_lines_ = 0;
  std::size_t commands_ = 0;
};

/// The 64 KiB BIOS image: zeros, with `cli; hlt; jmp $-3` (FA F4 EB FD) at the reset vector
/// (offset 0xFFF0): the CPU halts for good and never touches the devices.
[[nodiscard]] inline status write_hlt_bios(const std::string& path) {
  std::vector<std::uint8_t> image(0x10000, 0);
  image[0xFFF0] = 0xFA;
  image[0xFFF1] = 0xF4;
  image[0xFFF2] = 0xEB;
  image[0xFFF3] = 0xFD;
  return write_file(path, image);
}

struct qemu_instance {
  process proc;  // declared first: destroyed last, after the qtest socket is closed
  qtest qt;
  ipmi_interface interface = ipmi_interface::kcs;
  std::string bios_path;
  std::string qtest_socket;
  std::string log_path;        // QEMU's stdout and stderr
  std::string qtest_log_path;  // QEMU's log of the qtest protocol (-qtest-log)
};

/// The QEMU command line (reference/qemu-live.md).
/// Without -qtest-log QEMU logs every qtest command and reply to stderr.
[[nodiscard]] inline std::vector<std::string> qemu_command_line(const std::string& bios,
                                                                const std::string& qtest_socket,
                                                                const std::string& qtest_log,
                                                                std::uint16_t bmc_port,
                                                                ipmi_interface iface) {
  return {"qemu-system-x86_64",
          "-machine", "pc",
          "-accel", "tcg",
          "-bios", bios,
          "-qtest", "unix:" + qtest_socket,
          "-qtest-log", qtest_log,
          "-nographic", "-nodefaults", "-display", "none",
          "-chardev", "socket,id=ipmi0,host=127.0.0.1,port=" + std::to_string(bmc_port) + ",reconnect=1",
          "-device", "ipmi-bmc-extern,id=bmc0,chardev=ipmi0",
          "-device", std::string(device_model(iface)) + ",bmc=bmc0" +
                         (iface == ipmi_interface::ssif ? ",address=0x" + hex(ssif_address) : std::string())};
}

/// Starts QEMU and waits (at most `timeout`) for its qtest connection. Fails early, with its
/// log, if QEMU exits.
[[nodiscard]] inline result<qemu_instance> start_qemu(const temp_dir& dir, std::uint16_t bmc_port,
                                                      ipmi_interface iface,
                                                      millis timeout = millis(20000)) {
  qemu_instance q;
  q.interface = iface;
  const std::string tag(interop::tag(iface));
  q.bios_path = dir.file("HLT.BIN");
  q.qtest_socket = dir.file("qtest-" + tag + ".sock");
  q.log_path = dir.file("qemu-" + tag + ".log");
  q.qtest_log_path = dir.file("qemu-" + tag + ".qtest.log");
  if (auto w = write_hlt_bios(q.bios_path); !w) return fail(w.error());
  auto listener = listen_unix(q.qtest_socket);
  if (!listener) return fail(listener.error());

  auto p = process::spawn(qemu_command_line(q.bios_path, q.qtest_socket, q.qtest_log_path, bmc_port, iface),
                          {q.log_path, true});
  if (!p) return fail(p.error());
  q.proc = std::move(*p);

  // Accept in short slices so that a QEMU that dies at startup is reported at once.
  const deadline d(timeout);
  for (int i = 0;; ++i) {
    auto fd = accept_with_timeout(listener->get(), std::min(100, std::max(1, d.remaining_ms())));
    if (fd) {
      q.qt = qtest(std::move(*fd));
      ::unlink(q.qtest_socket.c_str());
      return q;
    }
    if (!q.proc.alive()) {
      const auto& how = q.proc.ended();
      return fail("QEMU " + (how ? how->describe() : std::string("ended")) +
                  " before connecting to qtest; log: " + file_tail(q.log_path, 2048));
    }
    if (d.expired() || i > 100000)
      return fail("QEMU did not connect to " + q.qtest_socket + " within " +
                  std::to_string(timeout.count()) + " ms; log: " + file_tail(q.log_path, 2048));
  }
}

}  // namespace ipmikit::interop
