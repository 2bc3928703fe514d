// ipmikit/kcs/host.hpp — the host side of KCS: a driver state machine that never touches a port.
//
// What a host driver does (Linux ipmi_kcs_sm, a UEFI/firmware driver): `start(request, now)`,
// then ask `next()` which register access to make, make it, and report it with
// `complete(now, value_read)`. The machine ends in `done` (the response is in `response()`),
// `failed` (the interface is idle again; `problem()` says why) or `hosed` (the interface did
// not follow the protocol even through the abort sequence; `reset()` and try again later).
// Because the caller makes every access, the same machine runs over x86 port I/O, MMIO,
// QEMU's qtest, or an in-memory kcs::device; `kcs::drive()` at the end runs it over anything
// with the four register operations.
//
// ## Theory of operation (IPMI v2.0 §9.15, Figures 9-6 write, 9-7 read, 9-8 error exit)
//
// One transition function, `step()`, takes each access as it is completed and switches over the
// machine's states in the order of the flowcharts; each state is named for what the machine
// waits for. The waits are Status reads (the states ending in `_ibf` / `_obf`, one for each of
// Linux ipmi_kcs_sm's states); every wait first waits for IBF=0, then:
//
//   state (Linux ipmi_kcs_sm)             once IBF=0                   then
//   Figure 9-6, write
//   wait_idle_ibf (KCS_START_OP)          IDLE? clear OBF              WRITE_START to Command
//   wait_write_ibf (KCS_WAIT_WRITE*)      WRITE? clear OBF             the next request byte to
//                                                                      Data_In (WRITE_END to
//                                                                      Command before the last)
//   Figure 9-7, read
//   wait_response_obf (KCS_WAIT_READ)     READ? wait OBF, read a byte  READ (0x68) to Data_In
//                                         IDLE? read the dummy if OBF  done
//   Figure 9-8, error exit
//   abort_wait_ibf (KCS_ERROR0)           clear OBF                    GET_STATUS/ABORT to Command
//   abort_wait_ibf_after_get_status (…1)  clear OBF                    0x00 to Data_In
//   abort_wait_status_code_obf (…2)       READ? wait OBF, read code    READ to Data_In
//   abort_wait_idle_ibf (…3)              IDLE? read the dummy if OBF  the request again
//
// "IDLE?" means the state must be IDLE, else the error exit runs. Each Data_Out read (a byte
// cleared, a response byte, the status code, a dummy byte) is a state of its own, right after
// the wait it follows. A write always leads into a wait: the machine enters the wait's state as
// it asks for the write, and the write's completion starts the wait's clock.
//
// "Wait" means: read Status until the condition holds; each repeated read is an action with
// `repeat = true`, so a caller may sleep or yield before making it. A wait ends in a timeout
// (explicit clock, `config`) or after `max_polls` reads if that is non-zero.
//
// Any surprise — a wrong state, ERROR_STATE, a timeout — runs the abort sequence (the error
// exit), then restarts the request, at most `max_retries` times; a device that reports
// length_error is not retried (the same request would fail the same way). If the abort sequence
// itself fails `max_abort_attempts` times in a row, the machine is hosed.
//
// Real devices differ from the spec, and each difference is handled here:
//  - QEMU keeps IBF set from the last request byte until its BMC answers (up to 4 s, then it
//    answers 0xC3 itself) and drops every write meanwhile, GET_STATUS/ABORT included: the first
//    wait of the read phase uses `response_timeout`. Keep it above 4 s against QEMU: a shorter
//    one shortens nothing (the abort must wait for IBF too), QEMU's 0xC3 is then cleared as a
//    stale byte and the request is sent again, so the BMC executes it twice; and with an
//    `ibf_timeout` below 4 s − `response_timeout` the machine is hosed until reset()
//    (measured: tests/interop/kcs_host_qemu_test.cpp). QEMU's own 0xC3 ends the transaction
//    `done`: check the completion code.
//  - QEMU never sets C/D; nothing here reads it.
//  - BMCs that never send the final dummy byte (the reason Linux does not wait for it): IDLE
//    ends the read phase whether or not OBF is set; a late dummy byte is cleared at the next
//    start.
//  - QEMU answers GET_STATUS/ABORT with ERROR_STATE instead of WRITE_STATE: the state after
//    the abort command is not checked (Linux does not check it either).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "../detail/enum_name.hpp"
#include "../message.hpp"
#include "../si/interface.hpp"
#include "registers.hpp"

