// ipmikit/bt/host.hpp — the host side of BT: a driver state machine that never touches a port.
//
// What a host driver does (Linux ipmi_bt_sm, a firmware driver): `start(request, now)`, then
// ask `next()` which register access to make, make it, and report it with
// `complete(now, value_read)`. The machine ends in `done` (the response is in `response()`),
// `failed` (`problem()` says why; the next transaction may work) or `hosed` (the interface
// stayed busy through every retry; `reset()` before the next start). `bt::drive()` runs it
// over anything with the register operations, like kcs::drive().
//
// ## Theory of operation (IPMI v2.0 §11.7; Linux ipmi_bt_sm)
//
// One transition function, `step()`, takes each access as it is completed and switches over the
// machine's states in the order below; each state is named for what the machine waits for: a
// BT_CTRL read in one of the two waits, a write, or the next byte of the buffer.
//
//   1 start  read BT_CTRL until B_BUSY=0 and H2B_ATN=0 (wait_not_busy); clear SMS_ATN (noting
//            it) and a stray H_BUSY on the way (wait_flag_cleared); a response already waiting
//            (B2H_ATN) is read first (4)
//   2 write  CLR_WR_PTR; Length, NetFn/LUN, Seq, Cmd, Data… to the buffer; H2B_ATN
//   3 wait   read BT_CTRL until B2H_ATN (wait_b2h_atn: config::response_timeout, or what Get BT
//            Interface Capabilities said after apply())
//   4 read   H_BUSY (set), B2H_ATN (clear), CLR_RD_PTR; Length, then Length bytes; H_BUSY (clear)
//   5 match  Seq, Cmd and NetFn (ignoring the response bit and LUN) must be the request's;
//            otherwise the response is someone else's: it is dropped (counted) and the wait it
//            interrupted (1 or 3) goes on with the same deadline
//
// Both waits end the same ways, checked on every BT_CTRL read before what is particular to each
// (as Linux bt_event does before its switch): a first read of 0xFF (no device), cancel(),
// B2H_ATN (a response to read), the deadline (below), SMS_ATN.
//
// A response timeout resends the same bytes with the same Seq (Linux does the same), at most
// `max_retries` times, then ends failed. A BMC that stays busy (B_BUSY or H2B_ATN) for
// `busy_timeout` gets the request anyway — QEMU leaves B_BUSY set forever after a request with
// a wrong Length byte and takes the next H2B_ATN regardless, so this is the only way out there;
// a spec BMC that really is busy ignores it and the wait for the response times out. Such
// forced writes are allowed max(1, max_retries) times per transaction (at least once, because
// QEMU's own capabilities say 0 retries); after that a busy timeout — or no answer to the last
// forced write when no retry is left — leaves the machine hosed.
//
// Real devices differ from the spec, and each difference is handled here:
//  - QEMU keeps B_BUSY set from H2B_ATN until its BMC answers (it supports one outstanding
//    request): a resend after a response timeout shorter than QEMU's 4 s first waits for
//    B_BUSY, and QEMU's own 0xC3 answer carries the request's Seq, so it is taken as the
//    response (measured: tests/interop/bt_host_qemu_test.cpp). See above for the Length quirk.
//  - QEMU answers Get BT Interface Capabilities itself, never asking the BMC: apply() takes the
//    answer wherever it came from.
//  - QEMU re-sends a request with the same message id to its BMC on a second H2B_ATN while
//    busy, remembers the second writer's Seq, and delivers one answer under it. The host only
//    writes while busy on the forced write above, with the same request and Seq, so the one
//    answer is the right one.
//  - H_BUSY toggles on every write of 1 (IPMI v2.0 Table 11-1, Linux, QEMU alike): the host
//    writes it only after reading BT_CTRL shows it is not already in the wanted state.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "../detail/enum_name.hpp"
#include "../message.hpp"
#include "../si/interface.hpp"
#include "registers.hpp"

