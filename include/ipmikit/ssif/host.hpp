// ipmikit/ssif/host.hpp — the host side of SSIF: a driver state machine that never touches a
// bus.
//
// What a host driver does (Linux ipmi_ssif, a firmware driver): `start(request, now)`, then ask
// `next()` which SMBus transfer to make (a Block Write, a Block Read, or a wait), make it over
// any SMBus controller and report it with `complete(now, result)`. The machine ends in `done`
// (the response is in `response()`) or `failed` (`problem()` says why; the next transaction
// may work). `ssif::drive()` runs it over anything `perform(bus, action)` serves: an
// ssif::device_bus, a qtest or i2c-dev adaptor.
//
// ## Theory of operation (IPMI v2.0 §12; Linux ipmi_ssif, ssif.md §1–§5, §8)
//
//   0 probe  at the first start() (config::query_capabilities), Get System Interface
//            Capabilities (SSIF) first: its answer sets the multi-part support, the largest
//            request and PEC (apply()). An error answer means single-part, 32 bytes, no PEC,
//            as Linux assumes. The caller's request follows in the same transaction.
//   1 write  02h with the whole request if it is ≤ 32 bytes; else 06h with 32 bytes, 07h with
//            32 bytes while more than 32 remain, 08h with the rest. A NAK (or a refused PEC)
//            sends the whole request again after `write_retry_interval` (Linux T6, 60 ms), at
//            most `max_write_retries` times (Linux SSIF_SEND_RETRIES 5): then failed,
//            write_refused.
//   2 wait   `first_read_delay` (Linux 5 ms), then 03h. A NAK means "not ready": read again
//            after `read_retry_interval` (Linux T3, 60 ms), at most `max_read_retries` times
//            (Linux SSIF_RECV_RETRIES 250, about 15 s): then failed, response_timeout.
//   3 read   a block of 32 bytes starting 00h 01h begins a multi-part read: 09h blocks
//            numbered 0, 1, … with 31 bytes each until one starting FFh (ssif.md §2). A block
//            out of sequence, a short middle block or a PEC error starts the read over with
//            03h (the device keeps the response until the next request), counted as a read
//            retry (problem bad_multipart or pec_error). Blocks past 255 bytes end the
//            transaction: failed, response_too_long.
//   4 match  the response must be at least NetFn/LUN, Cmd, cc, with the request's Cmd and
//            NetFn + 1 (Linux do_cmd); otherwise it is not ours (QEMU hands back the previous
//            response when the BMC is slow: ssif.md §6.1): dropped, counted, and the read
//            retried as if NAKed.
//
// SMBus transfers are atomic, so cancel() ends the transaction at once; a multi-part write it
// interrupted is abandoned by the device at the next start.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
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
using si::host_error;
using si::name;
using si::outcome;

/// What went wrong on the interface (remote errors). The last one is kept in problem().
enum class problem : std::uint8_t {
  none = 0,
  write_refused = 1,       // every attempt to write the request was NAKed (no device, or busy)
  response_timeout = 2,    // reads stayed NAKed (or not ours) through every retry
  bad_multipart = 3,       // a multi-part response's blocks were out of sequence or short
  pec_error = 4,           // a transfer's PEC did not match
  response_too_long = 5,   // the response did not fit the host's Capacity
  request_too_long = 6,    // the request is longer than the capabilities allow
  not_ours = 7,            // a response with another Cmd or NetFn was read (and dropped)
  cancelled = 8,           // the caller called cancel()
};

[[nodiscard]] constexpr std::string_view name(problem p) noexcept {
  return ipmikit::detail::enum_name<problem, 9>(
      p, {"none", "write_refused", "response_timeout", "bad_multipart", "pec_error", "response_too_long",
          "request_too_long", "not_ours", "cancelled"});
}

struct host_stats : si::host_stats {
  // transactions, done, failed, hosed (never), retries (requests written again), accesses,
  // polls (waits and read retries): see si::host_stats
  std::uint64_t writes = 0;             // Block Writes acknowledged
  std::uint64_t reads = 0;              // Block Reads acknowledged
  std::uint64_t nacks = 0;              // transfers NAKed
  std::uint64_t pec_errors = 0;         // transfers with a PEC error
  std::uint64_t multipart_reads = 0;    // responses read in more than one block
  std::uint64_t multipart_writes = 0;   // requests written in more than one block
  std::uint64_t responses_dropped = 0;  // responses that were not ours, or broken multi-part reads
  std::uint64_t probes = 0;             // Get System Interface Capabilities sent by the machine
};

/// What the host learned from Get System Interface Capabilities (or assumed).
struct capabilities {
  cmd::ssif_transaction_support transactions = cmd::ssif_transaction_support::single_part;
  bool pec = false;
  std::size_t max_request = block_size;
  std::size_t max_response = block_size;
};

