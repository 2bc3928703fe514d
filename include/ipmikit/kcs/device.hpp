// ipmikit/kcs/device.hpp — the KCS register file a host sees, and the BMC behind it.
//
// What an emulator (QEMU's isa-ipmi-kcs) or a BMC (Linux kcs_bmc) implements. Host-facing:
// `read_status`, `write_command`, `write_data`, `read_data` (or `read`/`write` by register
// offset). BMC-facing: `pending_request()` once a complete request has been written,
// `respond(id, bytes)`, `set_attention`, `force_abort`, and the interrupt line `irq()`.
// No I/O, no clock, no heap: every call is a few comparisons and stores.
//
// ## Theory of operation (IPMI v2.0 §9.15, flow charts Figures 9-6 to 9-8)
//
// Every host write sets IBF and is handled by `service()`; by default the device services each
// write at once, so a host never sees IBF set. With `config::deferred` the write stays latched
// (IBF=1, C/D showing which register) until the BMC calls `service()`, the way firmware
// answers the IBF interrupt of a real controller. The phases:
//
//   phase          status state  entered by                          next host write accepted
//   idle           IDLE          reset, end of a read or an abort    WRITE_START
//   write          WRITE         WRITE_START                         data bytes, WRITE_END
//   write_last     WRITE         WRITE_END                           the request's last byte
//   wait_response  READ          the last byte: request_ready        (nothing; BMC works)
//   read           READ          respond()                           READ (0x68) per byte
//   abort_status   WRITE         GET_STATUS/ABORT                    the 0x00 byte
//   abort_read     READ          the 0x00 byte: status code sent     READ → IDLE, dummy byte
//   error          ERROR         a protocol error                    GET_STATUS/ABORT, WRITE_START
//
// Every accepted write in the write phase, and every step of the abort sequence, puts the
// dummy byte 0x00 in Data_Out and sets OBF (the spec allows it; Linux's BMC does it and hosts
// clear OBF before each write). The last request byte sets READ without OBF: OBF comes with
// the first response byte. After the last response byte the host's READ gets IDLE and a dummy
// byte (the handshake that ends the read phase).
//
// ## Rules for bad host behaviour (each has a named test in tests/kcs_device_test.cpp)
//
// - GET_STATUS/ABORT is accepted in every phase, including error. The status code returned
//   is the first error since the last WRITE_START or completed abort sequence if there was
//   one, else aborted_by_command when a transfer was in progress, else no_error (nothing was
//   aborted; a repeated abort is no transfer).
// - WRITE_START is accepted in every phase (Linux kcs_bmc does the same): it abandons what
//   was in progress and clears the error code.
// - WRITE_END outside the write phase, READ or any unknown code written to Command: ERROR,
//   illegal_control_code.
// - A data byte in the read phase that is not READ: ERROR, illegal_control_code.
// - A data byte while idle, while the BMC works on a request, or in error: ERROR, unspecified.
// - A request longer than `Capacity`: ERROR, length_error, at the byte that does not fit.
// - A host write while IBF is set (deferred mode only): the write is dropped and counted, and
//   the latched write is replaced by an error (ERROR, unspecified) so that the host learns its
//   request was damaged — except GET_STATUS/ABORT, which always replaces the latched write.
// - The byte in step 2 of the abort sequence and the READ of step 3 are accepted whatever
//   their value (Linux kcs_bmc and QEMU do the same).
// - Entering ERROR drops the request being written or served; if the BMC had it, the request
//   is cancelled (`event::request_cancelled`) and a later `respond` for it is refused.
//
// Deviations from QEMU's model (docs/kcs.md has the full list, measured by
// tests/interop/kcs_differential_test.cpp): QEMU never sets C/D, keeps IBF set from the last
// request byte until the BMC answers and drops every host write meanwhile (even ABORT), reports
// aborted_by_command even when nothing was aborted, and answers a few illegal sequences
// differently.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "../detail/enum_name.hpp"
#include "../message.hpp"
#include "../si/interface.hpp"
#include "registers.hpp"