namespace ipmikit::kcs {

// ---------------------------------------------------------------------------------------------
// Types

/// The register access the caller must make next.
enum class access : std::uint8_t {
  none = 0,       // nothing to do: see host::outcome()
  read_status,    // read the Status register (offset 1), report the value
  read_data,      // read Data_Out (offset 0), report the value
  write_command,  // write `value` to the Command register (offset 1)
  write_data,     // write `value` to Data_In (offset 0)
};

[[nodiscard]] constexpr std::string_view name(access a) noexcept {
  return ipmikit::detail::enum_name<access, 5>(a, {"none", "read_status", "read_data", "write_command", "write_data"});
}

using action = si::basic_action<access>;

// The vocabulary shared by every system interface (si/interface.hpp).
using si::host_error;
using si::name;
using si::outcome;

/// What went wrong on the interface (remote errors). The last one is kept in problem().
enum class problem : std::uint8_t {
  none = 0,
  no_device = 1,           // the first status read was 0xFF: nothing decodes these ports
  ibf_timeout = 2,         // IBF stayed set longer than config::ibf_timeout
  obf_timeout = 3,         // no byte (OBF) within config::obf_timeout
  response_timeout = 4,    // the BMC did not start its response within config::response_timeout
  unexpected_state = 5,    // the status register showed a state the flow does not allow
  device_error = 6,        // the device reported an error code (error_code()) that a retry cannot fix
  response_too_long = 7,   // the response did not fit the host's Capacity (the transfer was aborted)
  response_too_short = 8,  // fewer than netfn/LUN, cmd and completion code
  cancelled = 9,           // the caller called cancel(); the abort sequence ended the transfer
};

[[nodiscard]] constexpr std::string_view name(problem p) noexcept {
  return ipmikit::detail::enum_name<problem, 10>(
      p, {"none", "no_device", "ibf_timeout", "obf_timeout", "response_timeout", "unexpected_state", "device_error",
          "response_too_long", "response_too_short", "cancelled"});
}

struct host_stats : si::host_stats {
  // transactions, done, failed, hosed, retries (after an abort sequence), accesses, polls:
  // see si::host_stats
  std::uint64_t aborts = 0;  // abort sequences begun
};

// ---------------------------------------------------------------------------------------------
// The host machine

template <class Clock = std::chrono::steady_clock, std::size_t Capacity = default_capacity>
class basic_host : public si::basic_host_machine<basic_host<Clock, Capacity>, Clock, access, problem, host_stats, Capacity> {
  static_assert(Capacity >= response_view::min_size,
                "a KCS host must hold at least netfn/LUN, cmd and completion code");
  using base = si::basic_host_machine<basic_host, Clock, access, problem, host_stats, Capacity>;
  friend base;

 public:
  using typename base::duration;
  using typename base::time_point;

  struct config {
    /// Longest wait for IBF to clear after a write (Linux ipmi_kcs_sm IBF_RETRY_TIMEOUT: 5 s).
    duration ibf_timeout = std::chrono::duration_cast<duration>(std::chrono::seconds(5));
    /// Longest wait for OBF in the read phase and the abort sequence (Linux OBF_RETRY_TIMEOUT).
    duration obf_timeout = std::chrono::duration_cast<duration>(std::chrono::seconds(5));
    /// Longest wait from the last request byte to the first response byte (the BMC's work;
    /// QEMU answers 0xC3 itself after 4 s, Linux allows 5 s).
    duration response_timeout = std::chrono::duration_cast<duration>(std::chrono::seconds(5));
    /// Status reads per wait before giving up as if timed out; 0 = only the clock decides.
    std::uint32_t max_polls = 0;
    /// Restarts of a request after a successful abort sequence.
    std::uint8_t max_retries = 3;
    /// Abort sequences in a row that may fail before the machine is hosed.
    std::uint8_t max_abort_attempts = 3;
    /// Treat a first status read of 0xFF as "no device" (Linux kcs_detect, EDK2 KcsBmc.c).
    bool detect_absent_device = true;
  };

