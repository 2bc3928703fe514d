// ipmikit/ssif/device.hpp — the SSIF slave a host talks to over SMBus, and the BMC behind it.
//
// What an emulator (QEMU's smbus-ipmi) or a BMC (Linux ssif_bmc on an I²C slave controller)
// implements. Host-facing: `block_write(command, data, pec)` and `block_read(command, out)`,
// one call per SMBus transfer, each acknowledged or not. BMC-facing: `pending_request()` once a
// whole request has been written, `respond(id, bytes)`, `set_attention`, and the SMBALERT# line
// `irq()`. No I/O, no clock, no heap.
//
// ## Theory of operation (IPMI v2.0 §12; ssif.md §1–§5)
//
// A request is written as one Block Write (02h) or as 06h, 07h…, 08h; the write that completes
// it hands it to the BMC (`event::request_ready`). Until the BMC answers, Block Reads are NAKed
// (the host polls; ssif_bmc does the same). The answer is read with 03h, in one block if it is
// ≤ 32 bytes, else as 00h 01h + 30 bytes and then 09h blocks (ssif.md §2). A finished response
// stays readable with 03h until the next request (a host whose read failed its PEC check reads
// it again; QEMU does the same). Get System Interface Capabilities for SSIF is answered by the
// device itself, as QEMU does, since only the device knows its sizes and PEC.
//
// PEC: a write that carries a PEC byte is checked (a mismatch is NAKed, nothing changes, and
// the host sends it again); once a host has used PEC, or with `config::pec`, reads carry one.
//
// ## Rules for bad host behaviour (each has a named test in tests/ssif_device_test.cpp)
//
// Every refused transfer is NAKed and `fault()` says why; a write that breaks a request off
// also returns `event::request_rejected` (counted in `rejected`), as KCS and BT report theirs.
// - Over 32 data bytes, a single-part request shorter than NetFn/LUN and Cmd, a start that is
//   not exactly 32 bytes, or a request longer than the device's capacity: `bad_length`.
// - A middle or end with no start before it: `out_of_order` (rejected).
// - A multi-part request not allowed by `config::transactions`: `not_supported` (rejected).
// - A start or a single-part write while a multi-part write is unfinished: the unfinished one is
//   abandoned (counted in `writes_abandoned`) and the new one taken.
// - Any other command: `unsupported_command` (0Ah too: ssif.md §1).
// - A write PEC that does not match: `pec_mismatch`, counted; nothing changes.
// - A read with no response ready (none asked for, or the BMC still working): `not_ready`.
//   09h with no multi-part read under way: `out_of_order`.
// - A new request while the BMC has not answered the last one: the new one replaces it
//   (`event::request_replaced`; the old id is refused as stale), as after a host's timeout.
//   A new request also discards a response the host has not read (counted in
//   `responses_unread`): the host has given up on it.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "../cmd/app.hpp"
#include "../detail/enum_name.hpp"
#include "../message.hpp"
#include "../si/interface.hpp"
#include "protocol.hpp"

namespace ipmikit::ssif {

// ---------------------------------------------------------------------------------------------
// Types

// The vocabulary shared by every system interface (si/interface.hpp).
using si::device_error;
using si::event;
using si::name;

/// Why the device NAKed a transfer. The last one is kept in device::fault().
enum class fault : std::uint8_t {
  none = 0,
  unsupported_command = 1,  // not an SSIF command for this direction (or 0Ah)
  bad_length = 2,           // see the rules above
  out_of_order = 3,         // a middle/end without a start; 09h without a multi-part read
  not_supported = 4,        // a multi-part transfer config::transactions does not allow
  pec_mismatch = 5,         // the write's PEC is wrong
  not_ready = 6,            // a read with no response to give
};

[[nodiscard]] constexpr std::string_view name(fault f) noexcept {
  return ipmikit::detail::enum_name<fault, 7>(
      f, {"none", "unsupported_command", "bad_length", "out_of_order", "not_supported", "pec_mismatch", "not_ready"});
}

/// A Block Write's outcome: acknowledged or not, what the BMC must know, and why not.
struct write_result {
  bool ack = false;
  si::event event = si::event::none;
  ssif::fault fault = ssif::fault::none;
};

/// A Block Read's outcome: if acknowledged, `count` bytes were put in the caller's block and
/// `pec` is the PEC to send after them (when the device sends one).
struct read_result {
  bool ack = false;
  std::uint8_t count = 0;
  std::optional<std::uint8_t> pec;
  ssif::fault fault = ssif::fault::none;
};

struct device_stats : si::device_stats {
  // requests, responses, responses_refused, cancelled: see si::device_stats
  std::uint64_t writes = 0;            // Block Writes acknowledged
  std::uint64_t reads = 0;             // Block Reads acknowledged
  std::uint64_t not_ready = 0;         // reads NAKed because no response was ready (host polls)
  std::uint64_t rejected = 0;          // writes that broke a request off (event::request_rejected)
  std::uint64_t refused = 0;           // transfers NAKed for any other fault
  std::uint64_t pec_errors = 0;        // writes whose PEC did not match
  std::uint64_t writes_abandoned = 0;  // multi-part writes a new request interrupted
  std::uint64_t responses_unread = 0;  // responses discarded by a new request before being read
  std::uint64_t rereads = 0;           // 03h reads of a response already read to its end
  std::uint64_t capabilities = 0;      // Get System Interface Capabilities answered by the device
};

// ---------------------------------------------------------------------------------------------
// The device

template <std::size_t Capacity = max_message>
class basic_device {
  static_assert(Capacity >= block_size, "an SSIF device must hold a single-part message");