namespace ipmikit::kcs {

// ---------------------------------------------------------------------------------------------
// Types

// The vocabulary shared by every system interface (si/interface.hpp): `event` (here only
// none, request_ready and request_cancelled occur), `device_error`, `device_request`.
using si::device_error;
using si::device_request;
using si::event;
using si::name;

/// The device's transfer phase (see the table at the top of this header).
enum class device_phase : std::uint8_t {
  idle,
  write,
  write_last,
  wait_response,
  read,
  abort_status,
  abort_read,
  error,
};

[[nodiscard]] constexpr std::string_view name(device_phase p) noexcept {
  return ipmikit::detail::enum_name<device_phase, 8>(
      p, {"idle", "write", "write_last", "wait_response", "read", "abort_status", "abort_read", "error"});
}

struct device_stats : si::device_stats {
  // requests, responses, responses_refused, cancelled: see si::device_stats
  std::uint64_t aborts = 0;            // GET_STATUS/ABORT control codes
  std::uint64_t errors = 0;            // entries into the error state
  std::uint64_t overruns = 0;          // host writes while IBF was set (deferred mode)
  std::uint64_t stray_data_reads = 0;  // Data_Out reads while OBF was clear
};

// ---------------------------------------------------------------------------------------------
// The device

template <std::size_t Capacity = default_capacity>
class basic_device {
  static_assert(Capacity >= response_view::min_size, "a KCS device must hold at least netfn/LUN, cmd and a byte");

 public:
  static constexpr std::size_t capacity = Capacity;

  struct config {
    /// Keep each host write latched (IBF=1) until service() is called, instead of servicing
    /// it inside the write call.
    bool deferred = false;
  };

  constexpr basic_device() noexcept = default;
  constexpr explicit basic_device(const config& cfg) noexcept : cfg_(cfg) {}

  // --- host side: the two registers ------------------------------------------------------------

  /// Reads the status register. Acknowledges a pending attention interrupt (as QEMU does).
  [[nodiscard]] constexpr kcs::status read_status() noexcept {
    atn_irq_ = false;
    return peek_status();
  }

  /// Reads Data_Out and clears OBF. With OBF already clear the host gets the stale byte.
  [[nodiscard]] constexpr std::uint8_t read_data() noexcept {
    if (!obf_) ++stats_.stray_data_reads;
    obf_ = false;
    return data_out_;
  }

  /// Writes the Command register (a control code). Returns what the BMC must learn.
  constexpr event write_command(std::uint8_t code) noexcept { return latch(true, code); }
  constexpr event write_command(control_code code) noexcept {
    return write_command(static_cast<std::uint8_t>(code));
  }

  /// Writes Data_In (a request byte, READ, or the abort sequence's 0x00).
  constexpr event write_data(std::uint8_t value) noexcept { return latch(false, value); }

  /// The same four operations by register offset, for an emulator's I/O dispatch.
  [[nodiscard]] constexpr std::uint8_t read(register_offset r) noexcept {
    return r == register_offset::data ? read_data() : read_status().value;
  }
  constexpr event write(register_offset r, std::uint8_t value) noexcept {
    return r == register_offset::data ? write_data(value) : write_command(value);
  }

  /// The status register without side effects (for tracing and tests).
  [[nodiscard]] constexpr kcs::status peek_status() const noexcept {
    std::uint8_t flags = oem_;
    if (obf_) flags |= status_bit::obf;
    if (ibf_) flags |= status_bit::ibf;
    if (attention_) flags |= status_bit::sms_atn;
    if (command_data_) flags |= status_bit::command_data;
    return kcs::status(state_, flags);
  }

  // --- BMC side --------------------------------------------------------------------------------

  /// Deferred mode: handles the latched host write, if any. Always safe to call.
  constexpr event service() noexcept {
    if (!ibf_) return event::none;
    ibf_ = false;
    if (overrun_) {
      overrun_ = false;
      return enter_error(error_code::unspecified);
    }
    return latched_is_command_ ? on_command(latched_) : on_data(latched_);
  }

  /// The request waiting for a response, if any.
  [[nodiscard]] constexpr std::optional<device_request> pending_request() const noexcept {
    if (phase_ != device_phase::wait_response) return std::nullopt;
    return device_request{request_id_, std::span<const std::uint8_t>(buffer_.data(), length_)};
  }