  constexpr basic_host() noexcept : basic_host(config{}) {}
  constexpr explicit basic_host(const config& cfg) noexcept : cfg_(cfg) {}

  // --- driving ---------------------------------------------------------------------------------

  /// Begins a transaction: `request` = netfn<<2|lun, cmd, data… (copied). Refused while busy
  /// or hosed; a refused start changes nothing.
  constexpr host_error start(std::span<const std::uint8_t> request, time_point now) noexcept {
    if (const host_error e = this->refusal(request, Capacity); e != host_error::ok) return e;
    std::copy(request.begin(), request.end(), request_.begin());
    request_length_ = request.size();
    error_code_ = kcs::error_code::no_error;
    abort_attempts_ = 0;
    request_begun_ = false;
    this->begin_transaction();
    if (resync_) {
      resync_ = false;
      begin_abort(now);
    } else {
      begin_request(now);
    }
    return host_error::ok;
  }

  /// Gives up the running transaction: the machine runs the abort sequence (so the interface
  /// is left idle) and ends failed with problem::cancelled. Does nothing unless busy or while
  /// the abort sequence already runs.
  constexpr void cancel(time_point now) noexcept {
    if (outcome_ != kcs::outcome::busy) return;
    cancelling_ = true;
    if (!aborting()) begin_abort(now);
  }

  /// Forgets a hosed (or any) state. The next start() begins with the abort sequence, to bring
  /// the interface back in step whatever it was doing.
  constexpr void reset() noexcept {
    if (outcome_ == kcs::outcome::busy || outcome_ == kcs::outcome::hosed) resync_ = true;
    base::reset();
  }

  /// When the current wait times out, if the machine is waiting. A caller that sleeps between
  /// polls need not sleep past it.
  [[nodiscard]] constexpr std::optional<time_point> next_deadline() const noexcept {
    if (outcome_ != kcs::outcome::busy || action_.kind != access::read_status) return std::nullopt;
    return wait_since_ + wait_limit();
  }

  // --- results ---------------------------------------------------------------------------------

  // outcome(), response(), problem(), attempts(), stats(): si::basic_host_machine

  /// The interface status code read by the last abort sequence.
  [[nodiscard]] constexpr kcs::error_code error_code() const noexcept { return error_code_; }
  /// The last status register value read.
  [[nodiscard]] constexpr kcs::status last_status() const noexcept { return last_status_; }
  /// SMS_ATN as last seen: the BMC has a message for system software (send Get Message Flags).
  [[nodiscard]] constexpr bool attention() const noexcept { return last_status_.sms_atn(); }
  [[nodiscard]] constexpr const config& settings() const noexcept { return cfg_; }

 private:
  // The states, in the order of the flowcharts, each named for what the machine waits for:
  // `…_ibf` / `…_obf` a Status read that satisfies the wait (Linux ipmi_kcs_sm's state in
  // parentheses), the others a Data_Out read. The error exit's states come last (aborting()).
  enum class stage : std::uint8_t {
    none,  // not busy
    // Figure 9-6, the write phase
    wait_idle_ibf,                    // IBF=0, IDLE, before WRITE_START (KCS_START_OP)
    wait_stale_byte,                  // a byte left in Data_Out, discarded before WRITE_START
    wait_write_ibf,                   // IBF=0, WRITE, after WRITE_START, a request byte or WRITE_END
                                      // (KCS_WAIT_WRITE_START, KCS_WAIT_WRITE, KCS_WAIT_WRITE_END)
    wait_write_dummy,                 // the dummy byte the BMC answered that write with, discarded
    // Figure 9-7, the read phase
    wait_response_obf,                // IBF=0, then READ and OBF (a byte) or IDLE (the end)
                                      // (KCS_WAIT_READ)
    wait_response_byte,               // a response byte; READ follows
    wait_final_dummy,                 // the dummy byte that ends the read, discarded
    // Figure 9-8, the error exit (the GET_STATUS/ABORT sequence)
    abort_wait_ibf,                   // IBF=0, before GET_STATUS/ABORT (KCS_ERROR0)
    abort_wait_stale_byte,            // a byte left in Data_Out, discarded
    abort_wait_ibf_after_get_status,  // IBF=0 (KCS_ERROR1)
    abort_wait_get_status_dummy,      // the dummy byte the BMC answered with, discarded
    abort_wait_status_code_obf,       // IBF=0, READ, OBF (KCS_ERROR2)
    abort_wait_status_code,           // the interface status code; READ follows
    abort_wait_idle_ibf,              // IBF=0, IDLE (KCS_ERROR3)
    abort_wait_final_dummy,           // the dummy byte that ends the abort sequence, discarded
  };