namespace ipmikit::bt {

// ---------------------------------------------------------------------------------------------
// Types

/// The register access the caller must make next.
enum class access : std::uint8_t {
  none = 0,       // nothing to do: see host::outcome()
  read_control,   // read BT_CTRL (offset 0), report the value
  write_control,  // write `value` to BT_CTRL (offset 0)
  read_buffer,    // read BMC2HOST (offset 1), report the value
  write_buffer,   // write `value` to HOST2BMC (offset 1)
};

[[nodiscard]] constexpr std::string_view name(access a) noexcept {
  return ipmikit::detail::enum_name<access, 5>(
      a, {"none", "read_control", "write_control", "read_buffer", "write_buffer"});
}

using action = si::basic_action<access>;

// The vocabulary shared by every system interface (si/interface.hpp).
using si::host_error;
using si::name;
using si::outcome;

/// What went wrong on the interface (remote errors). The last one is kept in problem().
enum class problem : std::uint8_t {
  none = 0,
  no_device = 1,           // the first BT_CTRL read was 0xFF: nothing decodes these ports
  busy_timeout = 2,        // B_BUSY or H2B_ATN stayed set longer than config::busy_timeout
  response_timeout = 3,    // no response with our Seq within the response timeout
  response_too_long = 4,   // the response did not fit the host's Capacity
  cancelled = 5,           // the caller called cancel()
};

[[nodiscard]] constexpr std::string_view name(problem p) noexcept {
  return ipmikit::detail::enum_name<problem, 6>(
      p, {"none", "no_device", "busy_timeout", "response_timeout", "response_too_long", "cancelled"});
}

struct host_stats : si::host_stats {
  // transactions, done, failed, hosed, retries (after a timeout), accesses, polls:
  // see si::host_stats
  std::uint64_t responses_dropped = 0;  // responses that were not ours (Seq/Cmd/NetFn) or malformed
  std::uint64_t attentions = 0;         // SMS_ATN seen and cleared
};

// ---------------------------------------------------------------------------------------------
// The host machine

template <class Clock = std::chrono::steady_clock, std::size_t Capacity = default_capacity>
class basic_host : public si::basic_host_machine<basic_host<Clock, Capacity>, Clock, access, problem, host_stats, Capacity> {
  static_assert(Capacity >= layout::min_response + 1, "a BT host must hold a minimal response");
  using base = si::basic_host_machine<basic_host, Clock, access, problem, host_stats, Capacity>;
  friend base;

 public:
  using typename base::duration;
  using typename base::time_point;

  struct config {
    /// From H2B_ATN to B2H_ATN (Linux BT_NORMAL_TIMEOUT 5 s; replaced by apply()).
    duration response_timeout = std::chrono::duration_cast<duration>(std::chrono::seconds(5));
    /// Longest wait for B_BUSY and H2B_ATN to clear before writing a request.
    duration busy_timeout = std::chrono::duration_cast<duration>(std::chrono::seconds(5));
    /// BT_CTRL reads per wait before giving up as if timed out; 0 = only the clock decides.
    std::uint32_t max_polls = 0;
    /// Resends after a timeout (Linux BT_NORMAL_RETRY_LIMIT 2; replaced by apply()).
    std::uint8_t max_retries = 2;
    /// Treat a first BT_CTRL read of 0xFF as "no device" (Linux bt_detect).
    bool detect_absent_device = true;
    /// Largest request body the BMC takes (netfn/LUN, cmd, data); from apply().
    std::size_t max_request = 254;
  };

  constexpr basic_host() noexcept : basic_host(config{}) {}
  constexpr explicit basic_host(const config& cfg, std::uint8_t first_seq = 0) noexcept
      : cfg_(cfg), seq_(first_seq) {}

  // --- driving ---------------------------------------------------------------------------------