  /// Answers request `id` with `bytes` (netfn<<2|lun, cmd, completion code, data…). The first
  /// byte goes to Data_Out at once; the host's READ bytes pace the rest. A refused response
  /// changes nothing.
  constexpr device_error respond(std::uint32_t id, std::span<const std::uint8_t> bytes) noexcept {
    const device_error e = check_response(id, bytes.size());
    if (e != device_error::ok) {
      ++stats_.responses_refused;
      return e;
    }
    std::copy(bytes.begin(), bytes.end(), buffer_.begin());
    length_ = bytes.size();
    position_ = 1;
    phase_ = device_phase::read;
    set_output(state::read, buffer_[0]);
    ++stats_.responses;
    return device_error::ok;
  }

  /// SMS_ATN: the BMC has something for system software (IPMI v2.0 §9.7). Setting it raises
  /// the interrupt line until the host reads the status register (QEMU's behaviour), unless
  /// `interrupt` is false (QEMU's VM command ATTN, as opposed to ATTN_IRQ).
  constexpr void set_attention(bool on, bool interrupt = true) noexcept {
    if (on && !attention_ && interrupt) atn_irq_ = true;
    if (!on) atn_irq_ = false;
    attention_ = on;
  }
  [[nodiscard]] constexpr bool attention() const noexcept { return attention_; }

  /// The two OEM status bits (OEM1 = bit 0 of `bits`, OEM2 = bit 1).
  constexpr void set_oem_bits(std::uint8_t bits) noexcept {
    oem_ = static_cast<std::uint8_t>((bits & 3u) << 4);
  }

  /// Interrupt enable (the host's Set BMC Global Enables, or QEMU's VM command 0x05/0x06).
  constexpr void set_interrupts_enabled(bool on) noexcept { irq_enabled_ = on; }
  [[nodiscard]] constexpr bool interrupts_enabled() const noexcept { return irq_enabled_; }

  /// The interrupt line (level): OBF, or a fresh attention, while interrupts are enabled.
  [[nodiscard]] constexpr bool irq() const noexcept { return irq_enabled_ && (obf_ || atn_irq_); }

  /// The BMC gives up on the current transfer (Linux IPMI_BMC_IOCTL_FORCE_ABORT): ERROR state
  /// with `why` as the status code the host's GET_STATUS/ABORT will read.
  constexpr event force_abort(error_code why = error_code::unspecified) noexcept {
    return enter_error(why);
  }

  /// Back to the power-on state (idle, nothing latched, attention and interrupts off).
  /// Statistics are kept; a request the BMC had is cancelled.
  constexpr event reset() noexcept {
    const bool had = phase_ == device_phase::wait_response || phase_ == device_phase::read;
    const auto kept = stats_;
    const auto id = request_id_;
    *this = basic_device(cfg_);
    stats_ = kept;
    request_id_ = id;
    if (had) ++stats_.cancelled;
    return had ? event::request_cancelled : event::none;
  }

  [[nodiscard]] constexpr device_phase phase() const noexcept { return phase_; }
  [[nodiscard]] constexpr error_code last_error() const noexcept { return error_; }
  [[nodiscard]] constexpr const device_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] constexpr const config& settings() const noexcept { return cfg_; }

 private:
  constexpr event latch(bool is_command, std::uint8_t value) noexcept {
    command_data_ = is_command;
    if (ibf_) {
      ++stats_.overruns;
      if (is_command && value == static_cast<std::uint8_t>(control_code::get_status_abort)) {
        latched_is_command_ = true;
        latched_ = value;
        overrun_ = false;
      } else {
        overrun_ = true;
      }
      return event::none;
    }
    ibf_ = true;
    latched_is_command_ = is_command;
    latched_ = value;
    return cfg_.deferred ? event::none : service();
  }

  [[nodiscard]] constexpr bool serving() const noexcept {
    return phase_ == device_phase::wait_response || phase_ == device_phase::read;
  }

  // Drops the request in progress; reports a cancellation if the BMC had it.
  constexpr event drop_request() noexcept {
    const bool had = serving();
    length_ = 0;
    position_ = 0;
    if (!had) return event::none;
    ++request_id_;  // a late respond() for the old id is now stale
    ++stats_.cancelled;
    return event::request_cancelled;
  }

