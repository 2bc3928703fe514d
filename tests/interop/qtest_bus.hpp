// tests/interop/qtest_bus.hpp — what kcs_bus.hpp and bt_bus.hpp share: a register bus over
// QEMU's qtest port I/O for one of ipmikit's host state machines, with an access trace.
//
// `qtest_port_bus<Registers>` is the base; the interface's bus (qtest_kcs_bus, qtest_bt_bus)
// adds the register operations its host machine calls, each one a single in()/out() here.
// `Registers` names the interface's accesses:
//
//   enum class op { … };                           the kinds of access, numbered from 0
//   static constexpr op poll = op::…;              the status read a host repeats while waiting
//   static constexpr std::array<std::string_view, N> tokens;  per op, the trace token's
//                                                  prefix: "S=" → "S=82", "C<-" → "C<-61"
//   struct ports { … };                            the interface's port numbers (options)
//
// * idle() (kcs::drive / bt::drive call it before every repeated status poll): the first
//   `spin_polls` polls of a wait go out back to back (one qtest round trip each, tens of µs),
//   after that each one sleeps `poll_sleep`. A wait ends with any access other than the poll.
//   Every sleep is bounded; the host's own timeouts bound the wait.
// * I/O errors: a host machine cannot see them (it only gets a byte), so the bus remembers the
//   first one (failed(), error()) and from then on answers every read with 0xFF and drops every
//   write without touching the socket — a dead qtest connection would otherwise cost the qtest
//   client's 5 s timeout per access. A caller must check failed() after driving.
// * An optional trace of every access with its time; runs of equal poll reads are folded into
//   one entry with a count. Bounded (`max_trace` entries, then only counted).
#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common.hpp"
#include "qemu.hpp"

namespace ipmikit::interop {

/// One traced register access of a qtest_port_bus<Registers>.
template <class Registers>
struct port_access {
  using op = typename Registers::op;

  op what = Registers::poll;
  std::uint8_t value = 0;      // the byte read or written (0xFF for a failed read)
  std::uint32_t count = 1;     // the poll only: equal consecutive reads folded into this one
  bool ok = true;              // false: the qtest command failed (or the bus had failed before)
  steady::time_point at{};     // when the (first) access was made

  /// The interface's spelling of the access ("S=82", "C<-61", …).
  [[nodiscard]] std::string token() const {
    return std::string(Registers::tokens[static_cast<std::size_t>(what)]) + hex(value);
  }
  /// token() with the fold count ("S=82x1234") and "(!)" for a failed access.
  [[nodiscard]] std::string describe() const {
    std::string s = token();
    if (count > 1) s += "x" + std::to_string(count);
    if (!ok) s += "(!)";
    return s;
  }
};

/// What every qtest bus can be told (the interface's own options add its ports).
struct port_bus_options {
  /// Polls of one wait made back to back before idle() starts to sleep.
  std::uint32_t spin_polls = 32;
  /// The sleep of idle() after that (each one; bounded to 50 ms whatever is asked).
  std::chrono::microseconds poll_sleep{500};
  /// Record accesses (trace()).
  bool trace = true;
  /// Trace entries kept; later accesses are only counted (trace_dropped()).
  std::size_t max_trace = 20000;
};

template <class Registers>
class qtest_port_bus {
 public:
  using registers = Registers;
  using access_record = port_access<Registers>;
  using op = typename Registers::op;
  /// The common options and the interface's ports.
  struct options : port_bus_options, Registers::ports {};

  explicit qtest_port_bus(qtest& qt, const options& opt = {}) : qt_(&qt), opt_(opt) {}

  [[nodiscard]] const options& settings() const noexcept { return opt_; }

  /// Before a repeated status poll: nothing for the first spin_polls polls of a wait, then a
  /// sleep of poll_sleep (at most 50 ms).
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

  /// True once a qtest command failed; every later access is skipped.
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// The first qtest error ("" when none).
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

  [[nodiscard]] const std::vector<access_record>& trace() const noexcept { return trace_; }
  [[nodiscard]] std::size_t trace_dropped() const noexcept { return dropped_; }
  /// Index into trace() where the next access will go, for describe(from) / saw(…, from). The
  /// next poll starts an entry of its own (it is not folded into an earlier one).
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
  [[nodiscard]] bool saw(op what, std::uint8_t value, std::size_t from = 0) const {
    for (std::size_t i = from; i < trace_.size(); ++i)
      if (trace_[i].what == what && trace_[i].value == value) return true;
    return false;
  }
  /// Accesses made (each folded poll counts).
  [[nodiscard]] std::uint64_t accesses() const noexcept { return accesses_; }
  [[nodiscard]] std::uint64_t idles() const noexcept { return idles_; }
  [[nodiscard]] std::uint64_t sleeps() const noexcept { return sleeps_; }