 public:
  static constexpr std::size_t capacity = Capacity;
  /// The longest request or response this device carries (a byte counts at most 255).
  static constexpr std::size_t max_body = std::min<std::size_t>(Capacity, max_message);

  struct config {
    /// The 7-bit slave address (for PEC).
    std::uint8_t address = default_address;
    /// Which multi-part transfers the device takes and sends (Get System Interface Capabilities).
    cmd::ssif_transaction_support transactions = cmd::ssif_transaction_support::start_middle_end;
    /// Advertise PEC and send it with every read (otherwise only once the host has used it).
    bool pec = false;
    /// Answer Get System Interface Capabilities (SSIF) here instead of asking the BMC.
    bool answer_capabilities = true;
  };

  constexpr basic_device() noexcept = default;
  constexpr explicit basic_device(const config& cfg) noexcept : cfg_(cfg) {}

  /// The longest request the device takes, and response it sends, as it advertises them.
  [[nodiscard]] constexpr std::size_t max_request() const noexcept { return limit(true); }
  [[nodiscard]] constexpr std::size_t max_response() const noexcept { return limit(false); }

  // --- host side -------------------------------------------------------------------------------

  /// An SMBus Block Write: `command`, then the count and `data`; `pec` if the host sent one.
  constexpr write_result block_write(std::uint8_t command, std::span<const std::uint8_t> data,
                                     std::optional<std::uint8_t> pec = std::nullopt) noexcept {
    if (pec) {
      if (*pec != write_pec(cfg_.address, command, data)) {
        ++stats_.pec_errors;
        return refuse(fault::pec_mismatch);
      }
      host_uses_pec_ = true;
    }
    if (data.size() > block_size) return reject(fault::bad_length);
    switch (static_cast<smbus_command>(command)) {
      case smbus_command::write_single:
        abandon_write();
        if (data.size() < request_view::min_size) return reject(fault::bad_length);
        std::copy(data.begin(), data.end(), incoming_.begin());
        incoming_length_ = data.size();
        return accepted(take_request());
      case smbus_command::write_start:
        if (!multi_part_allowed()) return reject(fault::not_supported);
        abandon_write();
        if (data.size() != block_size) return reject(fault::bad_length);
        std::copy(data.begin(), data.end(), incoming_.begin());
        incoming_length_ = data.size();
        writing_ = true;
        return accepted(event::none);
      case smbus_command::write_middle:
      case smbus_command::write_end: {
        if (!writing_) return reject(fault::out_of_order);
        const bool middle = command == static_cast<std::uint8_t>(smbus_command::write_middle);
        // A middle part is only for start/middle/end; QEMU ends a message on a short middle.
        if (middle && cfg_.transactions != cmd::ssif_transaction_support::start_middle_end &&
            data.size() == block_size)
          return reject(fault::not_supported);
        if (incoming_length_ + data.size() > max_request()) return reject(fault::bad_length);
        std::copy(data.begin(), data.end(), incoming_.begin() + static_cast<std::ptrdiff_t>(incoming_length_));
        incoming_length_ += data.size();
        if (middle && data.size() == block_size) return accepted(event::none);
        writing_ = false;
        return accepted(take_request());
      }
      default: return refuse(fault::unsupported_command);
    }
  }