  // Which limit the current wait uses.
  enum class wait_kind : std::uint8_t { ibf, obf, response };

  // The transition function: the access next() named was made at `now`; `value` is what a read
  // returned. Inlined into complete() (see there).
  [[gnu::always_inline]] constexpr void step(time_point now, std::uint8_t value) noexcept {
    // A write's completion tells only its time: the wait the machine entered with it begins.
    if (action_.kind == access::write_command || action_.kind == access::write_data)
      return begin_wait(now);
    const kcs::status s(value);  // the waits' input
    if (action_.kind == access::read_status) {
      last_status_ = s;
      if (this->no_device(value, cfg_.detect_absent_device)) return;
      ++polls_;
      // Every wait first waits for IBF to clear (Linux check_ibf).
      if (s.ibf()) return poll_again(wait_kind_, now);
    }
    switch (stage_) {
      // --- Figure 9-6: write the request -------------------------------------------------------
      case stage::wait_idle_ibf:
        if (s.state() != state::idle) return trouble(kcs::problem::unexpected_state, now);
        end_sent_ = false;
        if (s.obf()) return read(stage::wait_stale_byte);
        [[fallthrough]];
      case stage::wait_stale_byte:
        request_begun_ = true;
        return write_command(control_code::write_start, stage::wait_write_ibf);

      case stage::wait_write_ibf:
        if (s.state() != state::write) return trouble(kcs::problem::unexpected_state, now);
        if (s.obf()) return read(stage::wait_write_dummy);
        [[fallthrough]];
      case stage::wait_write_dummy:
        if (request_length_ - written_ == 1 && !end_sent_) {  // before the last byte
          end_sent_ = true;
          return write_command(control_code::write_end, stage::wait_write_ibf);
        }
        if (written_ + 1 < request_length_)
          return write_data(request_[written_++], stage::wait_write_ibf);
        // The last byte: the BMC has the request, and the wait for its response begins.
        return write_data(request_[written_++], stage::wait_response_obf, wait_kind::response);

      // --- Figure 9-7: read the response -------------------------------------------------------
      case stage::wait_response_obf:
        if (s.state() == state::idle) {  // the end, with or without the dummy byte
          if (s.obf()) return read(stage::wait_final_dummy);
          return end_of_response();
        }
        if (s.state() != state::read) return trouble(kcs::problem::unexpected_state, now);
        if (!s.obf()) return wait_for_obf(now);
        return read(stage::wait_response_byte);
      case stage::wait_response_byte:
        if (response_length_ == Capacity) {  // one byte too many: stop the transfer
          problem_ = kcs::problem::response_too_long;
          return begin_abort(now);
        }
        response_[response_length_++] = value;
        return write_data(code(control_code::read), stage::wait_response_obf);
      case stage::wait_final_dummy: return end_of_response();

      // --- Figure 9-8: the error exit, after trouble() or cancel() -----------------------------
      case stage::abort_wait_ibf:
        if (s.obf()) return read(stage::abort_wait_stale_byte);
        [[fallthrough]];
      case stage::abort_wait_stale_byte:
        return write_command(control_code::get_status_abort, stage::abort_wait_ibf_after_get_status);

      case stage::abort_wait_ibf_after_get_status:  // the state is not checked (QEMU: ERROR)
        if (s.obf()) return read(stage::abort_wait_get_status_dummy);
        [[fallthrough]];
      case stage::abort_wait_get_status_dummy:
        return write_data(dummy_byte, stage::abort_wait_status_code_obf);

      case stage::abort_wait_status_code_obf:
        if (s.state() != state::read) return trouble(kcs::problem::unexpected_state, now);
        if (!s.obf()) return wait_for_obf(now);
        return read(stage::abort_wait_status_code);
      case stage::abort_wait_status_code:
        error_code_ = static_cast<kcs::error_code>(value);
        return write_data(code(control_code::read), stage::abort_wait_idle_ibf);

      case stage::abort_wait_idle_ibf:
        if (s.state() != state::idle) return trouble(kcs::problem::unexpected_state, now);
        if (s.obf()) return read(stage::abort_wait_final_dummy);
        [[fallthrough]];
      case stage::abort_wait_final_dummy: return abort_finished(now);

      case stage::none: break;
    }
  }