  /// Begins a transaction: `request` = netfn<<2|lun, cmd, data… (copied). It gets the next
  /// sequence number. Refused while busy or hosed; a refused start changes nothing.
  constexpr host_error start(std::span<const std::uint8_t> request, time_point now) noexcept {
    // The machine adds Length and Seq, and Length counts at most 255 bytes, the Seq included.
    if (const host_error e = this->refusal(request, std::min<std::size_t>({Capacity - 2, 254, cfg_.max_request}));
        e != host_error::ok)
      return e;
    // Length, NetFn/LUN, Seq, Cmd, Data…
    request_[layout::length] = static_cast<std::uint8_t>(request.size() + 1);
    request_[layout::netfn_lun] = request[0];
    request_[layout::seq] = seq_;
    std::copy(request.begin() + 1, request.end(), request_.begin() + layout::cmd);
    request_length_ = request.size() + 2;
    ++seq_;
    forced_writes_ = 0;
    this->begin_transaction();
    begin_attempt(now);
    return host_error::ok;
  }

  /// Gives up the running transaction: ends failed with problem::cancelled at the next point
  /// where the interface is consistent (at once while waiting; a response being read is read
  /// to its end so that H_BUSY is cleared).
  constexpr void cancel(time_point /*now: the same call as kcs::host::cancel*/) noexcept {
    if (outcome_ != bt::outcome::busy) return;
    cancelling_ = true;
    if (stage_ == stage::wait_not_busy || stage_ == stage::wait_b2h_atn) end_cancelled();
  }

  // next(), complete(), and reset() (the sequence number goes on): si::basic_host_machine

  /// Takes the BMC's Get BT Interface Capabilities answer: response timeout, retries and the
  /// largest request. QEMU's model answers 10 s and 0 retries (reference/qemu.md §3.4).
  constexpr void apply(const interface_capabilities& caps) noexcept {
    cfg_.response_timeout = std::chrono::duration_cast<duration>(
        std::chrono::seconds(std::max<unsigned>(1, caps.response_time_seconds)));
    cfg_.max_retries = caps.retries;
    // input_buffer_size excludes the Length byte (OpenBMC): NetFn, Seq, Cmd, Data fit in it.
    cfg_.max_request = caps.input_buffer_size > request_view::min_size
                           ? std::size_t{caps.input_buffer_size} - 1
                           : request_view::min_size;
  }

  [[nodiscard]] constexpr std::optional<time_point> next_deadline() const noexcept {
    if (outcome_ != bt::outcome::busy || action_.kind != access::read_control) return std::nullopt;
    return wait_since_ + wait_limit();
  }

  // --- results ---------------------------------------------------------------------------------

  // outcome(), response() (Length and Seq removed; after response_too_long, the part that
  // fitted), problem(), attempts(), stats(): si::basic_host_machine
  /// The sequence number of the current (or last) transaction.
  [[nodiscard]] constexpr std::uint8_t seq() const noexcept { return request_[layout::seq]; }
  [[nodiscard]] constexpr bt::control last_control() const noexcept { return last_control_; }
  /// SMS_ATN was seen (and cleared) since the last take_attention(): send Get Message Flags.
  [[nodiscard]] constexpr bool attention() const noexcept { return attention_; }
  constexpr bool take_attention() noexcept { return std::exchange(attention_, false); }
  [[nodiscard]] constexpr const config& settings() const noexcept { return cfg_; }