  /// An SMBus Block Read with `command`: fills `out` with the block (count bytes after the
  /// count byte) and says whether it was acknowledged.
  constexpr read_result block_read(std::uint8_t command, std::span<std::uint8_t, block_size> out) noexcept {
    std::size_t n = 0;
    switch (static_cast<smbus_command>(command)) {
      case smbus_command::read_start:
        if (pending_ || response_length_ == 0) {
          ++stats_.not_ready;
          return {false, 0, std::nullopt, note(fault::not_ready)};
        }
        if (response_read_) ++stats_.rereads;
        if (response_length_ <= block_size) {
          n = copy_response(out, 0, response_length_, 0);
          finish_read();
        } else {
          out[0] = first_block_marker[0];
          out[1] = first_block_marker[1];
          n = copy_response(out, 2, first_block_data, 0);
          read_offset_ = first_block_data;
          next_block_ = 0;
          reading_ = true;
        }
        break;
      case smbus_command::read_next: {
        if (!reading_) {
          ++stats_.refused;
          return {false, 0, std::nullopt, note(fault::out_of_order)};
        }
        const std::size_t left = response_length_ - read_offset_;
        if (left > next_block_data) {
          out[0] = next_block_++;
          n = copy_response(out, 1, next_block_data, read_offset_);
          read_offset_ += next_block_data;
        } else {
          out[0] = last_block_marker;
          n = copy_response(out, 1, left, read_offset_);
          finish_read();
        }
        break;
      }
      default:
        ++stats_.refused;
        return {false, 0, std::nullopt, note(fault::unsupported_command)};
    }
    ++stats_.reads;
    const auto block = std::span<const std::uint8_t>(out.data(), n);
    std::optional<std::uint8_t> pec;
    if (cfg_.pec || host_uses_pec_) pec = read_pec(cfg_.address, command, block);
    return {true, static_cast<std::uint8_t>(n), pec, note(fault::none)};
  }

  // --- BMC side --------------------------------------------------------------------------------

  /// Requests are taken when the write that completes them ends; nothing waits for service().
  constexpr event service() noexcept { return event::none; }

  /// The request waiting for a response, if any.
  [[nodiscard]] constexpr std::optional<si::device_request> pending_request() const noexcept {
    if (!pending_) return std::nullopt;
    return si::device_request{request_id_, std::span<const std::uint8_t>(request_.data(), request_length_)};
  }

  /// Answers request `id` with `bytes` (netfn<<2|lun, cmd, completion code, data…): readable
  /// from the next 03h read. A refused response changes nothing.
  constexpr device_error respond(std::uint32_t id, std::span<const std::uint8_t> bytes) noexcept {
    device_error e = device_error::ok;
    if (!pending_) e = device_error::no_request;
    else if (id != request_id_) e = device_error::stale_request;
    else if (bytes.size() < response_view::min_size) e = device_error::response_too_short;
    else if (bytes.size() > max_response()) e = device_error::response_too_long;
    if (e != device_error::ok) {
      ++stats_.responses_refused;
      return e;
    }
    publish(bytes);
    pending_ = false;
    ++stats_.responses;
    return device_error::ok;
  }

  /// The BMC has a message or event for system software (SMS_ATN; the host learns it from Get
  /// Message Flags). With `interrupt` and interrupts enabled it also asserts SMBALERT#.
  constexpr void set_attention(bool on, bool interrupt = true) noexcept {
    attention_ = on;
    attention_alert_ = on && interrupt;
  }
  [[nodiscard]] constexpr bool attention() const noexcept { return attention_; }

  /// The BMC's interrupt enable (Set BMC Global Enables, or QEMU's VM commands 0x05/0x06).
  constexpr void set_interrupts_enabled(bool on) noexcept { interrupts_enabled_ = on; }
  [[nodiscard]] constexpr bool interrupts_enabled() const noexcept { return interrupts_enabled_; }

  /// SMBALERT# (level): interrupts enabled and a response not yet read, or an attention raised
  /// with `interrupt` (Linux ipmi_ssif uses the alert to stop polling: ssif.md §4).
  [[nodiscard]] constexpr bool irq() const noexcept {
    return interrupts_enabled_ && ((response_length_ != 0 && !response_read_ && !pending_) || attention_alert_);
  }