  // --- recovery: trouble() runs the error exit, abort_finished() decides what follows ----------

  // Something went wrong: during a transfer, run the abort sequence; during the abort
  // sequence, try it again or give up as hosed.
  constexpr void trouble(kcs::problem p, time_point now) noexcept {
    problem_ = p;
    if (aborting()) {
      if (++abort_attempts_ >= cfg_.max_abort_attempts) return finish(kcs::outcome::hosed);
    }
    begin_abort(now);
  }

  // The abort sequence ended with the interface idle: end the transaction, or start the
  // request (again).
  constexpr void abort_finished(time_point now) noexcept {
    abort_attempts_ = 0;
    if (cancelling_) {
      problem_ = kcs::problem::cancelled;
      return finish(kcs::outcome::failed);
    }
    if (problem_ == kcs::problem::response_too_long) return finish(kcs::outcome::failed);
    // A length error is final only if it is this request's: one left over from an earlier
    // transfer (a resync, a device found in ERROR) says nothing about the request.
    if (error_code_ == kcs::error_code::length_error && request_begun_) {
      problem_ = kcs::problem::device_error;
      return finish(kcs::outcome::failed);
    }
    if (problem_ == kcs::problem::none) {  // a resync after reset(): now the request itself
      return begin_request(now);
    }
    if (attempts_ > cfg_.max_retries) return finish(kcs::outcome::failed);
    ++attempts_;
    ++stats_.retries;
    begin_request(now);
  }

  [[nodiscard]] constexpr bool aborting() const noexcept { return stage_ >= stage::abort_wait_ibf; }

  // --- beginnings and the end ------------------------------------------------------------------

  constexpr void begin_request(time_point now) noexcept {
    request_begun_ = false;
    written_ = 0;
    response_length_ = 0;
    wait(stage::wait_idle_ibf, wait_kind::ibf, now);
  }

  constexpr void begin_abort(time_point now) noexcept {
    ++stats_.aborts;
    wait(stage::abort_wait_ibf, wait_kind::ibf, now);
  }

  constexpr void end_of_response() noexcept {
    if (response_length_ < response_view::min_size) {
      problem_ = kcs::problem::response_too_short;
      return finish(kcs::outcome::failed);
    }
    finish(kcs::outcome::done);
  }

  // --- the accesses a state asks for, and the waits --------------------------------------------