 private:
  // The states, in the order of §11.7, each named for what the machine waits for: a BT_CTRL
  // read in one of the two waits, a write, or the next byte of the buffer (Linux ipmi_bt_sm's
  // state in parentheses).
  enum class stage : std::uint8_t {
    none,  // not busy
    // 1. Wait until the BMC can take a request
    wait_not_busy,               // BT_CTRL: B_BUSY=0, H2B_ATN=0 (BT_STATE_XACTION_START)
    wait_flag_cleared,           // the write clearing SMS_ATN or a stray H_BUSY; then the wait again
    // 2. Write the request (BT_STATE_WRITE_BYTES)
    wait_write_pointer_cleared,  // CLR_WR_PTR
    wait_request_byte_written,   // Length, NetFn/LUN, Seq, Cmd, Data…, one byte at a time
    wait_h2b_atn_set,            // H2B_ATN: the request is the BMC's
    // 3. Wait for the response
    wait_b2h_atn,                // BT_CTRL: B2H_ATN (BT_STATE_READ_WAIT)
    // 4. Read the response (BT_STATE_CLEAR_B2H, BT_STATE_READ_BYTES); a wait that sees
    //    B2H_ATN reads whatever response is there, ours or not
    wait_h_busy_set,             // H_BUSY (set; skipped when it already is)
    wait_b2h_atn_cleared,        // B2H_ATN (clear)
    wait_read_pointer_cleared,   // CLR_RD_PTR
    wait_length,                 // BMC2HOST: the Length byte
    wait_response_byte,          // BMC2HOST: NetFn/LUN, Seq, Cmd, cc, Data…, one byte at a time
    wait_h_busy_cleared,         // H_BUSY (clear); then: ours, or someone else's?
  };

  // The transition function: the access next() named was made at `now`; `value` is what a read
  // returned. Inlined into complete() (see there).
  [[gnu::always_inline]] constexpr void step(time_point now, std::uint8_t value) noexcept {
    if (action_.kind == access::read_control) {
      // A BT_CTRL read in either wait: what ends a wait is the same in both (Linux bt_event
      // before its switch). The deadline is checked before anything that keeps the machine
      // waiting, so a device that never clears a bit cannot keep it busy past the deadline.
      const bt::control c(value);
      last_control_ = c;
      if (this->no_device(value, cfg_.detect_absent_device)) return;
      ++polls_;
      if (cancelling_ && !c.b2h_atn()) return end_cancelled();
      const bool expired = wait_expired(now);
      if (c.b2h_atn() && !expired) return begin_read(c);
      if (expired) return timed_out(now);
      if (c.sms_atn()) {  // noted, then cleared
        attention_ = true;
        ++stats_.attentions;
        return clear_flag(control_bit::sms_atn);
      }
    }
    switch (stage_) {
      // --- 1. Wait until the BMC can take a request --------------------------------------------
      case stage::wait_not_busy: {
        const bt::control c(value);
        if (c.h_busy()) return clear_flag(control_bit::h_busy);  // left set by someone
        if (c.b_busy() || c.h2b_atn()) return keep_polling();
        return begin_write();
      }
      case stage::wait_flag_cleared:  // back to the wait, its deadline unchanged
        return act(wait_, access::read_control);

      // --- 2. Write the request ----------------------------------------------------------------
      case stage::wait_write_pointer_cleared:
        if (cancelling_) return end_cancelled();
        return act(stage::wait_request_byte_written, access::write_buffer, request_[0]);
      case stage::wait_request_byte_written:
        if (cancelling_) return end_cancelled();
        if (++written_ < request_length_)
          return act(stage::wait_request_byte_written, access::write_buffer, request_[written_]);
        return act(stage::wait_h2b_atn_set, access::write_control, control_bit::h2b_atn);
      case stage::wait_h2b_atn_set: return wait(stage::wait_b2h_atn, now);

      // --- 3. Wait for the response ------------------------------------------------------------
      case stage::wait_b2h_atn: return keep_polling();

      // --- 4. Read the response ----------------------------------------------------------------
      case stage::wait_h_busy_set:
        return act(stage::wait_b2h_atn_cleared, access::write_control, control_bit::b2h_atn);
      case stage::wait_b2h_atn_cleared:
        return act(stage::wait_read_pointer_cleared, access::write_control, control_bit::clr_rd_ptr);
      case stage::wait_read_pointer_cleared: return act(stage::wait_length, access::read_buffer);
      case stage::wait_length:
        response_left_ = value;
        incoming_length_ = 0;
        truncated_ = false;
        if (value == 0)  // nothing to read
          return act(stage::wait_h_busy_cleared, access::write_control, control_bit::h_busy);
        return act(stage::wait_response_byte, access::read_buffer);
      case stage::wait_response_byte:
        if (incoming_length_ < incoming_.size()) {
          incoming_[incoming_length_++] = value;
        } else {
          truncated_ = true;
        }
        if (--response_left_ != 0) return act(stage::wait_response_byte, access::read_buffer);
        return act(stage::wait_h_busy_cleared, access::write_control, control_bit::h_busy);
      case stage::wait_h_busy_cleared: return response_read();

      case stage::none: break;
    }
  }