  /// Back to the power-on state (statistics kept). A request whose transaction was not
  /// finished (unanswered, or its response not read to its end) is cancelled; a later
  /// respond() for it is refused.
  constexpr event reset() noexcept {
    // The device's own answer (Get System Interface Capabilities) was never the BMC's request.
    const bool had = pending_ || (response_length_ != 0 && !response_read_ && !own_answer_);
    const auto kept = stats_;
    const auto id = request_id_;
    *this = basic_device(cfg_);
    stats_ = kept;
    request_id_ = id + 1;
    if (had) ++stats_.cancelled;
    return had ? event::request_cancelled : event::none;
  }

  [[nodiscard]] constexpr const device_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] constexpr const config& settings() const noexcept { return cfg_; }
  /// Why the last transfer was NAKed (none if it was acknowledged).
  [[nodiscard]] constexpr ssif::fault fault() const noexcept { return fault_; }
  /// True while a multi-part write is under way (its start was taken, its end not yet).
  [[nodiscard]] constexpr bool writing() const noexcept { return writing_; }
  /// True while a multi-part read is under way (more 09h blocks to read).
  [[nodiscard]] constexpr bool reading() const noexcept { return reading_; }

 private:
  [[nodiscard]] constexpr bool multi_part_allowed() const noexcept {
    return cfg_.transactions != cmd::ssif_transaction_support::single_part;
  }

  // The sizes by transaction support: one block; a start and an end (a response's first and
  // last blocks); or the device's capacity.
  [[nodiscard]] constexpr std::size_t limit(bool request) const noexcept {
    switch (cfg_.transactions) {
      case cmd::ssif_transaction_support::single_part: return block_size;
      case cmd::ssif_transaction_support::start_end:
        return std::min(max_body, request ? 2 * block_size : first_block_data + next_block_data);
      case cmd::ssif_transaction_support::start_middle_end: break;
    }
    return max_body;
  }

  constexpr ssif::fault note(ssif::fault f) noexcept { return fault_ = f; }

  constexpr write_result accepted(event e) noexcept {
    ++stats_.writes;
    note(fault::none);
    return {true, e, fault::none};
  }
  constexpr write_result refuse(ssif::fault f) noexcept {
    if (f != fault::pec_mismatch) ++stats_.refused;
    return {false, event::none, note(f)};
  }
  // A write that breaks the request being written off: nothing of it reaches the BMC.
  constexpr write_result reject(ssif::fault f) noexcept {
    writing_ = false;
    incoming_length_ = 0;
    ++stats_.rejected;
    return {false, event::request_rejected, note(f)};
  }

  constexpr void abandon_write() noexcept {
    if (!writing_) return;
    writing_ = false;
    incoming_length_ = 0;
    ++stats_.writes_abandoned;
  }

  // A whole request was written: the device's own answer, or the BMC's request.
  constexpr event take_request() noexcept {
    // At least NetFn/LUN and Cmd: a 02h is checked before, a multi-part request has 32 bytes.
    const std::span<const std::uint8_t> request(incoming_.data(), incoming_length_);
    if (response_length_ != 0 && !response_read_) ++stats_.responses_unread;
    response_length_ = 0;
    reading_ = false;
    const bool had = pending_;
    pending_ = false;
    if (had) ++stats_.cancelled;
    if (cfg_.answer_capabilities && answers_capabilities(request)) {
      ++stats_.capabilities;
      return had ? event::request_cancelled : event::none;
    }
    ++request_id_;
    std::copy(request.begin(), request.end(), request_.begin());
    request_length_ = request.size();
    pending_ = true;
    ++stats_.requests;
    return had ? event::request_replaced : event::request_ready;
  }