  constexpr void set_output(state s, std::uint8_t byte) noexcept {
    state_ = s;
    data_out_ = byte;
    obf_ = true;
  }

  constexpr event enter_error(error_code why) noexcept {
    const event e = drop_request();
    if (error_ == error_code::no_error) error_ = why;
    phase_ = device_phase::error;
    set_output(state::error, dummy_byte);
    ++stats_.errors;
    return e;
  }

  constexpr event on_command(std::uint8_t code) noexcept {
    switch (static_cast<control_code>(code)) {
      case control_code::get_status_abort: {
        ++stats_.aborts;
        // A repeated abort reports what the first one would have: an abort is no transfer.
        const bool in_transfer = phase_ == device_phase::write || phase_ == device_phase::write_last ||
                                 serving();
        const event e = drop_request();
        if (error_ == error_code::no_error && in_transfer) error_ = error_code::aborted_by_command;
        phase_ = device_phase::abort_status;
        set_output(state::write, dummy_byte);
        return e;
      }
      case control_code::write_start: {
        const event e = drop_request();
        error_ = error_code::no_error;
        phase_ = device_phase::write;
        set_output(state::write, dummy_byte);
        return e;
      }
      case control_code::write_end:
        if (phase_ != device_phase::write) return enter_error(error_code::illegal_control_code);
        phase_ = device_phase::write_last;
        set_output(state::write, dummy_byte);
        return event::none;
      case control_code::read: break;  // READ belongs in Data_In
    }
    return enter_error(error_code::illegal_control_code);
  }

  constexpr event on_data(std::uint8_t value) noexcept {
    switch (phase_) {
      case device_phase::write:
      case device_phase::write_last:
        if (length_ == Capacity) return enter_error(error_code::length_error);
        buffer_[length_++] = value;
        if (phase_ == device_phase::write) {
          set_output(state::write, dummy_byte);
          return event::none;
        }
        phase_ = device_phase::wait_response;
        state_ = state::read;  // OBF comes with the first response byte
        ++request_id_;
        ++stats_.requests;
        return event::request_ready;
      case device_phase::read:
        if (value != static_cast<std::uint8_t>(control_code::read))
          return enter_error(error_code::illegal_control_code);
        if (position_ < length_) {
          set_output(state::read, buffer_[position_++]);
        } else {
          phase_ = device_phase::idle;
          length_ = position_ = 0;
          set_output(state::idle, dummy_byte);
        }
        return event::none;
      case device_phase::abort_status:
        phase_ = device_phase::abort_read;
        set_output(state::read, static_cast<std::uint8_t>(error_));
        return event::none;
      case device_phase::abort_read:
        phase_ = device_phase::idle;
        error_ = error_code::no_error;
        set_output(state::idle, dummy_byte);
        return event::none;
      case device_phase::idle:
      case device_phase::wait_response:
      case device_phase::error:
        break;
    }
    return enter_error(error_code::unspecified);
  }

  [[nodiscard]] constexpr device_error check_response(std::uint32_t id,
                                                      std::size_t size) const noexcept {
    if (phase_ != device_phase::wait_response) return device_error::no_request;
    if (id != request_id_) return device_error::stale_request;
    if (size < response_view::min_size) return device_error::response_too_short;
    if (size > Capacity) return device_error::response_too_long;
    return device_error::ok;
  }

  config cfg_{};
  device_phase phase_ = device_phase::idle;
  state state_ = state::idle;
  error_code error_ = error_code::no_error;
  bool obf_ = false;
  bool ibf_ = false;
  bool command_data_ = false;
  bool attention_ = false;
  bool atn_irq_ = false;
  bool irq_enabled_ = false;
  bool latched_is_command_ = false;
  bool overrun_ = false;
  std::uint8_t latched_ = 0;
  std::uint8_t data_out_ = 0;
  std::uint8_t oem_ = 0;
  std::uint32_t request_id_ = 0;
  std::size_t length_ = 0;    // request bytes written, or response length
  std::size_t position_ = 0;  // response bytes handed to Data_Out
  std::array<std::uint8_t, Capacity> buffer_{};  // the request, then the response
  device_stats stats_{};
};

using device = basic_device<>;

}  // namespace ipmikit::kcs