  [[nodiscard]] static constexpr std::uint8_t code(control_code c) noexcept {
    return static_cast<std::uint8_t>(c);
  }
  constexpr void read(stage s) noexcept {
    stage_ = s;
    action_ = action{access::read_data, 0, false};
  }
  // A write leads into the Status wait `s` (under IBF's limit unless `kind` says otherwise),
  // which begins once the write is made.
  constexpr void write_command(control_code c, stage s) noexcept {
    stage_ = s;
    wait_kind_ = wait_kind::ibf;
    action_ = action{access::write_command, code(c), false};
  }
  constexpr void write_data(std::uint8_t value, stage s, wait_kind kind = wait_kind::ibf) noexcept {
    stage_ = s;
    wait_kind_ = kind;
    action_ = action{access::write_data, value, false};
  }
  constexpr void wait(stage s, wait_kind kind, time_point now) noexcept {
    stage_ = s;
    wait_kind_ = kind;
    begin_wait(now);
  }
  constexpr void begin_wait(time_point now) noexcept {
    action_ = action{access::read_status, 0, false};
    this->start_clock(now);
  }
  // IBF=0 and the state is right, but OBF is not set yet: a wait that began for IBF goes on as
  // an OBF wait with its own clock; the response wait (the BMC's work) keeps its clock.
  constexpr void wait_for_obf(time_point now) noexcept {
    poll_again(wait_kind_ == wait_kind::response ? wait_kind::response : wait_kind::obf, now);
  }
  // The wait's condition does not hold yet: time out, or read Status again (under `kind`'s
  // limit, from now on if that is another one).
  constexpr void poll_again(wait_kind kind, time_point now) noexcept {
    if (kind == wait_kind_ && wait_expired(now)) return trouble(timeout_problem(), now);
    if (kind != wait_kind_) {
      wait_kind_ = kind;
      this->start_clock(now);
    }
    this->keep_polling();
  }
  [[nodiscard]] constexpr bool wait_expired(time_point now) const noexcept {
    return base::wait_expired(now, wait_limit(), cfg_.max_polls);
  }
  [[nodiscard]] constexpr duration wait_limit() const noexcept {
    switch (wait_kind_) {
      case wait_kind::ibf: return cfg_.ibf_timeout;
      case wait_kind::obf: return cfg_.obf_timeout;
      case wait_kind::response: return cfg_.response_timeout;
    }
    return cfg_.ibf_timeout;
  }
  [[nodiscard]] constexpr kcs::problem timeout_problem() const noexcept {
    switch (wait_kind_) {
      case wait_kind::ibf: return kcs::problem::ibf_timeout;
      case wait_kind::obf: return kcs::problem::obf_timeout;
      case wait_kind::response: return kcs::problem::response_timeout;
    }
    return kcs::problem::ibf_timeout;
  }

  using base::action_;
  using base::attempts_;
  using base::cancelling_;
  using base::finish;
  using base::outcome_;
  using base::polls_;
  using base::problem_;
  using base::response_;
  using base::response_length_;
  using base::stats_;
  using base::wait_since_;

  config cfg_{};
  stage stage_ = stage::none;
  wait_kind wait_kind_ = wait_kind::ibf;
  kcs::error_code error_code_ = kcs::error_code::no_error;
  kcs::status last_status_{};
  unsigned abort_attempts_ = 0;
  bool end_sent_ = false;
  bool resync_ = false;
  bool request_begun_ = false;  // this attempt's WRITE_START was asked for
  std::size_t written_ = 0;     // request bytes asked for
  std::size_t request_length_ = 0;
  std::array<std::uint8_t, Capacity> request_{};
};

using host = basic_host<>;

// ---------------------------------------------------------------------------------------------
// Driving a host over a register interface

/// Anything with the four KCS register operations: kcs::device, a port-I/O or qtest adaptor.
template <class Bus>
concept register_bus = requires(Bus& b, std::uint8_t v) {
  { b.read_status() } -> std::convertible_to<std::uint8_t>;
  { b.read_data() } -> std::convertible_to<std::uint8_t>;
  b.write_command(v);
  b.write_data(v);
};

/// Makes the access `a` on `bus`; returns the value read (0 for writes).
template <register_bus Bus>
constexpr std::uint8_t perform(Bus& bus, const action& a) {
  switch (a.kind) {
    case access::read_status: return static_cast<std::uint8_t>(bus.read_status());
    case access::read_data: return static_cast<std::uint8_t>(bus.read_data());
    case access::write_command: bus.write_command(a.value); return 0;
    case access::write_data: bus.write_data(a.value); return 0;
    case access::none: break;
  }
  return 0;
}

/// `kcs::drive(host, bus, now, max_accesses)` runs `host` over `bus` until it is no longer busy
/// or `max_accesses` accesses were made; `now()` gives the time after each access. If the bus
/// has `idle()`, it is called before each repeated poll (the place to let an in-memory BMC work,
/// or to sleep). Returns the outcome (busy if the access budget ran out).
using si::drive;

}  // namespace ipmikit::kcs