  // Get System Interface Capabilities asked of SSIF (IPMI v2.0 §22.9): answered here, with
  // QEMU's answers to a missing (C7h) or non-SSIF (CCh) interface type (ssif.md §5).
  constexpr bool answers_capabilities(std::span<const std::uint8_t> request) noexcept {
    constexpr std::uint8_t app_request = 0x06 << 2;  // NetFn App (IPMI v2.0 §5.1)
    constexpr std::uint8_t get_system_interface_capabilities = 0x57;  // IPMI v2.0 §22.9
    if ((request[0] & 0xFC) != app_request || request[1] != get_system_interface_capabilities) return false;
    std::array<std::uint8_t, 7> answer{static_cast<std::uint8_t>(request[0] | 0x04), request[1], 0x00};
    std::size_t n = 3;
    if (request.size() < 3) {
      answer[2] = static_cast<std::uint8_t>(completion_code::request_data_length_invalid);
    } else if ((request[2] & 0x0F) != static_cast<std::uint8_t>(cmd::system_interface_type::ssif)) {
      answer[2] = static_cast<std::uint8_t>(completion_code::invalid_data_field);
    } else {
      answer[3] = 0x00;  // reserved
      answer[4] = static_cast<std::uint8_t>((static_cast<unsigned>(cfg_.transactions) << 6) | (cfg_.pec ? 0x08 : 0x00));
      answer[5] = static_cast<std::uint8_t>(max_request());
      answer[6] = static_cast<std::uint8_t>(max_response());
      n = answer.size();
    }
    publish(std::span<const std::uint8_t>(answer.data(), n));
    own_answer_ = true;
    return true;
  }

  constexpr void publish(std::span<const std::uint8_t> bytes) noexcept {
    std::copy(bytes.begin(), bytes.end(), response_.begin());
    response_length_ = bytes.size();
    response_read_ = false;
    reading_ = false;
    own_answer_ = false;
  }

  constexpr std::size_t copy_response(std::span<std::uint8_t, block_size> out, std::size_t at,
                                      std::size_t count, std::size_t from) const noexcept {
    std::copy_n(response_.begin() + static_cast<std::ptrdiff_t>(from), count,
                out.begin() + static_cast<std::ptrdiff_t>(at));
    return at + count;
  }

  constexpr void finish_read() noexcept {
    reading_ = false;
    response_read_ = true;
  }

  config cfg_{};
  bool writing_ = false;         // a multi-part write is under way
  bool pending_ = false;         // the BMC has a request to answer
  bool reading_ = false;         // a multi-part read is under way
  bool response_read_ = false;   // the response was read to its end (03h reads it again)
  bool host_uses_pec_ = false;   // a write carried a PEC: reads carry one from now on
  bool own_answer_ = false;      // the response is the device's own (capabilities), not the BMC's
  bool attention_ = false;
  bool attention_alert_ = false;
  bool interrupts_enabled_ = false;
  std::uint8_t next_block_ = 0;  // the number of the next middle block
  ssif::fault fault_ = ssif::fault::none;
  std::uint32_t request_id_ = 0;
  std::size_t incoming_length_ = 0;
  std::size_t request_length_ = 0;
  std::size_t response_length_ = 0;  // 0: no response to read
  std::size_t read_offset_ = 0;      // response bytes sent so far in a multi-part read
  std::array<std::uint8_t, Capacity> incoming_{};  // the request being written
  std::array<std::uint8_t, Capacity> request_{};   // the request the BMC has
  std::array<std::uint8_t, Capacity> response_{};  // the response the host reads
  device_stats stats_{};
};

using device = basic_device<>;

/// An in-memory SMBus with one SSIF device on it, for ssif::drive() (tests, benchmarks, an
/// emulator whose bus is a function call): each transfer goes straight to the device, with PEC
/// computed and checked as a bus controller would.
template <class Device>
struct device_bus {
  Device& device;
  std::array<std::uint8_t, block_size> block{};
};

template <class Device>
constexpr transfer_result perform(device_bus<Device>& bus, const action& a) noexcept {
  const auto command = static_cast<std::uint8_t>(a.command);
  const std::uint8_t address = bus.device.settings().address;
  switch (a.kind) {
    case access::block_write: {
      std::optional<std::uint8_t> pec;
      if (a.pec) pec = write_pec(address, command, a.data);
      const write_result w = bus.device.block_write(command, a.data, pec);
      if (w.ack) return {};
      return {w.fault == fault::pec_mismatch ? transfer_status::pec_error : transfer_status::nack, {}};
    }
    case access::block_read: {
      const read_result r = bus.device.block_read(command, bus.block);
      if (!r.ack) return {transfer_status::nack, {}};
      const std::span<const std::uint8_t> data(bus.block.data(), r.count);
      if (a.pec && (!r.pec || *r.pec != read_pec(address, command, data))) return {transfer_status::pec_error, data};
      return {transfer_status::ack, data};
    }
    case access::none:
    case access::wait: break;
  }
  return {};
}

}  // namespace ipmikit::ssif