 protected:
  /// inb `port`, traced as `what`; 0xFF once the bus has failed.
  std::uint8_t in(std::uint16_t port, op what) {
    if (what != Registers::poll) streak_ = 0;
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

  /// outb `port` `v`, traced as `what`; nothing once the bus has failed.
  void out(std::uint16_t port, std::uint8_t v, op what) {
    streak_ = 0;
    ++accesses_;
    bool ok = false;
    if (!failed_) {
      ok = qt_->outb(port, v);
      if (!ok) note_failure("outb " + hex_port(port) + " " + hex(v) + ": " + qt_->last_error());
    }
    record(what, v, ok);
  }

 private:
  void note_failure(std::string message) {
    failed_ = true;
    error_ = std::move(message);
  }

  void record(op what, std::uint8_t v, bool ok) {
    if (!opt_.trace) return;
    const bool may_fold = !no_fold_;
    no_fold_ = false;
    if (may_fold && what == Registers::poll && !trace_.empty()) {
      access_record& last = trace_.back();
      if (last.what == what && last.value == v && last.ok == ok && last.count < UINT32_MAX) {
        ++last.count;
        return;
      }
    }
    if (trace_.size() >= opt_.max_trace) {
      ++dropped_;
      return;
    }
    trace_.push_back(access_record{what, v, 1, ok, steady::now()});
  }

  qtest* qt_;
  options opt_;
  bool failed_ = false;
  std::string error_;
  std::vector<access_record> trace_;
  std::size_t dropped_ = 0;
  bool no_fold_ = false;
  std::uint32_t streak_ = 0;
  std::uint64_t accesses_ = 0;
  std::uint64_t idles_ = 0;
  std::uint64_t sleeps_ = 0;
};

/// Matches `bus`'s trace from `from` on against `pattern`: space-separated tokens as the
/// interface's token() prints them ("S=00", "C<-61", "W<-18", "D=1C"), "??" for any value
/// ("D=??"), and a trailing '?' for an optional entry ("S=82?": a folded run of polls that may
/// not be there when the answer was quicker than the first poll). With `whole` the pattern
/// must cover the trace to its end; otherwise it is a prefix.
template <class Registers>
[[nodiscard]] bool trace_matches(const qtest_port_bus<Registers>& bus, std::size_t from, std::string_view pattern,
                                 bool whole = true) {
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < pattern.size();) {
    const auto sp = pattern.find(' ', i);
    const auto end = sp == std::string_view::npos ? pattern.size() : sp;
    if (end > i) tokens.emplace_back(pattern.substr(i, end - i));
    i = end + 1;
  }
  const auto& t = bus.trace();
  std::size_t k = from;
  for (const auto& raw : tokens) {
    std::string tok = raw;
    const bool optional = !tok.empty() && tok.back() == '?' && tok.size() > 2 && tok[tok.size() - 2] != '?';
    if (optional) tok.pop_back();
    auto match = [&](const port_access<Registers>& a) {
      const std::string got = a.token();
      if (tok.size() >= 2 && tok.compare(tok.size() - 2, 2, "??") == 0)
        return got.size() == tok.size() && got.compare(0, tok.size() - 2, tok, 0, tok.size() - 2) == 0;
      return got == tok;
    };
    if (k < t.size() && match(t[k])) {
      ++k;
    } else if (!optional) {
      return false;
    }
  }
  return !whole || k == t.size();
}

/// Runs `host` over `bus` with `drive(host, bus, now, n)` (kcs::drive, bt::drive) in slices of
/// 16 accesses until it is no longer busy, the bus has failed (a qtest error), `max_accesses`
/// accesses were made or `budget` (wall clock) ran out. Returns the host's outcome (busy when
/// the budget or the bus ended the run: check bus.failed()).
template <class Host, class Bus, class Drive>
auto drive_in_slices(Host& host, Bus& bus, millis budget, std::size_t max_accesses, Drive drive) {
  using outcome_t = decltype(host.outcome());
  const deadline d(budget);
  auto now = [] { return steady::now(); };
  std::size_t made = 0;
  while (host.outcome() == outcome_t::busy && !bus.failed() && !d.expired() && made < max_accesses) {
    const std::size_t slice = std::min<std::size_t>(16, max_accesses - made);
    (void)drive(host, bus, now, slice);
    made += slice;
  }
  return host.outcome();
}

/// drive_in_slices() with the host's own driving loop: kcs::drive for a kcs::basic_host,
/// bt::drive for a bt::basic_host (found in the host's namespace). A qtest bus remembers its
/// first I/O error and a host cannot see it, so this stops as soon as the bus has failed, where
/// plain kcs::drive / bt::drive would go on reading 0xFF (a host whose first status read fails
/// ends failed with problem::no_device; in the middle of a transaction it polls until its own
/// timeout).
template <class Host, class Bus>
  requires std::derived_from<Bus, qtest_port_bus<typename Bus::registers>>
auto drive_host(Host& host, Bus& bus, millis budget, std::size_t max_accesses = 2000000) {
  return drive_in_slices(host, bus, budget, max_accesses, [](auto& h, auto& b, auto now, std::size_t n) {
    return drive(h, b, now, n);  // argument-dependent: the host's namespace
  });
}

}  // namespace ipmikit::interop
