// tests/interop/kcs_bus.hpp — a kcs::register_bus over QEMU's qtest port I/O, so that
// ipmikit's KCS host machine (include/ipmikit/kcs/host.hpp) drives QEMU's real isa-ipmi-kcs:
//
//   read_status   → inb  0xCA3        write_command → outb 0xCA3
//   read_data     → inb  0xCA2        write_data    → outb 0xCA2
//
// * idle() (kcs::drive calls it before every repeated status poll): the first `spin_polls`
//   polls of a wait go out back to back (one qtest round trip each, tens of µs), after that
//   each one sleeps `poll_sleep`. Every sleep is bounded; the host's own timeouts bound the wait.
// * I/O errors: the host machine cannot see them (it only gets a byte), so the bus remembers
//   the first one (failed(), error()) and from then on answers every read with 0xFF and drops
//   every write without touching the socket — a dead qtest connection would otherwise cost
//   the qtest client's 5 s timeout per access. A caller must check failed() after driving.
//   `drive_host()` below stops as soon as the bus has failed. (Plain kcs::drive() does not: a
//   host whose first status read fails sees 0xFF and ends failed with problem::no_device; in
//   the middle of a transaction 0xFF reads as IBF set, and it polls until its own timeout.)
// * An optional trace of every access with its time; runs of equal status reads are folded
//   into one entry with a count. Bounded (`max_trace` entries, then only counted).
//
// The bus also offers raw access (the same four operations) for a test that puts the interface
// in a state by hand; those accesses are traced as well.
//
// The library's namespace is always spelled ::ipmikit::kcs here: kcs_qtest.hpp declares an
// ipmikit::interop::kcs namespace (its own constants) that would otherwise be found first.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <ipmikit/kcs/host.hpp>

#include "common.hpp"
#include "qemu.hpp"

namespace ipmikit::interop {

/// One traced register access.
struct kcs_bus_access {
  enum class op : std::uint8_t { read_status, read_data, write_command, write_data };

  op what = op::read_status;
  std::uint8_t value = 0;      // the byte read or written (0xFF for a failed read)
  std::uint32_t count = 1;     // read_status only: equal consecutive reads folded into this one
  bool ok = true;              // false: the qtest command failed (or the bus had failed before)
  steady::time_point at{};     // when the (first) access was made

  /// "S=82" (status read), "D=1C" (data read), "C<-61" (command write), "W<-68" (data write).
  [[nodiscard]] std::string token() const {
    switch (what) {
      case op::read_status: return "S=" + hex(value);
      case op::read_data: return "D=" + hex(value);
      case op::write_command: return "C<-" + hex(value);
      case op::write_data: return "W<-" + hex(value);
    }
    return "?";
  }
  /// token() with the fold count ("S=82x1234") and "(!)" for a failed access.
  [[nodiscard]] std::string describe() const {
    std::string s = token();
    if (count > 1) s += "x" + std::to_string(count);
    if (!ok) s += "(!)";
    return s;
  }
};

class qtest_kcs_bus {
 public:
  struct options {
    std::uint16_t data_port = 0xCA2;    // isa-ipmi-kcs `ioport` default
    std::uint16_t status_port = 0xCA3;  // data port + 1
    /// Polls of one wait made back to back before idle() starts to sleep.
    std::uint32_t spin_polls = 32;
    /// The sleep of idle() after that (each one; bounded to 50 ms whatever is asked).
    std::chrono::microseconds poll_sleep{500};
    /// Record accesses (trace()).
    bool trace = true;
    /// Trace entries kept; later accesses are only counted (trace_dropped()).
    std::size_t max_trace = 20000;
  };

  explicit qtest_kcs_bus(qtest& qt) : qtest_kcs_bus(qt, options{}) {}
  qtest_kcs_bus(qtest& qt, const options& opt) : qt_(&qt), opt_(opt) {}

  // --- kcs::register_bus -------------------------------------------------------------------

  [[nodiscard]] std::uint8_t read_status() { return in(opt_.status_port, kcs_bus_access::op::read_status); }
  [[nodiscard]] std::uint8_t read_data() {
    streak_ = 0;
    return in(opt_.data_port, kcs_bus_access::op::read_data);
  }
  void write_command(std::uint8_t v) {
    streak_ = 0;
    out(opt_.status_port, v, kcs_bus_access::op::write_command);
  }
  void write_data(std::uint8_t v) {
    streak_ = 0;
    out(opt_.data_port, v, kcs_bus_access::op::write_data);
  }

  /// Before a repeated status poll: nothing for the first spin_polls polls of a wait, then a
  /// sleep of poll_sleep (at most 50 ms). A wait ends with the next data access or write.
  void idle() {
    ++idles_;
    if (++streak_ <= opt_.spin_polls) return;
    const auto cap = std::chrono::microseconds(50000);
    const auto d = opt_.poll_sleep > cap ? cap : opt_.poll_sleep;
    if (d.count() > 0) {
      ++sleeps_;
      std::this_thread::sleep_for(d);
    }
  }

  // --- state ---------------------------------------------------------------------------------