// ---------------------------------------------------------------------------------------------
// The host machine

template <class Clock = std::chrono::steady_clock, std::size_t Capacity = max_message>
class basic_host : public si::basic_host_machine<basic_host<Clock, Capacity>, Clock, access, problem, host_stats,
                                                 Capacity, action, transfer_result> {
  static_assert(Capacity >= block_size, "an SSIF host must hold a single-part response");
  using base = si::basic_host_machine<basic_host, Clock, access, problem, host_stats, Capacity, action, transfer_result>;
  friend base;

 public:
  using typename base::duration;
  using typename base::time_point;

  struct config {
    /// Ask Get System Interface Capabilities before the first request (Linux ssif_probe).
    bool query_capabilities = true;
    /// Use PEC when the device advertises it (Linux sets I2C_CLIENT_PEC then).
    bool use_pec = true;
    /// What the host assumes without asking (query_capabilities off): QEMU smbus-ipmi's answer.
    capabilities assumed{cmd::ssif_transaction_support::start_middle_end, false, max_message, max_message};
    /// Before the first read of a response (Linux SSIF_MSG_PART_USEC).
    duration first_read_delay = std::chrono::duration_cast<duration>(std::chrono::milliseconds(5));
    /// Between reads while the BMC NAKs (Linux SSIF_MSG_USEC, T3).
    duration read_retry_interval = std::chrono::duration_cast<duration>(std::chrono::milliseconds(60));
    /// Reads NAKed (or not ours) before giving up (Linux SSIF_RECV_RETRIES).
    std::uint32_t max_read_retries = 250;
    /// Before writing a NAKed request again (Linux SSIF_REQ_RETRY_USEC, T6).
    duration write_retry_interval = std::chrono::duration_cast<duration>(std::chrono::milliseconds(60));
    /// Writes of the request after the first (Linux SSIF_SEND_RETRIES).
    std::uint8_t max_write_retries = 5;
  };

  constexpr basic_host() noexcept : basic_host(config{}) {}
  constexpr explicit basic_host(const config& cfg) noexcept : cfg_(cfg) {
    if (!cfg_.query_capabilities) caps_ = cfg_.assumed;
  }

  // --- driving ---------------------------------------------------------------------------------

  /// Begins a transaction: `request` = netfn<<2|lun, cmd, data… (copied). Refused while busy;
  /// a refused start changes nothing. The first one may probe the capabilities first.
  constexpr host_error start(std::span<const std::uint8_t> request, time_point /*now: a write needs no clock*/) noexcept {
    const std::size_t limit = caps_ ? std::min(caps_->max_request, Capacity) : std::min(max_message, Capacity);
    if (const host_error e = this->refusal(request, limit); e != host_error::ok) return e;
    std::copy(request.begin(), request.end(), request_.begin());
    request_length_ = request.size();
    this->begin_transaction();
    probing_ = !caps_;
    if (probing_) ++stats_.probes;
    begin_write();
    return host_error::ok;
  }

  /// Gives up the running transaction at once: failed, problem::cancelled.
  constexpr void cancel(time_point /*now: the same call as kcs::host::cancel*/) noexcept {
    if (outcome_ != ssif::outcome::busy) return;
    problem_ = ssif::problem::cancelled;
    finish(ssif::outcome::failed);
  }

  // next(), complete(), reset(): si::basic_host_machine

  /// Takes Get System Interface Capabilities' SSIF answer (IPMI v2.0 §22.9), as Linux does:
  /// no multi-part → 32/32; start and end only → at most 63 bytes either way; PEC if offered.
  constexpr void apply(const cmd::get_system_interface_capabilities::response_layout& r) noexcept {
    capabilities c{r.transaction_support, r.pec_supported, r.max_input_size, r.max_output_size};
    if (!r.ssif) c = {};
    switch (c.transactions) {
      case cmd::ssif_transaction_support::single_part:
        c.max_request = c.max_response = block_size;
        break;
      case cmd::ssif_transaction_support::start_end:
        c.max_request = std::min<std::size_t>(c.max_request, 2 * block_size);
        c.max_response = std::min<std::size_t>(c.max_response, first_block_data + next_block_data);
        break;
      case cmd::ssif_transaction_support::start_middle_end: break;
    }
    c.max_request = std::max<std::size_t>(c.max_request, request_view::min_size);
    caps_ = c;
  }

  /// The capabilities in use (none yet before the probe).
  [[nodiscard]] constexpr std::optional<capabilities> capabilities_in_use() const noexcept { return caps_; }

  [[nodiscard]] constexpr std::optional<time_point> next_deadline() const noexcept {
    if (outcome_ != ssif::outcome::busy || action_.kind != access::wait) return std::nullopt;
    return wait_until_;
  }

  // --- results ---------------------------------------------------------------------------------

  // outcome(), response(), problem(), attempts() (writes of the request), stats():
  // si::basic_host_machine
  [[nodiscard]] constexpr const config& settings() const noexcept { return cfg_; }
  /// True while the machine is asking the capabilities (before the caller's request).
  [[nodiscard]] constexpr bool probing() const noexcept { return probing_ && outcome_ == ssif::outcome::busy; }

 private:
  enum class stage : std::uint8_t {
    none,
    writing,       // a Block Write of part `part_` is out
    wait_write,    // after a NAKed write: resend at the deadline
    wait_read,     // before a 03h read: read at the deadline
    reading,       // a 03h read is out
    reading_next,  // a 09h read is out
  };

  // The transition function: the transfer next() named was made at `now` with `result`.
  constexpr void step(time_point now, const transfer_result& r) noexcept {
    switch (stage_) {
      case stage::writing: return written(now, r.status);
      case stage::wait_write:
        if (now < wait_until_) return keep_polling();
        return write_part(0);
      case stage::wait_read:
        if (now < wait_until_) return keep_polling();
        return read(smbus_command::read_start);
      case stage::reading:
      case stage::reading_next: return block_read(now, r);
      case stage::none: break;
    }
  }

  // --- 1. write --------------------------------------------------------------------------------

  [[nodiscard]] constexpr std::span<const std::uint8_t> message() const noexcept {
    if (probing_) return probe_request;
    return {request_.data(), request_length_};
  }

  constexpr void begin_write() noexcept {
    reads_ = 0;
    write_part(0);
  }

  // Part `part` of message(): one 02h, or 06h, 07h…, 08h.
  constexpr void write_part(std::size_t part) noexcept {
    const auto m = message();
    part_ = part;
    const std::size_t from = part * block_size;
    const std::size_t left = m.size() - from;
    smbus_command c = smbus_command::write_single;
    if (m.size() > block_size) {
      c = part == 0 ? smbus_command::write_start
                    : (left > block_size ? smbus_command::write_middle : smbus_command::write_end);
    }
    stage_ = stage::writing;
    action_ = action{access::block_write, c, m.subspan(from, std::min(left, block_size)), pec(), false};
  }

  constexpr void written(time_point now, transfer_status s) noexcept {
    if (s != transfer_status::ack) {
      note_failure(s);
      problem_ = s == transfer_status::pec_error ? ssif::problem::pec_error : ssif::problem::write_refused;
      if (attempts_ > cfg_.max_write_retries) {
        problem_ = ssif::problem::write_refused;
        return finish(ssif::outcome::failed);
      }
      ++attempts_;
      ++stats_.retries;
      return wait(stage::wait_write, now + cfg_.write_retry_interval);
    }
    ++stats_.writes;
    if ((part_ + 1) * block_size < message().size()) return write_part(part_ + 1);
    if (part_ > 0) ++stats_.multipart_writes;
    wait(stage::wait_read, now + cfg_.first_read_delay);
  }

  // --- 2./3. read ------------------------------------------------------------------------------

  constexpr void read(smbus_command c) noexcept {
    stage_ = c == smbus_command::read_start ? stage::reading : stage::reading_next;
    action_ = action{access::block_read, c, {}, pec(), stage_ == stage::reading && reads_ > 0};
  }

  constexpr void block_read(time_point now, const transfer_result& r) noexcept {
    if (r.status != transfer_status::ack) {
      note_failure(r.status);
      if (r.status == transfer_status::pec_error) problem_ = ssif::problem::pec_error;
      return read_again(now);
    }
    ++stats_.reads;
    const auto block = r.data.first(std::min(r.data.size(), block_size));
    if (stage_ == stage::reading) {
      incoming_length_ = 0;
      truncated_ = false;
      if (block.size() == block_size && block[0] == first_block_marker[0] && block[1] == first_block_marker[1]) {
        append(block.subspan(2));
        next_block_ = 0;
        return read(smbus_command::read_next);
      }
      append(block);
      return response_read(now, false);
    }
    if (!block.empty() && block[0] == last_block_marker) {
      append(block.subspan(1));
      return response_read(now, true);
    }
    if (block.size() != block_size || block[0] != next_block_) {
      problem_ = ssif::problem::bad_multipart;
      ++stats_.responses_dropped;
      return read_again(now);
    }
    append(block.subspan(1));
    ++next_block_;
    // Longer than any SSIF message (ssif.md §6: 255 bytes; Linux: -E2BIG): not a response, and
    // a bus numbering blocks on forever would keep the machine reading.
    if (first_block_data + next_block_ * next_block_data > max_message) {
      problem_ = ssif::problem::response_too_long;
      return finish(ssif::outcome::failed);
    }
    read(smbus_command::read_next);
  }

  // The read was NAKed, failed its PEC, or was not ours: again after the retry interval, from
  // the first block, while retries are left.
  constexpr void read_again(time_point now) noexcept {
    if (reads_ >= cfg_.max_read_retries) {
      if (problem_ == ssif::problem::none || problem_ == ssif::problem::write_refused)
        problem_ = ssif::problem::response_timeout;
      if (problem_ == ssif::problem::not_ours) problem_ = ssif::problem::response_timeout;
      return finish(ssif::outcome::failed);
    }
    ++reads_;
    wait(stage::wait_read, now + cfg_.read_retry_interval);
  }

  constexpr void append(std::span<const std::uint8_t> bytes) noexcept {
    const std::size_t room = incoming_.size() - incoming_length_;
    if (bytes.size() > room) truncated_ = true;
    const std::size_t n = std::min(bytes.size(), room);
    std::copy_n(bytes.begin(), n, incoming_.begin() + static_cast<std::ptrdiff_t>(incoming_length_));
    incoming_length_ += n;
  }

  // --- 4. match --------------------------------------------------------------------------------

  constexpr void response_read(time_point now, bool multipart) noexcept {
    const auto m = message();
    const bool ours = incoming_length_ >= response_view::min_size && incoming_[1] == m[1] &&
                      netfn_of(incoming_[0]) == response_netfn(netfn_of(m[0]));
    if (!ours) {
      ++stats_.responses_dropped;
      problem_ = ssif::problem::not_ours;
      return read_again(now);
    }
    if (multipart) ++stats_.multipart_reads;
    if (probing_) return probed();
    std::copy_n(incoming_.begin(), incoming_length_, response_.begin());
    response_length_ = incoming_length_;
    if (truncated_) {
      problem_ = ssif::problem::response_too_long;
      return finish(ssif::outcome::failed);
    }
    finish(ssif::outcome::done);
  }

  // The capabilities' answer is in: apply it (an error answer: Linux's defaults), then write
  // the caller's request.
  constexpr void probed() noexcept {
    const std::span<const std::uint8_t> answer(incoming_.data(), incoming_length_);
    const auto parsed = cmd::get_system_interface_capabilities::response::parse(answer.subspan(3));
    if (answer[2] == 0 && parsed) apply(*parsed);
    else caps_ = capabilities{};
    probing_ = false;
    problem_ = ssif::problem::none;
    attempts_ = 1;  // attempts() counts the caller's request, not the probe's writes
    if (request_length_ > caps_->max_request) {
      problem_ = ssif::problem::request_too_long;
      return finish(ssif::outcome::failed);
    }
    begin_write();
  }

  // --- helpers ---------------------------------------------------------------------------------

  [[nodiscard]] constexpr bool pec() const noexcept { return caps_ && caps_->pec && cfg_.use_pec; }

  constexpr void note_failure(transfer_status s) noexcept {
    if (s == transfer_status::pec_error) ++stats_.pec_errors;
    else ++stats_.nacks;
  }

  constexpr void wait(stage s, time_point until) noexcept {
    stage_ = s;
    wait_until_ = until;
    action_ = action{access::wait, {}, {}, false, true};
  }

  using base::action_;
  using base::attempts_;
  using base::finish;
  using base::keep_polling;
  using base::outcome_;
  using base::problem_;
  using base::response_;
  using base::response_length_;
  using base::stats_;

  // Get System Interface Capabilities, SSIF (IPMI v2.0 §22.9): NetFn App, 57h, type 0.
  static constexpr std::array<std::uint8_t, 3> probe_request{0x06 << 2, 0x57, 0x00};

  config cfg_{};
  std::optional<capabilities> caps_;
  stage stage_ = stage::none;
  bool probing_ = false;
  bool truncated_ = false;
  std::uint8_t next_block_ = 0;  // the number the next middle block must carry
  std::uint32_t reads_ = 0;      // read retries in this attempt
  std::size_t part_ = 0;         // the part being written
  time_point wait_until_{};
  std::size_t request_length_ = 0;
  std::size_t incoming_length_ = 0;
  std::array<std::uint8_t, Capacity> request_{};   // the caller's request
  std::array<std::uint8_t, Capacity> incoming_{};  // the response as read
};

using host = basic_host<>;

// ---------------------------------------------------------------------------------------------
// Driving a host over an SMBus

/// `ssif::drive(host, bus, now, max_transfers)` runs `host` over `bus` until it is no longer
/// busy or `max_transfers` transfers (and waits) were made: each is made by `perform(bus,
/// action)` (ssif::device_bus in device.hpp, or the caller's own for its SMBus); `now()` gives
/// the time after each; `bus.idle()`, if it exists, is called before each wait and read retry
/// (the place to let an in-memory BMC work, or to sleep until next_deadline()).
using si::drive;

}  // namespace ipmikit::ssif