  // --- a response ------------------------------------------------------------------------------

  // B2H_ATN in a wait: read the response, from either wait (H_BUSY toggles: set it only if it
  // is not set already).
  constexpr void begin_read(bt::control c) noexcept {
    if (c.h_busy())
      return act(stage::wait_b2h_atn_cleared, access::write_control, control_bit::b2h_atn);
    act(stage::wait_h_busy_set, access::write_control, control_bit::h_busy);
  }

  // A whole response was read and H_BUSY cleared: ours, or someone else's?
  constexpr void response_read() noexcept {
    // incoming_ is the response as read, without its Length byte.
    const auto at = [this](std::size_t layout_index) { return incoming_[layout_index - 1]; };
    const bool ours = incoming_length_ >= layout::min_response - 1 &&
                      at(layout::seq) == request_[layout::seq] && at(layout::cmd) == request_[layout::cmd] &&
                      request_netfn(netfn_of(at(layout::netfn_lun))) ==
                          request_netfn(netfn_of(request_[layout::netfn_lun]));
    if (!ours || cancelling_) {
      ++stats_.responses_dropped;
      if (cancelling_) return end_cancelled();
      return act(wait_, access::read_control);  // back to the wait, with its deadline
    }
    // NetFn/LUN, Cmd, cc, Data…: drop the Seq.
    response_[0] = incoming_[0];
    std::copy(incoming_.begin() + 2, incoming_.begin() + static_cast<std::ptrdiff_t>(incoming_length_),
              response_.begin() + 1);
    response_length_ = incoming_length_ - 1;
    if (truncated_) {
      problem_ = bt::problem::response_too_long;
      return finish(bt::outcome::failed);
    }
    finish(bt::outcome::done);
  }

  // --- recovery: a wait ran out, cancel() ------------------------------------------------------

  // A wait ran out. Busy: send anyway on a retry (see the header comment), hosed when none is
  // left. Response: send again, failed when no retry is left.
  constexpr void timed_out(time_point now) noexcept {
    if (wait_ == stage::wait_not_busy) {
      problem_ = bt::problem::busy_timeout;
      if (forced_writes_ >= std::max<unsigned>(1, cfg_.max_retries)) return finish(bt::outcome::hosed);
      ++forced_writes_;
      ++attempts_;
      ++stats_.retries;
      last_write_forced_ = true;
      return begin_write();  // send anyway (see the header comment)
    }
    // No answer to a request written while the BMC looked busy: it still is.
    const bool still_busy = last_write_forced_;
    problem_ = still_busy ? bt::problem::busy_timeout : bt::problem::response_timeout;
    if (attempts_ > cfg_.max_retries) return finish(still_busy ? bt::outcome::hosed : bt::outcome::failed);
    ++attempts_;
    ++stats_.retries;
    begin_attempt(now);
  }

  constexpr void end_cancelled() noexcept {
    problem_ = bt::problem::cancelled;
    finish(bt::outcome::failed);
  }

  // --- beginnings and the end ------------------------------------------------------------------