  /// True once a qtest command failed; every later access is skipped.
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// The first qtest error ("" when none).
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

  [[nodiscard]] const std::vector<kcs_bus_access>& trace() const noexcept { return trace_; }
  [[nodiscard]] std::size_t trace_dropped() const noexcept { return dropped_; }
  /// Index into trace() where the next access will go, for describe(from) / saw(…, from). The
  /// next status read starts an entry of its own (it is not folded into an earlier one).
  [[nodiscard]] std::size_t mark() noexcept {
    no_fold_ = true;
    return trace_.size();
  }
  void clear_trace() {
    trace_.clear();
    dropped_ = 0;
  }
  /// "S=00 C<-61 S=81 D=00 …" from trace index `from` on (at most `max_entries`).
  [[nodiscard]] std::string describe(std::size_t from = 0, std::size_t max_entries = 400) const {
    std::string s;
    std::size_t n = 0;
    for (std::size_t i = from; i < trace_.size(); ++i) {
      if (n++ == max_entries) {
        s += " …(" + std::to_string(trace_.size() - i) + " more)";
        break;
      }
      if (!s.empty()) s += ' ';
      s += trace_[i].describe();
    }
    if (dropped_ != 0) s += " …(" + std::to_string(dropped_) + " not recorded)";
    return s.empty() ? "(no access)" : s;
  }
  /// True when an access of kind `what` with `value` is in the trace from index `from` on.
  [[nodiscard]] bool saw(kcs_bus_access::op what, std::uint8_t value, std::size_t from = 0) const {
    for (std::size_t i = from; i < trace_.size(); ++i)
      if (trace_[i].what == what && trace_[i].value == value) return true;
    return false;
  }
  /// Accesses made (each folded status read counts).
  [[nodiscard]] std::uint64_t accesses() const noexcept { return accesses_; }
  [[nodiscard]] std::uint64_t idles() const noexcept { return idles_; }
  [[nodiscard]] std::uint64_t sleeps() const noexcept { return sleeps_; }
  [[nodiscard]] const options& settings() const noexcept { return opt_; }

 private:
  std::uint8_t in(std::uint16_t port, kcs_bus_access::op what) {
    ++accesses_;
    std::uint8_t v = 0xFF;  // what a read of an undecoded ISA port gives
    bool ok = false;
    if (!failed_) {
      if (const auto r = qt_->inb(port)) {
        v = *r;
        ok = true;
      } else {
        note_failure("inb " + hex_port(port) + ": " + qt_->last_error());
      }
    }
    record(what, v, ok);
    return v;
  }

  void out(std::uint16_t port, std::uint8_t v, kcs_bus_access::op what) {
    ++accesses_;
    bool ok = false;
    if (!failed_) {
      ok = qt_->outb(port, v);
      if (!ok) note_failure("outb " + hex_port(port) + " " + hex(v) + ": " + qt_->last_error());
    }
    record(what, v, ok);
  }

  void note_failure(std::string message) {
    failed_ = true;
    error_ = std::move(message);
  }

  void record(kcs_bus_access::op what, std::uint8_t v, bool ok) {
    if (!opt_.trace) return;
    const bool may_fold = !no_fold_;
    no_fold_ = false;
    if (may_fold && what == kcs_bus_access::op::read_status && !trace_.empty()) {
      kcs_bus_access& last = trace_.back();
      if (last.what == what && last.value == v && last.ok == ok && last.count < UINT32_MAX) {
        ++last.count;
        return;
      }
    }
    if (trace_.size() >= opt_.max_trace) {
      ++dropped_;
      return;
    }
    trace_.push_back(kcs_bus_access{what, v, 1, ok, steady::now()});
  }

  qtest* qt_;
  options opt_;
  bool failed_ = false;
  std::string error_;
  std::vector<kcs_bus_access> trace_;
  std::size_t dropped_ = 0;
  bool no_fold_ = false;
  std::uint32_t streak_ = 0;
  std::uint64_t accesses_ = 0;
  std::uint64_t idles_ = 0;
  std::uint64_t sleeps_ = 0;
};

static_assert(::ipmikit::kcs::register_bus<qtest_kcs_bus>);

/// Runs `host` over `bus` with kcs::drive() in slices until it is no longer busy, the bus has
/// failed (a qtest error), `max_accesses` accesses were made or `budget` (wall clock) ran out.
/// Returns the host's outcome (busy when the budget or the bus ended the run: check
/// bus.failed()).
template <class Host>
::ipmikit::kcs::outcome drive_host(Host& host, qtest_kcs_bus& bus, millis budget,
                                   std::size_t max_accesses = 2000000) {
  const deadline d(budget);
  auto now = [] { return steady::now(); };
  std::size_t made = 0;
  while (host.outcome() == ::ipmikit::kcs::outcome::busy && !bus.failed() && !d.expired() &&
         made < max_accesses) {
    const std::size_t slice = std::min<std::size_t>(16, max_accesses - made);
    (void)::ipmikit::kcs::drive(host, bus, now, slice);
    made += slice;
  }
  return host.outcome();
}

}  // namespace ipmikit::interop