  constexpr void begin_attempt(time_point now) noexcept {
    last_write_forced_ = false;
    wait(stage::wait_not_busy, now);
  }
  constexpr void begin_write() noexcept {
    written_ = 0;
    act(stage::wait_write_pointer_cleared, access::write_control, control_bit::clr_wr_ptr);
  }

  // --- the accesses a state asks for, and the waits --------------------------------------------

  constexpr void act(stage s, access kind, std::uint8_t value = 0) noexcept {
    stage_ = s;
    action_ = action{kind, value, false};
  }
  // Writes `bit` to clear it, then polls again in the same wait (its deadline unchanged).
  constexpr void clear_flag(std::uint8_t bit) noexcept {
    act(stage::wait_flag_cleared, access::write_control, bit);
  }
  // `s` is wait_not_busy or wait_b2h_atn.
  constexpr void wait(stage s, time_point now) noexcept {
    act(s, access::read_control);
    wait_ = s;
    this->start_clock(now);
  }
  [[nodiscard]] constexpr bool wait_expired(time_point now) const noexcept {
    return base::wait_expired(now, wait_limit(), cfg_.max_polls);
  }
  [[nodiscard]] constexpr duration wait_limit() const noexcept {
    return wait_ == stage::wait_not_busy ? cfg_.busy_timeout : cfg_.response_timeout;
  }

  using base::action_;
  using base::attempts_;
  using base::cancelling_;
  using base::finish;
  using base::keep_polling;
  using base::outcome_;
  using base::polls_;
  using base::problem_;
  using base::response_;
  using base::response_length_;
  using base::stats_;
  using base::wait_since_;

  config cfg_{};
  stage stage_ = stage::none;
  // The wait in progress (wait_not_busy or wait_b2h_atn): its limit, and where the machine
  // goes back to after clearing a flag or reading a response that is not ours.
  stage wait_ = stage::wait_not_busy;
  bt::control last_control_{};
  unsigned forced_writes_ = 0;  // requests written while the BMC looked busy, this transaction
  bool last_write_forced_ = false;
  std::uint8_t seq_ = 0;
  bool attention_ = false;
  bool truncated_ = false;
  std::size_t written_ = 0;
  std::size_t request_length_ = 0;
  std::size_t incoming_length_ = 0;
  std::uint8_t response_left_ = 0;
  std::array<std::uint8_t, Capacity> request_{};   // Length, NetFn/LUN, Seq, Cmd, Data…
  std::array<std::uint8_t, Capacity> incoming_{};  // NetFn/LUN, Seq, Cmd, cc, data… as read
};

using host = basic_host<>;

// ---------------------------------------------------------------------------------------------
// Driving a host over a register interface

/// Anything with the BT register operations the host uses: bt::device, a port-I/O or qtest
/// adaptor.
template <class Bus>
concept register_bus = requires(Bus& b, std::uint8_t v) {
  { b.read_control() } -> std::convertible_to<std::uint8_t>;
  { b.read_buffer() } -> std::convertible_to<std::uint8_t>;
  b.write_control(v);
  b.write_buffer(v);
};

/// Makes the access `a` on `bus`; returns the value read (0 for writes).
template <register_bus Bus>
constexpr std::uint8_t perform(Bus& bus, const action& a) {
  switch (a.kind) {
    case access::read_control: return static_cast<std::uint8_t>(bus.read_control());
    case access::read_buffer: return static_cast<std::uint8_t>(bus.read_buffer());
    case access::write_control: bus.write_control(a.value); return 0;
    case access::write_buffer: bus.write_buffer(a.value); return 0;
    case access::none: break;
  }
  return 0;
}

/// `bt::drive(host, bus, now, max_accesses)` runs `host` over `bus` until it is no longer busy
/// or `max_accesses` accesses were made; `now()` gives the time after each access; `bus.idle()`,
/// if it exists, is called before each repeated poll. Returns the outcome (busy if the access
/// budget ran out).
using si::drive;

}  // namespace ipmikit::bt
